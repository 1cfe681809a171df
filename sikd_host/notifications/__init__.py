"""In-app notifications: a host service any part (or plugin) uses to tell users something."""
