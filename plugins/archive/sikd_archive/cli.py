"""``sikd archive ...`` commands."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from sikd_host.plugin_api import db


@click.group("archive")
def archive_cli() -> None:
    """Records (SIKD) maintenance."""


@archive_cli.command("reindex")
@click.option(
    "--chunk",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Records indexed per transaction.",
)
@with_appcontext
def reindex_command(chunk: int) -> None:
    """Rebuild the full-text search index from the records."""
    from sikd_archive import search

    try:
        total = search.indexable_count()
        with click.progressbar(length=total, label="Indexing records", file=sys.stderr) as bar:
            indexed = search.reindex(chunk=chunk, progress=bar.update)
    except Exception as error:  # noqa: BLE001 - a clear message instead of a traceback
        db.session.rollback()
        raise click.ClickException(f"reindexing failed: {error}") from error
    click.echo(f"{indexed} records indexed.")
