"""Content-addressed file storage: every uploaded file, stored once, by its SHA-256.

Plugins use it through ``sikd_host.plugin_api.storage`` (the ``service`` module).
"""

from sikd_host.storage import models as models  # noqa: F401 - registers the tables
