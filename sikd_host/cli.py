"""The ``sikd`` command: a Flask CLI group with the host's commands."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import force_locale, gettext
from sqlalchemy.exc import SQLAlchemyError

from sikd_host.extensions import db


class CommandError(click.ClickException):
    """A clear message on standard error and exit status 1."""


def _translate(message: str, params: dict[str, Any] | None = None) -> str:
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        return gettext(message, **(params or {}))


def _create_app() -> Flask:
    from sikd_host import create_app

    return create_app()


NO_SCHEMA = "The database has no schema yet: run sikd init."


def _missing_table(error: SQLAlchemyError) -> bool:
    """The database answered that a table does not exist (before ``sikd init``)."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) == "42P01" or "no such table" in str(
        original or error
    )


class SikdGroup(FlaskGroup):
    """The ``sikd`` group: a database error in any command is one clear line and exit 1,
    never a page of SQLAlchemy traceback (above all before ``sikd init``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as error:
            if _missing_table(error):
                raise CommandError(NO_SCHEMA) from None
            first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise CommandError(f"database error: {first_line}") from None


@click.group(
    cls=SikdGroup, create_app=_create_app, add_default_commands=True, add_version_option=False
)
def main() -> None:
    """SIKD: the records portal and its plugins."""


def register_commands(app: Flask) -> None:
    from sikd_host.backup import backup_command, restore_command
    from sikd_host.jobs.cli import worker_command
    from sikd_host.serve import serve_command
    from sikd_host.storage.cli import storage_group

    for command in (
        init_command,
        demo_command,
        db_group,
        users_group,
        org_group,
        audit_group,
        plugins_group,
        storage_group,
        worker_command,
        serve_command,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)


# --- schema ---------------------------------------------------------------------------


def upgrade_all(
    plugin: str | None = None, failures: list[Any] | None = None
) -> list[tuple[str, str | None]]:
    """Upgrade the host's schema, then every plugin's; returns (track, revision) pairs.

    A plugin that cannot be imported is skipped (the host and the others still migrate) and
    appended to ``failures`` (``migrations.TrackFailure``); its error is stored for the
    Plugins page once the host's schema exists."""
    from sikd_host import migrations
    from sikd_host.plugin_state import record_error
    from sikd_host.pluginmanager import current_host

    host = current_host()
    failures = [] if failures is None else failures
    done = []
    for track in migrations.all_tracks(host, only=plugin, failures=failures):
        migrations.upgrade(db.engine, track)
        done.append((track.name, migrations.current_revision(db.engine, track)))
    for failure in failures:  # on a new database the table did not exist when it failed
        record_error(failure.name, host.records[failure.name].error or failure.message)
    host.sync(force=True)  # plugins waiting for their schema can start now
    return done


def _report_skipped(failures: list[Any]) -> None:
    for failure in failures:
        click.echo(
            f"warning: plugin {failure.name} skipped, it could not be loaded: {failure.message}"
            " (see sikd plugins list)",
            err=True,
        )


@click.group("db")
def db_group() -> None:
    """Schema migrations."""


@db_group.command("upgrade")
@click.option("--plugin", default=None, help="Upgrade only this plugin.")
@with_appcontext
def db_upgrade(plugin: str | None) -> None:
    """Upgrade the host's schema, then each plugin's in dependency order."""
    _known_plugin_or_fail(plugin)
    failures: list[Any] = []
    try:
        for name, revision in upgrade_all(plugin, failures):
            click.echo(f"{name}: {revision}")
    except Exception as error:  # noqa: BLE001 - report any database failure plainly
        raise CommandError(f"upgrade failed: {error}") from error
    if plugin and failures:
        raise CommandError(f"plugin {plugin} could not be loaded: {failures[0].message}")
    _report_skipped(failures)
    from sikd_host.admin.plugins import grant_new_permissions

    for role, names in grant_new_permissions("sikd db upgrade").items():
        click.echo(f"role {role}: new permissions ticked: {', '.join(sorted(names))}")


