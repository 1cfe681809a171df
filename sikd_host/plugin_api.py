"""The one stable facade for plugins: import from here, and from nowhere else in the host.

    from sikd_host.plugin_api import hookimpl, db, MenuItem, Permission, permission_required

Everything listed in ``__all__`` keeps its name and meaning across minor host versions.
"""

from __future__ import annotations

from typing import Any

import pluggy
from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from sikd_host import __version__ as host_version
from sikd_host.audit import service as audit
from sikd_host.auth.accounts import AccountError, create_user
from sikd_host.auth.models import Role, User
from sikd_host.extensions import db
from sikd_host.forms import Form, MultiCheckboxField
from sikd_host.hookspecs import PROJECT
from sikd_host.i18n import N_
from sikd_host.jobs import service as jobs
from sikd_host.menus import MenuItem, Widget
from sikd_host.models import utcnow
from sikd_host.notifications import service as notifications
from sikd_host.org import queries as org
from sikd_host.org import ranks
from sikd_host.org.models import Position, Unit
from sikd_host.org.nip import NIP, NIPError, parse_nip
from sikd_host.permissions import Permission, permission_required, require
from sikd_host.rows import plain_rows
from sikd_host.storage import service as storage
from sikd_host.tabular import Problem, TableError, read_table, template_csv, template_xlsx

hookimpl = pluggy.HookimplMarker(PROJECT)
hookspec = pluggy.HookspecMarker(PROJECT)

__all__ = [
    "AccountError",
    "Form",
    "MenuItem",
    "MultiCheckboxField",
    "N_",
    "NIP",
    "NIPError",
    "Permission",
    "Position",
    "Problem",
    "Role",
    "TableError",
    "Unit",
    "User",
    "Widget",
    "audit",
    "collect_hook",
    "create_user",
    "current_user",
    "db",
    "gettext",
    "hookimpl",
    "hookspec",
    "host_version",
    "jobs",
    "lazy_gettext",
    "notifications",
    "org",
    "parse_nip",
    "permission_required",
    "plain_rows",
    "ranks",
    "read_table",
    "require",
    "settings",
    "storage",
    "template_csv",
    "template_xlsx",
    "utcnow",
]


def settings(name: str, default: Any = None) -> Any:
    """A setting of the running app (host or plugin, declared with ``sikd_settings``)."""
    return current_app.config.get(name, default)


def collect_hook(name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call a hook (a host one or one another plugin published) on every active plugin.

    Returns (plugin name, result) pairs; a failing implementation is logged and left out.
    """
    from sikd_host.pluginmanager import current_host

    return current_host().collect(name, **kwargs)
