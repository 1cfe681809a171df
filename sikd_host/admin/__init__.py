"""Admin pages for users and roles."""
