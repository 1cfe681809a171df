"""Permissions are declared in code; roles tick them. ``permission_required`` guards views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from sikd_host.i18n import N_


@dataclass(frozen=True)
class Permission:
    """A named right, e.g. ``archive.view_all``; ``plugin`` is filled in by the host.

    ``roles`` names the seeded roles that receive it when its plugin is first enabled (an
    admin can untick it afterwards)."""

    name: str
    label: Any
    description: Any = ""
    plugin: str = "host"
    roles: tuple[str, ...] = ()


HOST_PERMISSIONS = (
    Permission("admin.users", _l("Manage users"), _l("Create, edit and disable accounts.")),
    Permission("admin.roles", _l("Manage roles"), _l("Create roles and tick their permissions.")),
    Permission(
        "admin.org", _l("Manage the organisation"), _l("Edit and import units and positions.")
    ),
    Permission("admin.audit", _l("Read the audit log"), _l("Search and export the audit log.")),
    Permission("admin.plugins", _l("Manage plugins"), _l("Enable, disable and upgrade plugins.")),
)

# Descriptions are stored in English (msgids) and translated when shown: role_description.
SEEDED_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": (N_("Administrator: every permission"), ()),
    "pimpinan": (N_("Pimpinan: unit leaders"), ()),
    "arsiparis": (N_("Arsiparis: records staff"), ()),
    "sdm": (N_("SDM: human resources"), ("admin.org",)),
    "pegawai": (N_("Pegawai: every employee"), ()),
}


def role_description(role: Any) -> str:
    """A role's description in the interface language: a seeded role's own description is
    translated; one an admin wrote is shown as written."""
    seeded = SEEDED_ROLES.get(role.name)
    if seeded is not None and role.description == seeded[0]:
        return gettext(role.description)
    return role.description or ""


class MissingPermission(Exception):
    def __init__(self, permission: str):
        super().__init__(permission)
        self.permission = permission


def permission_required(name: str) -> Callable:
    """Require login and ``name``; otherwise answer 403 naming the missing permission."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_permission(name):
                raise MissingPermission(name)
            return view(*args, **kwargs)

        wrapped.required_permission = name  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require(name: str) -> None:
    """Inline check for views that decide the permission at run time."""
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.has_permission(name):
        raise MissingPermission(name)