@db_group.command("downgrade")
@click.option("--plugin", required=True, help="The plugin whose schema to downgrade.")
@click.option(
    "--drop-data", is_flag=True, help="Downgrade even though the plugin's tables hold rows."
)
@click.argument("revision")
@with_appcontext
def db_downgrade(plugin: str, revision: str, drop_data: bool) -> None:
    """Downgrade one plugin's schema (``base`` removes its tables).

    Refused while the plugin's tables hold rows, unless ``--drop-data`` is given: a
    downgrade may drop tables, and records must never go by accident. A plugin whose data
    is protected (``sikd_protected_data``, e.g. the archive's records) is never downgraded
    while its tables hold rows, whatever the options.
    """
    from sikd_host import migrations
    from sikd_host.pluginmanager import current_host

    _known_plugin_or_fail(plugin)
    host = current_host()
    failures: list[migrations.TrackFailure] = []
    tracks = migrations.all_tracks(host, only=plugin, failures=failures)
    if failures:
        raise CommandError(f"plugin {plugin} could not be loaded: {failures[0].message}")
    if not tracks:
        raise CommandError(f"plugin {plugin} has no migrations")

    def check(holding: list[str]) -> None:
        if holding:
            _refuse_if_protected(host, plugin, holding)
        if holding and not drop_data:
            raise CommandError(
                f"refused: these tables of {plugin} hold rows: {', '.join(holding)}. "
                "A downgrade may drop them; pass --drop-data if that is really meant."
            )

    try:
        migrations.downgrade(db.engine, tracks[0], revision, check)
    except CommandError:
        raise
    except Exception as error:  # noqa: BLE001
        raise CommandError(f"downgrade failed: {error}") from error
    current_host().sync(force=True)
    click.echo(f"{plugin}: {migrations.current_revision(db.engine, tracks[0]) or 'base'}")


def _refuse_if_protected(host: Any, plugin: str, holding: list[str]) -> None:
    """Refuse (exit 1, no override) when the plugin declares its data protected."""
    from sikd_host import migrations

    try:
        reason = migrations.data_protection(host, host.records[plugin])
    except Exception as error:  # noqa: BLE001 - when in doubt, keep the data
        reason = f"its data protection could not be read ({error})"
    if reason:
        raise CommandError(
            f"refused: the data of {plugin} may never be dropped by a downgrade. {reason} "
            f"These tables hold rows: {', '.join(holding)}. No option overrides this; "
            "change the schema with a new forward migration instead."
        )


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision of the host and each plugin, and the head it should be at."""
    from sikd_host import migrations
    from sikd_host.pluginmanager import current_host

    failures: list[migrations.TrackFailure] = []
    for track in migrations.all_tracks(current_host(), failures=failures):
        current = migrations.current_revision(db.engine, track)
        head = migrations.head_revision(track)
        state = "ok" if current == head else "needs upgrade"
        click.echo(f"{track.name}: {current or '-'} (head {head}) {state}")
    for failure in failures:
        stored = migrations.stored_revision(db.engine, failure.name) or "-"
        click.echo(
            f"{failure.name}: {stored} (head unknown) could not be loaded: {failure.message}"
        )


def _known_plugin_or_fail(name: str | None) -> None:
    from sikd_host.pluginmanager import current_host

    if name is not None and name not in current_host().records:
        raise CommandError(f"no plugin named {name!r} is installed")


# --- init and demo ---------------------------------------------------------------------


def ensure_admin(username: str, password: str | None) -> tuple[bool, str | None]:
    """Create the first admin unless an active admin exists; returns (created, password)."""
    from sqlalchemy import select

    from sikd_host.auth import accounts
    from sikd_host.auth.models import Role, User, user_role

    has_admin = db.session.scalar(
        select(User.id).join(user_role).join(Role).where(Role.name == "admin", User.active).limit(1)
    )
    if has_admin:
        return False, None
    password = password or secrets.token_urlsafe(12)
    accounts.create_user("sikd init", username, "Administrator", password, roles=["admin"])
    return True, password


def run_init(
    admin_username: str, admin_password: str | None, failures: list[Any] | None = None
) -> tuple[bool, str | None]:
    """Schema, seeded roles, newly installed plugins enabled, and the first admin.

    A plugin that cannot be imported is skipped and left disabled (``failures`` lists it)."""
    from sikd_host.admin.plugins import enable_new_plugins
    from sikd_host.auth.accounts import seed_roles
    from sikd_host.pluginmanager import current_host

    upgrade_all(failures=failures)
    seed_roles()
    enabled = enable_new_plugins("sikd init")
    from sikd_host.admin.plugins import grant_new_permissions

    grant_new_permissions("sikd init")
    created = ensure_admin(admin_username, admin_password)
    db.session.commit()
    if enabled:
        current_host().sync(force=True)
    return created


@click.command("init")
@click.option("--admin", "admin_username", default="admin", show_default=True)
@click.option(
    "--password",
    "admin_password",
    default=None,
    help="The first admin's password; generated when left out.",
)
@with_appcontext
def init_command(admin_username: str, admin_password: str | None) -> None:
    """Create or upgrade the schema, seed the roles and create the first admin."""
    failures: list[Any] = []
    try:
        created, password = run_init(admin_username, admin_password, failures)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        raise CommandError(_error_text(error)) from error
    _report_skipped(failures)
    click.echo("Schema is up to date.")
    if created:
        click.echo(f"Admin user: {admin_username}")
        click.echo(f"Password:   {password}")
    else:
        click.echo("An admin already exists; no account created.")


def _error_text(error: Exception) -> str:
    message = getattr(error, "message", None)
    if message:
        return _translate(message, getattr(error, "params", None))
    return str(error)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo data, then stop.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Initialise, load the demo institution and serve the portal."""
    from sikd_host.demo import load_demo, load_plugin_demos

    failures: list[Any] = []
    try:
        run_init("admin", None, failures)
        password = secrets.token_urlsafe(12)
        summary = load_demo(admin_password=password)
        summaries = load_plugin_demos()
        db.session.commit()
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        raise CommandError(_error_text(error)) from error
    _report_skipped(failures)
    for line in [summary, *summaries]:
        click.echo(line)
    click.echo(f"Admin user: admin\nPassword:   {password}")
    click.echo("Every demo employee logs in with their user name and the same password.")
    if not no_serve:
        from werkzeug.serving import run_simple

        click.echo(f"Serving on http://{host}:{port}")
        # Flask ignores app.run() inside its own CLI, so serve with Werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)


