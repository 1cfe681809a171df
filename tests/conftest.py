"""Fixtures come from sikd_host.testing (a pytest plugin); see docs/plugins.md."""
