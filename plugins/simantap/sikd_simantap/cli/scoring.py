"""``sikd simantap score``, ``publish`` and ``export ninebox``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from sikd_host.plugin_api import db
from sikd_simantap import results, runs
from sikd_simantap.cli import simantap_cli
from sikd_simantap.models import Period, Run
from sikd_simantap.sources import all_sources


def _period(code: str) -> Period:
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        raise click.ClickException(f"There is no period {code}.")
    return period


def _fail(error: runs.RunError) -> click.ClickException:
    details = "".join(f"\n  {field}: {message}" for field, message in error.errors.items())
    return click.ClickException(str(error) + details)


@simantap_cli.command("score")
@click.option("--period", "code", required=True, help="The period code, e.g. 2026.")
@click.option("--publish", is_flag=True, help="Publish the run when it is done.")
@click.option("--reason", default="", help="Why; required to supersede a published run.")
@with_appcontext
def score_command(code: str, publish: bool, reason: str) -> None:
    """Run the scoring of a period (all or nothing) and optionally publish it."""
    period = _period(code)
    provided = all_sources()
    steps = len(provided) + 3  # employees, each source, placement, write
    try:
        with click.progressbar(length=steps, label=f"Scoring {code}", file=sys.stderr) as bar:
            run = runs.score(period, "cli", provided=provided, progress=lambda _step: bar.update(1))
        click.echo(f"Run {run.id}: {run.employees} employees in {run.seconds} s")
        click.echo(f"Fingerprint {run.fingerprint}")
        if publish:
            runs.publish(run, "cli", reason)
            click.echo(f"Run {run.id} published.")
    except runs.RunError as error:
        db.session.rollback()
        raise _fail(error) from error


@simantap_cli.command("publish")
@click.argument("run_id", type=int)
@click.option("--reason", default="", help="Why; required to supersede a published run.")
@with_appcontext
def publish_command(run_id: int, reason: str) -> None:
    """Publish a finished run (superseding the period's published run needs a reason)."""
    run = db.session.get(Run, run_id)
    if run is None:
        raise click.ClickException(f"There is no run {run_id}.")
    try:
        runs.publish(run, "cli", reason)
    except runs.RunError as error:
        db.session.rollback()
        raise _fail(error) from error
    click.echo(f"Run {run.id} published.")


@simantap_cli.group("export")
def export_group() -> None:
    """Exports."""


class _System:
    """The CLI reads as HR: every result of the published run."""

    is_authenticated = True
    id = None
    position = None

    def has_permission(self, name: str) -> bool:
        return name == "simantap.view_all"


@export_group.command("ninebox")
@click.option("--period", "code", required=True, help="The period code, e.g. 2026.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_ninebox(code: str, fmt: str, output: Path | None) -> None:
    """The nine-box of a period's published run, one row per employee."""
    period = _period(code)
    run = results.published_run_of(period)
    if run is None:
        raise click.ClickException(f"Period {code} has no published run.")
    rows = results.export_rows(run, _System())
    if fmt == "xlsx":
        data = results.export_xlsx(rows)
        if output is None:
            if sys.stdout.isatty():
                raise click.ClickException("Give --output FILE for an XLSX export.")
            click.get_binary_stream("stdout").write(data)
        else:
            output.write_bytes(data)
    else:
        if output is None:
            for chunk in results.export_csv(rows):
                click.echo(chunk.decode("utf-8"), nl=False)
        else:
            with output.open("wb") as handle:
                for chunk in results.export_csv(rows):
                    handle.write(chunk)
    if output is not None:
        click.echo(f"Written {output}", err=True)