# --- users -----------------------------------------------------------------------------


@click.group("users")
def users_group() -> None:
    """Accounts."""


def _user_or_fail(username: str) -> Any:
    from sikd_host.auth.accounts import find_user

    user = find_user(username)
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


@users_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--email", default="")
@click.option("--nip", default=None)
@click.option("--role", "roles", multiple=True, default=["pegawai"], show_default=True)
@click.option("--position", "position_code", default=None, help="Code of the position held.")
@click.option("--password", default=None, help="Asked for when left out.")
@with_appcontext
def users_create(
    username: str,
    full_name: str,
    email: str,
    nip: str | None,
    roles: tuple[str, ...],
    position_code: str | None,
    password: str | None,
) -> None:
    """Create an account (a structural position takes one holder only)."""
    from sqlalchemy import select

    from sikd_host.auth import accounts
    from sikd_host.org.models import Position

    position_id = None
    if position_code:
        position_id = db.session.scalar(select(Position.id).where(Position.code == position_code))
        if position_id is None:
            raise CommandError(f"no position with the code {position_code!r}")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.create_user(
            "sikd users create", username, full_name, password, email, nip, roles, position_id
        )
        db.session.commit()
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        raise CommandError(_error_text(error)) from error
    click.echo(f"created {username.lower()}")


@users_group.command("set-password")
@click.argument("username")
@click.option("--password", default=None, help="Asked for when left out.")
@with_appcontext
def users_set_password(username: str, password: str | None) -> None:
    """Set a password; every session of the user ends."""
    from sikd_host.auth import accounts

    user = _user_or_fail(username)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password("sikd users set-password", user, password)
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise CommandError(_error_text(error)) from error
    click.echo(f"password set for {user.username}")


