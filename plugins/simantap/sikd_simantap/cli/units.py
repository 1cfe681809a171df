"""``sikd simantap export units``: work-unit performance of a period as CSV or XLSX."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from sikd_simantap import units
from sikd_simantap.cli.scoring import _System, export_group


@export_group.command("units")
@click.option("--period", "code", required=True, help="The period code, e.g. 2026.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_units(code: str, fmt: str, output: Path | None) -> None:
    """Every unit with its subtree figures in the period's published run (and dispositions,
    when the archive is enabled), in the order of the organisation."""
    period = units.find_period(code)
    if period is None:
        raise click.ClickException(f"There is no period {code}.")
    report = units.performance(_System(), period)
    if report.run is None:
        raise click.ClickException(f"Period {code} has no published run.")
    rows = units.export_rows(report)
    if fmt == "xlsx":
        data = units.export_xlsx(rows)
        if output is not None:
            output.write_bytes(data)
        elif sys.stdout.isatty():
            raise click.ClickException("Give --output FILE for an XLSX export.")
        else:
            click.get_binary_stream("stdout").write(data)
    elif output is None:
        for chunk in units.export_csv(rows):
            click.echo(chunk.decode("utf-8"), nl=False)
    else:
        with output.open("wb") as handle:
            for chunk in units.export_csv(rows):
                handle.write(chunk)
    if output is not None:
        click.echo(f"Written {output}", err=True)
