"""The archive plugin for SIKD (placeholder until its own issue fills it in)."""

__version__ = "0.1.0"