@users_group.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username: str) -> None:
    """Disable an account; every session of the user ends."""
    from sikd_host.auth import accounts

    user = _user_or_fail(username)
    accounts.set_active("sikd users disable", user, False)
    db.session.commit()
    click.echo(f"disabled {user.username}")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts."""
    from sqlalchemy import select

    from sikd_host.auth.models import User

    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.active else "disabled"
        roles = ",".join(sorted(user.role_names))
        click.echo(f"{user.username}\t{user.full_name}\t{user.nip or '-'}\t{roles}\t{state}")


# --- organisation ----------------------------------------------------------------------


@click.group("org")
def org_group() -> None:
    """Organisation: units and positions."""


@org_group.command("import")
@click.argument("kind", type=click.Choice(["units", "positions"]))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def org_import(kind: str, path: Path) -> None:
    """Import units or positions from CSV or XLSX (all or nothing)."""
    from sikd_host.audit import service as audit
    from sikd_host.org.views import IMPORTERS
    from sikd_host.tabular import TableError, read_table

    if not path.exists():
        raise CommandError(f"no such file: {path}")
    columns, importer = IMPORTERS[kind]
    try:
        result = importer(read_table(path, columns))
    except TableError as error:
        db.session.rollback()
        for problem in error.problems:
            text = _translate(problem.message, problem.params)
            click.echo(f"row {problem.row}, {problem.column or '-'}: {text}", err=True)
        raise CommandError(
            f"{path}: refused, {len(error.problems)} problem(s); nothing was changed"
        ) from None
    if result.changed:
        audit.record(
            "sikd org import",
            f"org.import_{kind}",
            "file",
            path.name,
            {"created": result.created, "updated": result.updated},
        )
    db.session.commit()
    click.echo(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged")


# --- plugins ---------------------------------------------------------------------------


@click.group("plugins")
def plugins_group() -> None:
    """Installed plugins: list, enable, disable."""


@plugins_group.command("list")
@with_appcontext
def plugins_list() -> None:
    """Each plugin with its version, state, schema revision, hooks and last error."""
    from sikd_host.admin.plugins import plugin_rows
    from sikd_host.pluginmanager import current_host

    host = current_host()
    if host.safe_mode:
        click.echo("safe mode: no plugin is loaded")
    for row in plugin_rows(host):
        record = row.record
        enabled = "enabled" if row.enabled else "disabled"
        schema = f"{row.current or '-'} (head {row.head or '-'})"
        click.echo(f"{record.name}\t{record.version}\t{enabled}\t{record.status}\t{schema}")
        if record.description:
            click.echo(f"  {record.description}")
        if row.hooks:
            click.echo(f"  hooks: {', '.join(row.hooks)}")
        if record.notes:
            with force_locale(current_app.config["DEFAULT_LOCALE"]):
                click.echo(f"  note: {row.note}")
        if row.last_error:
            click.echo("  last error:\n    " + row.last_error.strip().replace("\n", "\n    "))


def _plugin_operation(operation: Any, name: str, actor: str) -> None:
    from sikd_host.admin.plugins import PluginError

    try:
        operation(actor, name)
    except PluginError as error:
        db.session.rollback()
        raise CommandError(_error_text(error)) from error


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name: str) -> None:
    """Enable a plugin (its schema must be at its head)."""
    from sikd_host.admin.plugins import enable_plugin

    _plugin_operation(enable_plugin, name, "sikd plugins enable")
    click.echo(f"enabled {name}")


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name: str) -> None:
    """Disable a plugin everywhere within seconds; its data is kept."""
    from sikd_host.admin.plugins import disable_plugin

    _plugin_operation(disable_plugin, name, "sikd plugins disable")
    click.echo(f"disabled {name}")


@click.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--path",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the distribution.",
)
def plugin_new(name: str, directory: Path) -> None:
    """Scaffold a working plugin distribution named sikd-NAME."""
    from sikd_host.scaffold import ScaffoldError, scaffold

    try:
        target = scaffold(name, directory)
    except ScaffoldError as error:
        raise CommandError(str(error)) from error
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && sikd db upgrade && sikd plugins list")


# --- audit -----------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the whole hash chain; name the first broken link."""
    from sqlalchemy import func, select

    from sikd_host.audit import service as audit
    from sikd_host.audit.models import AuditEvent

    broken = audit.verify()
    if broken is not None:
        click.echo(f"audit chain broken at entry {broken.row_id}: {broken.reason}", err=True)
        sys.exit(1)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    click.echo(f"audit chain ok: {count} entries")


main.add_command(plugin_group)  # needs no app, so `sikd plugin new` creates no instance

if __name__ == "__main__":
    main()
