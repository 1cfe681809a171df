"""Pytest fixtures for SIKD and its plugins, registered as a pytest plugin (``pytest11``).

The database is built once per test session by running the migrations (never
``create_all``), on SQLite by default or on the PostgreSQL server named by
``SIKD_TEST_DATABASE_URL``, where a throw-away database is created and dropped afterwards.
Each test then gets a fresh copy: a copied SQLite file, or emptied PostgreSQL tables.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_PASSWORD = "correct horse battery"


def _create_postgres_database(server_url: str) -> str:
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"sikd_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        raise pytest.UsageError(
            f"SIKD_TEST_DATABASE_URL is set but PostgreSQL does not answer: {error}"
        ) from error
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    admin = create_engine(
        make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrate(database_url: str, instance: Path) -> None:
    from sikd_host import create_app
    from sikd_host.cli import upgrade_all

    app = create_app(
        {"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "migrations"}
    )
    with app.app_context():
        from sikd_host.extensions import db

        upgrade_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sikd_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The migrated database of this test session: its kind and URL (or template file)."""
    server = os.environ.get("SIKD_TEST_DATABASE_URL")
    instance = tmp_path_factory.mktemp("migrate")
    if server:
        url = _create_postgres_database(server)
        try:
            _migrate(url, instance)
            yield {"kind": "postgresql", "url": url}
        finally:
            _drop_postgres_database(server, url)
    else:
        template = instance / "template.db"
        _migrate(f"sqlite:///{template}", instance)
        yield {"kind": "sqlite", "template": template}


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename NOT LIKE 'alembic_version%'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(sikd_database: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if sikd_database["kind"] == "sqlite":
        path = tmp_path / "sikd.db"
        shutil.copyfile(sikd_database["template"], path)
        yield f"sqlite:///{path}"
    else:
        yield sikd_database["url"]
        _empty_postgres(sikd_database["url"])


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change settings: ``return {"WTF_CSRF_ENABLED": True}``."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    from sikd_host import create_app
    from sikd_host.auth.accounts import seed_roles
    from sikd_host.extensions import db

    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "STORAGE_DIR": str(tmp_path / "files"),
        "SECRET_KEY": "test-" + uuid.uuid4().hex,
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": "",
    }
    config.update(app_config)
    application = create_app(config)
    with application.app_context():
        from sikd_host.admin.plugins import enable_new_plugins
        from sikd_host.app import register_plugin_commands
        from sikd_host.pluginmanager import current_host

        seed_roles()
        enable_new_plugins("test setup")
        db.session.commit()
        current_host(application).sync(force=True)
        register_plugin_commands(application, current_host(application))  # now enabled
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Create a user: ``make_user("budi", roles=["pegawai"], nip=..., position_id=...)``."""
    from sikd_host.auth import accounts
    from sikd_host.extensions import db

    def factory(
        username: str,
        roles: list[str] | tuple[str, ...] = ("pegawai",),
        password: str = TEST_PASSWORD,
        **fields: Any,
    ) -> Any:
        with app.app_context():
            user = accounts.create_user(
                "test",
                username,
                fields.pop("full_name", username.title()),
                password,
                roles=roles,
                **fields,
            )
            db.session.commit()
            user_id = user.id
        return user_id

    return factory


def log_in(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> Any:
    """Log in through the real login form (fetching its CSRF token when CSRF is on)."""
    import re

    page = client.get("/login")
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    data = {"username": username, "password": password}
    if match:
        data["csrf_token"] = match.group(1).decode()
    return client.post("/login", data=data)


@contextlib.contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """``with statements_sent(app) as sent:`` collects the SQL the app sends meanwhile,
    leaving out the read of the plugins' state, which comes once a second whenever its
    TTL has run out (so that counts of a page's statements do not depend on timing)."""
    from sqlalchemy import event

    from sikd_host.extensions import db

    sent: list[str] = []

    def keep(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "plugin_state" not in statement:
            sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """Log the test client in as a new user with ``role`` (or as the named existing user)."""

    def do_login(role: str | None = None, username: str | None = None, **fields: Any) -> Any:
        if username is None:
            username = f"{role or 'anon'}-{uuid.uuid4().hex[:6]}"
            make_user(username, roles=[role] if role else [], **fields)
        response = log_in(client, username)
        assert response.status_code == 302, "login failed in the login_as fixture"
        return username

    return do_login


@pytest.fixture
def enabled_plugins(app: Flask) -> Callable[..., None]:
    """Enable exactly the named plugins (all others disabled) and wait for none."""
    from sikd_host.extensions import db
    from sikd_host.plugin_state import set_enabled
    from sikd_host.pluginmanager import current_host

    def enable(*names: str) -> None:
        with app.app_context():
            host = current_host(app)
            unknown = set(names) - set(host.records)
            assert not unknown, f"not installed: {sorted(unknown)}"
            for name in host.records:
                set_enabled(name, name in names)
            db.session.commit()
            for name in names:
                host.retry(name)
            host.sync(force=True)
            for name in names:
                record = host.records[name]
                assert record.active, f"{name} is {record.status}: {record.message}"

    return enable


@pytest.fixture
def register_plugin(app: Flask) -> Callable[..., Any]:
    """Load a plugin object (a module or class with ``@hookimpl`` functions) into the app."""
    from sikd_host.pluginmanager import current_host

    def register(obj: Any, name: str | None = None) -> Any:
        from sikd_host.extensions import db
        from sikd_host.plugin_state import set_enabled

        name = name or getattr(obj, "__name__", type(obj).__name__).rpartition(".")[2]
        with app.app_context():
            set_enabled(name, True)
            db.session.commit()
            return current_host(app).add_plugin(obj, name)

    return register
