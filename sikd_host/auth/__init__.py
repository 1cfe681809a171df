"""Accounts, roles, permissions, login and sessions."""
