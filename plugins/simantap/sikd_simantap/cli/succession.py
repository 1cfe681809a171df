"""``sikd simantap succession`` and ``sikd simantap export pool|succession``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from sikd_host.plugin_api import Position, db
from sikd_simantap import exports, pool, succession
from sikd_simantap.cli import simantap_cli
from sikd_simantap.cli.scoring import export_group
from sikd_simantap.scoring import succession as rules

FORMAT = click.Choice(["csv", "xlsx"])


def _write(data: bytes, fmt: str, output: Path | None) -> None:
    if output is not None:
        output.write_bytes(data)
        click.echo(f"Written {output}", err=True)
    elif fmt == "xlsx" and sys.stdout.isatty():
        raise click.ClickException("Give --output FILE for an XLSX export.")
    elif fmt == "csv":
        click.echo(data.decode("utf-8"), nl=False)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _basis() -> succession.Basis:
    basis = succession.latest_basis()
    if basis is None:
        raise click.ClickException("No period has a published run yet.")
    return basis


def _plans(code: str | None) -> list[succession.Plan]:
    basis = _basis()
    if code is None:
        return succession.plans(basis=basis)
    position_id = db.session.scalar(select(Position.id).where(Position.code == code))
    if position_id is None:
        raise click.ClickException(f"There is no position {code}.")
    found = succession.plans(position_id, basis)
    if not found:
        raise click.ClickException(f"Position {code} is not a critical position.")
    return found


@simantap_cli.command("succession")
@click.option(
    "--position", "code", default=None, help="A position code; all critical ones if left out."
)
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "xlsx"]), default="text")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def succession_command(code: str | None, fmt: str, output: Path | None) -> None:
    """The succession plan of a critical position (or of all), from the latest published run."""
    plans = _plans(code)
    if fmt != "text":
        rows = exports.succession_rows(plans)
        _write(exports.render(rows, exports.SUCCESSION_COLUMNS, fmt, "suksesi"), fmt, output)
        return
    for plan in plans:
        c = plan.critical
        flag = "  [RED FLAG]" if plan.red_flag else ""
        click.echo(f"{c.code} {c.name} ({c.eselon}), period {plan.basis.period_code}{flag}")
        for rank, line in enumerate(plan.candidates, start=1):
            p, a = line.person, line.assessment
            note = f"  nominated: {line.override.reason}" if line.override else ""
            click.echo(
                f"  {rank}. {p.nip} {line.name}: score {a.score}, box {p.box}, JPM {p.jpm}, "
                f"{rules.READINESS_LABELS[a.readiness]}{note}"
            )
        if not plan.candidates:
            click.echo("  no eligible candidate")
        for line in plan.removed:
            click.echo(f"  removed: {line.person.nip} {line.name}: {line.override.reason}")


@export_group.command("pool")
@click.option("--format", "fmt", type=FORMAT, default="csv")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_pool(fmt: str, output: Path | None) -> None:
    """The talent pool of the latest published run, with each member's pool history."""
    rows = exports.pool_rows(pool.members(_basis()))
    _write(exports.render(rows, exports.POOL_COLUMNS, fmt, "pool"), fmt, output)


@export_group.command("succession")
@click.option("--position", "code", default=None, help="A position code; all if left out.")
@click.option("--format", "fmt", type=FORMAT, default="csv")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_succession(code: str | None, fmt: str, output: Path | None) -> None:
    """Succession plans: candidates ranked, removed ones and failing pool members."""
    rows = exports.succession_rows(_plans(code))
    _write(exports.render(rows, exports.SUCCESSION_COLUMNS, fmt, "suksesi"), fmt, output)
