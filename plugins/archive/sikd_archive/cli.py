"""``sikd archive ...`` commands."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from sikd_host.plugin_api import db, jobs


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
@click.option(
    "--queue",
    is_flag=True,
    help="Run it as a job: in `sikd worker` with Redis (progress on /jobs/<id>), else now.",
)
@with_appcontext
def reindex_command(chunk: int, queue: bool) -> None:
    """Rebuild the full-text search index from the records."""
    from sikd_archive import search

    if queue:
        _submit_reindex(chunk)
        return
    try:
        total = search.indexable_count()
        with click.progressbar(length=total, label="Indexing records", file=sys.stderr) as bar:
            indexed = search.reindex(chunk=chunk, progress=bar.update)
    except Exception as error:  # noqa: BLE001 - a clear message instead of a traceback
        db.session.rollback()
        raise click.ClickException(f"reindexing failed: {error}") from error
    click.echo(f"{indexed} records indexed.")


def _submit_reindex(chunk: int) -> None:
    """Submit the rebuild as a job and say where to follow it; exit 1 when it ran inline and
    failed, or when a rebuild is already under way."""
    from sikd_archive import jobs as reindex_job

    try:
        job = jobs.submit(
            reindex_job.reindex, title=reindex_job.TITLE, params={"chunk": chunk},
            key=reindex_job.KEY,
        )  # fmt: skip
    except jobs.JobBusy as busy:
        raise click.ClickException(
            f"a rebuild of the index is already {busy.job.status}: /jobs/{busy.job.id}"
        ) from None
    if job.status == "queued":
        click.echo(f"job {job.id} queued; progress on /jobs/{job.id} (run `sikd worker`)")
    elif job.status == "failed":
        with current_app.test_request_context():  # the message in the default language
            click.echo(f"job {job.id} failed: {jobs.error_text(job)}", err=True)
        sys.exit(1)
    else:
        click.echo(f"job {job.id} {job.status}: {job.done} records indexed.")
