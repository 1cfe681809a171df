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

from sikd_host.extensions import db


class CommandError(click.ClickException):
    """A clear message on standard error and exit status 1."""


def _translate(message: str, params: dict[str, Any] | None = None) -> str:
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        return gettext(message, **(params or {}))


def _create_app() -> Flask:
    from sikd_host import create_app

    return create_app()


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=True, add_version_option=False
)
def main() -> None:
    """SIKD: the records portal and its plugins."""


def register_commands(app: Flask) -> None:
    for command in (init_command, demo_command, db_group, users_group, org_group, audit_group):
        app.cli.add_command(command)


# --- schema ---------------------------------------------------------------------------


def upgrade_all() -> list[tuple[str, str | None]]:
    """Upgrade the host's schema, then every plugin's; returns (track, revision) pairs."""
    from sikd_host import migrations

    track = migrations.host_track()
    migrations.upgrade(db.engine, track)
    return [(track.name, migrations.current_revision(db.engine, track))]


@click.group("db")
def db_group() -> None:
    """Schema migrations."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Upgrade the host's schema, then each plugin's."""
    try:
        for name, revision in upgrade_all():
            click.echo(f"{name}: {revision}")
    except Exception as error:  # noqa: BLE001 - report any database failure plainly
        raise CommandError(f"upgrade failed: {error}") from error


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision of the host and each plugin, and the head it should be at."""
    from sikd_host import migrations

    track = migrations.host_track()
    current = migrations.current_revision(db.engine, track)
    head = migrations.head_revision(track)
    state = "ok" if current == head else "needs upgrade"
    click.echo(f"{track.name}: {current or '-'} (head {head}) {state}")


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


def run_init(admin_username: str, admin_password: str | None) -> tuple[bool, str | None]:
    from sikd_host.auth.accounts import seed_roles

    upgrade_all()
    seed_roles()
    created = ensure_admin(admin_username, admin_password)
    db.session.commit()
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
    try:
        created, password = run_init(admin_username, admin_password)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        raise CommandError(_error_text(error)) from error
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
    from sikd_host.demo import load_demo

    try:
        run_init("admin", None)
        password = secrets.token_urlsafe(12)
        summary = load_demo(admin_password=password)
        db.session.commit()
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        raise CommandError(_error_text(error)) from error
    click.echo(summary)
    click.echo(f"Admin user: admin\nPassword:   {password}")
    click.echo("Every demo employee logs in with their user name and the same password.")
    if not no_serve:
        click.echo(f"Serving on http://{host}:{port}")
        current_app.run(host=host, port=port, debug=False, use_reloader=False)


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
@click.option("--password", default=None, help="Asked for when left out.")
@with_appcontext
def users_create(
    username: str,
    full_name: str,
    email: str,
    nip: str | None,
    roles: tuple[str, ...],
    password: str | None,
) -> None:
    """Create an account."""
    from sikd_host.auth import accounts

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.create_user("sikd users create", username, full_name, password, email, nip, roles)
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


if __name__ == "__main__":
    main()
