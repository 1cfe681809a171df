"""``sikd storage``: verify the stored files, list and remove orphans."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from sikd_host.extensions import db
from sikd_host.storage import service


@click.group("storage")
def storage_group() -> None:
    """Stored files: verify their hashes, find and remove orphans."""


@storage_group.command("verify")
@click.option(
    "--restart", is_flag=True, help="Start a new run instead of resuming an interrupted one."
)
@click.option(
    "--batch",
    default=500,
    show_default=True,
    type=click.IntRange(1),
    help="Blobs checked between two checkpoints.",
)
@click.option(
    "--queue",
    is_flag=True,
    help="Run it as a job: in `sikd worker` with Redis (progress on /jobs/<id>), else now.",
)
@with_appcontext
def verify_command(restart: bool, batch: int, queue: bool) -> None:
    """Re-hash every stored file; exit 1 when any is changed or missing."""
    if queue:
        from sikd_host.storage import jobs

        submit_job(jobs.verify, jobs.TITLE, {"restart": restart, "batch": batch}, jobs.KEY)
        return
    resume = not restart
    total = service.verify_pending(resume)
    with click.progressbar(length=total, label="Verifying stored files", file=sys.stderr) as bar:
        report = service.verify(resume=resume, batch=batch, progress=bar.update)
    for sha256 in report.mismatched:
        click.echo(f"mismatch {sha256}")
    for sha256 in report.missing:
        click.echo(f"missing {sha256}")
    how = "resumed run" if report.resumed else "run"
    click.echo(
        f"{how} {report.run_id}: {report.checked} checked ({report.checked_now} now), "
        f"{len(report.mismatched)} mismatched, {len(report.missing)} missing"
    )
    if not report.ok:
        sys.exit(1)


def submit_job(function: Any, title: str, params: dict[str, Any], key: str) -> None:
    """Submit a job from the command line and say where to follow it; exit 1 when it ran
    inline and failed, or when the same job is already under way."""
    from sikd_host.jobs import service as jobs

    try:
        job = jobs.submit(function, title=title, params=params, key=key)
    except jobs.JobBusy as busy:
        raise click.ClickException(
            f"the same job is already {busy.job.status}: /jobs/{busy.job.id}"
        ) from None
    if job.status == "queued":
        click.echo(f"job {job.id} queued; progress on /jobs/{job.id} (run `sikd worker`)")
    elif job.status == "failed":
        with current_app.test_request_context():  # the message in the default language
            click.echo(f"job {job.id} failed: {jobs.error_text(job)}", err=True)
        sys.exit(1)
    else:
        click.echo(f"job {job.id} {job.status} ({job.done} of {job.total})")


GRACE = click.option(
    "--grace",
    "grace",
    default=3600,
    show_default=True,
    type=click.IntRange(0),
    help="Leave files younger than this (seconds).",
)


@storage_group.command("orphans")
@GRACE
@with_appcontext
def orphans_command(grace: int) -> None:
    """List files without a row, rows without a file, stale temporary files and strays."""
    report = service.orphans(grace)
    for sha256 in report.unreferenced:
        click.echo(f"unreferenced {sha256}")
    for sha256 in report.missing:
        click.echo(f"missing {sha256}")
    for name in report.stale_temp:
        click.echo(f"temp {name}")
    for name in report.strays:
        click.echo(f"stray {name}")
    click.echo(
        f"{len(report.unreferenced)} unreferenced, {len(report.missing)} missing, "
        f"{len(report.stale_temp)} stale temporary, {len(report.strays)} stray; "
        f"{report.young} recent file(s) without a row left alone"
    )


@storage_group.command("reconcile")
@GRACE
@with_appcontext
def reconcile_command(grace: int) -> None:
    """Remove files without a row and stale temporary files older than the grace period.

    Rows are never removed: a row without a file is reported (restore it from a backup).
    """
    report = service.reconcile(grace, actor="sikd storage reconcile")
    db.session.commit()
    for sha256 in report.removed:
        click.echo(f"removed {sha256}")
    for name in report.removed_temp:
        click.echo(f"removed temp {name}")
    for sha256 in report.missing:
        click.echo(f"missing {sha256} (row kept)")
    for name in report.strays:
        click.echo(f"stray {name} (left alone)")
    click.echo(
        f"{len(report.removed)} file(s) and {len(report.removed_temp)} temporary file(s) "
        f"removed; {len(report.missing)} missing, {len(report.strays)} stray"
    )
