"""The admin Plugins page and the operations behind it (also used by ``sikd plugins``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from sikd_host import migrations
from sikd_host.audit import service as audit
from sikd_host.extensions import db
from sikd_host.i18n import N_
from sikd_host.permissions import permission_required
from sikd_host.plugin_state import last_errors, set_enabled
from sikd_host.pluginmanager import PluginHost, PluginRecord, current_host, translated

bp = Blueprint("plugins", __name__, url_prefix="/admin/plugins")
T = TypeVar("T")


class PluginError(ValueError):
    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


@dataclass(frozen=True)
class PluginRow:
    record: PluginRecord
    enabled: bool
    hooks: list[str]
    current: str | None
    head: str | None
    last_error: str | None

    @property
    def note(self) -> str:
        """Why the plugin is in its state, in the current interface language."""
        return translated(self.record.notes)

    @property
    def needs_upgrade(self) -> bool:
        """Its schema is behind its head (known only for a loaded plugin)."""
        return self.head is not None and self.current != self.head


def plugin_rows(host: PluginHost) -> list[PluginRow]:
    """One row per installed plugin, without importing any: a plugin is imported only when
    it is to be active. A plugin that is not loaded shows what its entry point's metadata
    gives and the revision stored in its version table; its head is known once loaded."""
    from sikd_host.plugin_state import read_enabled

    enabled = read_enabled() or {}
    errors = last_errors()
    rows = []
    for record in host.ordered():
        current = head = None
        if record.module is not None and not host.safe_mode:
            try:
                current, head = migrations.plugin_schema_state(host, record)
            except Exception as error:  # noqa: BLE001 - its migrations hook raised
                record.error = record.error or str(error)
        else:
            current = migrations.stored_revision(db.engine, record.name)
        rows.append(
            PluginRow(
                record,
                enabled.get(record.name, False),
                host.hook_names(record),
                current,
                head,
                record.error or errors.get(record.name),
            )
        )
    return rows


def _record(host: PluginHost, name: str) -> PluginRecord:
    record = host.records.get(name)
    if record is None:
        raise PluginError(N_("No plugin named %(name)s is installed."), name=name)
    return record


def enable_plugin(actor: Any, name: str) -> None:
    """Enable a plugin whose schema is at its head; audited and committed."""
    host = current_host()
    record = _record(host, name)
    if not record.compatible:
        raise PluginError(N_("%(name)s does not support this host version."), name=name)
    current, head = _loaded(host, record, migrations.plugin_schema_state)
    if current != head:
        raise PluginError(
            N_("%(name)s cannot be enabled until its migrations have run (sikd db upgrade)."),
            name=name,
        )

    set_enabled(name, True)
    db.session.commit()
    host.retry(name)
    host.sync(force=True)
    granted = grant_suggested_roles(host.permissions_of(name))
    audit.record(actor, "plugin.enabled", "plugin", name, {"granted": granted})
    db.session.commit()


def _loaded(host: PluginHost, record: PluginRecord, read: Callable[..., T]) -> T:
    """``read(host, record)``, which imports the plugin; a plugin whose import (or hook)
    raises is recorded as failed and refused with its error."""
    try:
        return read(host, record)
    except Exception as error:  # noqa: BLE001 - the plugin's own code raised
        host.record_failure(record, error)
        raise PluginError(
            N_("%(name)s could not be loaded: %(error)s"), name=record.name, error=record.message
        ) from error


def enable_new_plugins(actor: Any) -> list[str]:
    """Enable every installed plugin that has no recorded state yet (used by sikd init),
    then tick each loaded one's permissions on the roles it suggests. Commits."""
    from sikd_host.plugin_state import read_enabled

    host = current_host()
    known = read_enabled() or {}
    names = [
        r.name
        for r in host.ordered()
        if r.name not in known and r.compatible and r.status != "failed"
    ]
    for name in names:
        set_enabled(name, True)
    db.session.commit()
    host.sync(force=True)
    for name in names:
        granted = grant_suggested_roles(host.permissions_of(name))
        audit.record(
            actor, "plugin.enabled", "plugin", name, {"first_setup": True, "granted": granted}
        )
    db.session.commit()
    return names


def grant_suggested_roles(permissions: list[Any]) -> dict[str, list[str]]:
    """Tick each permission never offered before on the seeded roles it suggests (roles that
    exist only), and remember it as offered: a permission is offered once, so what an admin
    unticks stays unticked, while a permission that a plugin's upgrade brings, or one of a
    plugin that failed at its first setup, still reaches its roles."""
    from sqlalchemy import select

    from sikd_host.auth.models import Role, RolePermission, SeenPermission

    seen = set(db.session.scalars(select(SeenPermission.name)))
    roles = {role.name: role for role in db.session.scalars(select(Role))}
    granted: dict[str, list[str]] = {}
    for permission in permissions:
        if permission.name in seen:
            continue
        for role_name in permission.roles:
            role = roles.get(role_name)
            if role is not None and permission.name not in role.permission_names:
                role.grants.append(RolePermission(permission=permission.name))
                granted.setdefault(role_name, []).append(permission.name)
        db.session.add(SeenPermission(name=permission.name))
        seen.add(permission.name)
    return granted


def grant_new_permissions(actor: Any) -> dict[str, list[str]]:
    """Offer the permissions of every active plugin that were never offered (after an
    upgrade or a repaired first setup); audited when anything was ticked. Commits."""
    host = current_host()
    granted: dict[str, list[str]] = {}
    for record in host.ordered():
        if not record.active:
            continue
        for role, names in grant_suggested_roles(host.permissions_of(record.name)).items():
            granted.setdefault(role, []).extend(names)
    if granted:
        audit.record(actor, "permission.suggested_granted", "role", "", {"granted": granted})
    db.session.commit()
    return granted


def disable_plugin(actor: Any, name: str) -> None:
    """Disable a plugin; its data stays. Audited and committed."""
    host = current_host()
    _record(host, name)
    set_enabled(name, False)
    audit.record(actor, "plugin.disabled", "plugin", name)
    db.session.commit()
    host.sync(force=True)


def upgrade_plugin(actor: Any, name: str) -> str | None:
    host = current_host()
    record = _record(host, name)
    track = _loaded(host, record, migrations.plugin_track)
    if track is None:
        return None
    migrations.upgrade(db.engine, track)
    revision = migrations.current_revision(db.engine, track)
    audit.record(actor, "plugin.upgraded", "plugin", name, {"revision": revision})
    db.session.commit()
    host.sync(force=True)
    return revision


@bp.route("/")
@permission_required("admin.plugins")
def index() -> Any:
    host = current_host()
    return render_template("admin/plugins.html", rows=plugin_rows(host), safe_mode=host.safe_mode)


def _act(name: str, action: str) -> Any:
    actor = current_user._get_current_object()
    operations = {"enable": enable_plugin, "disable": disable_plugin, "upgrade": upgrade_plugin}
    if action not in operations:
        abort(404)
    try:
        operations[action](actor, name)
    except PluginError as error:
        db.session.rollback()
        flash(_(error.message, **error.params), "danger")
        return redirect(url_for("plugins.index")), 303
    messages = {
        "enable": _("Plugin %(name)s enabled.", name=name),
        "disable": _("Plugin %(name)s disabled. Its data is kept.", name=name),
        "upgrade": _("The schema of %(name)s is up to date.", name=name),
    }
    flash(messages[action], "success")
    return redirect(url_for("plugins.index"))


@bp.route("/<name>/<action>", methods=["POST"])
@permission_required("admin.plugins")
def act(name: str, action: str) -> Any:
    return _act(name, action)
