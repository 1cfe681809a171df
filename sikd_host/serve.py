"""``sikd serve``: the production web server, gunicorn with the app factory.

``sikd serve`` checks the set-up first (the database answers and has the host's schema at its
head, Redis answers when ``SIKD_REDIS_URL`` is set), says what it will run, then replaces
itself with gunicorn (``exec``), so the process that serves is exactly the documented plain
command line::

    python -m gunicorn --workers 4 --threads 1 --bind 127.0.0.1:8000 \\
        --timeout 60 --graceful-timeout 30 'sikd_host:create_app()'

gunicorn's ``--preload`` is never given: each worker builds its own app after the fork, so
no database connection, Redis connection or lock crosses a fork. Settings come from the
environment and the instance folder as for every ``sikd`` command (``SIKD_DATABASE_URL``,
``SIKD_REDIS_URL``, ``SIKD_INSTANCE_PATH``, ...); every worker reads the same ones.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

APP_FACTORY = "sikd_host:create_app()"


class ServeRefused(click.ClickException):
    """The set-up is not ready to serve: a clear message and exit status 1."""


def default_workers() -> int:
    """gunicorn's rule of thumb, two per core plus one, at most 9."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def gunicorn_command(
    workers: int,
    bind: str,
    threads: int,
    timeout: int,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The plain gunicorn command line that ``sikd serve`` runs."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        bind,
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "30",
        *extra,
        APP_FACTORY,
    ]


def check_setup() -> list[str]:
    """Refuse (``ServeRefused``) what cannot serve; return warnings for what can."""
    from sqlalchemy.exc import SQLAlchemyError

    from sikd_host import migrations
    from sikd_host.extensions import db

    config = current_app.config
    engine = db.engine
    where = engine.url.render_as_string(hide_password=True)
    try:
        current = migrations.current_revision(engine, migrations.host_track())
    except SQLAlchemyError as error:
        raise ServeRefused(f"the database at {where} does not answer: {error}") from error
    finally:
        engine.dispose()  # nothing of this process's pool may reach gunicorn's workers
    head = migrations.head_revision(migrations.host_track())
    if current is None:
        raise ServeRefused(
            f"the database at {where} has no schema yet: run `sikd init` (or `sikd db upgrade`)"
            " first"
        )
    if current != head:
        raise ServeRefused(
            f"the database at {where} is at schema {current}, this version needs {head}: "
            "run `sikd db upgrade` first"
        )
    warnings = []
    if engine.dialect.name == "sqlite":
        warnings.append(
            "SQLite is for a single machine: every worker must run on this machine with the "
            "instance folder on a local disk; use PostgreSQL (SIKD_DATABASE_URL) for more hosts"
        )
    if config.get("REDIS_URL"):
        import redis

        try:
            redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            raise ServeRefused(
                f"SIKD_REDIS_URL is set but Redis does not answer: {error}"
            ) from error
    else:
        warnings.append(
            "SIKD_REDIS_URL is not set: each worker keeps its own login rate limits and long "
            "jobs run inside the request; set it for production"
        )
    return warnings


@click.command(
    "serve", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: 2 x cores + 1, at most 9).",
)
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address and port.")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Threads per worker (more than 1 uses gunicorn's gthread workers).",
)
@click.option(
    "--timeout",
    type=click.IntRange(5, 3600),
    default=60,
    show_default=True,
    help="Seconds before a silent worker is restarted.",
)
@click.option("--dry-run", is_flag=True, help="Check the set-up and print the command only.")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def serve_command(
    workers: int | None, bind: str, threads: int, timeout: int, dry_run: bool, extra: Any
) -> None:
    """Serve the portal with gunicorn (production); more gunicorn options after `--`."""
    if importlib.util.find_spec("gunicorn") is None:
        raise ServeRefused("gunicorn is not installed: pip install 'gunicorn>=22,<24'")
    for warning in check_setup():
        click.echo(f"warning: {warning}", err=True)
    command = gunicorn_command(workers or default_workers(), bind, threads, timeout, extra)
    click.echo(f"sikd serve: {shlex.join(command)}", err=True)
    if dry_run:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
