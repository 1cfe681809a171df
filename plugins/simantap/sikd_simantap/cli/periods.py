"""``sikd simantap period ...``: create, open, close and list periods, generate the 360
assignments of a period."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from sikd_host.plugin_api import db
from sikd_simantap import assessment, periods
from sikd_simantap.cli import simantap_cli
from sikd_simantap.models import Period
from sikd_simantap.scoring.assignments import Options
from sikd_simantap.scoring.profile import PRESETS

ACTOR = "cli"


@simantap_cli.group("period")
def period_cli() -> None:
    """Assessment periods and their scoring profiles."""


def _fail(error: Exception) -> click.ClickException:
    db.session.rollback()
    if isinstance(error, periods.PeriodError):
        text = "; ".join(
            f"{field}: {message}" if field else message
            for field, message in error.messages().items()
        )
        return click.ClickException(text)
    return click.ClickException(str(error))


def _find(code: str) -> Period:
    period = periods.by_code(code)
    if period is None:
        raise click.ClickException(
            f"no period {code}; create it with `sikd simantap period create`"
        )
    return period


@period_cli.command("create")
@click.argument("code")
@click.option(
    "--profile",
    "profile_name",
    required=True,
    help=f"The preset copied as the period's scoring profile: {', '.join(PRESETS)}.",
)
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), help="Last day, the reference date.")
@with_appcontext
def create_command(
    code: str, profile_name: str, starts: dt.datetime | None, ends: dt.datetime | None
) -> None:
    """Create period CODE (a year such as 2026 spans that year) as a draft."""
    try:
        period = periods.create(
            ACTOR, code, profile_name, starts and starts.date(), ends and ends.date()
        )
    except periods.PeriodError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(
        f"Period {period.code} created ({period.starts_on} to {period.ends_on}, "
        f"profile {period.profile_name}, draft)."
    )


def _status_command(code: str, action: str) -> None:
    period = _find(code)
    change = periods.open_period if action == "open" else periods.close_period
    try:
        change(ACTOR, period)
    except periods.PeriodError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"Period {code} is {period.status}.")


@period_cli.command("open")
@click.argument("code")
@with_appcontext
def open_command(code: str) -> None:
    """Open draft period CODE: its 360 forms can be filled in."""
    _status_command(code, "open")


@period_cli.command("close")
@click.argument("code")
@with_appcontext
def close_command(code: str) -> None:
    """Close open period CODE: its 360 forms become read-only."""
    _status_command(code, "close")


@period_cli.command("list")
@with_appcontext
def list_command() -> None:
    """Every period with its dates, status and profile."""
    for period in db.session.scalars(select(Period).order_by(Period.ends_on, Period.code)):
        click.echo(
            f"{period.code}\t{period.starts_on}\t{period.ends_on}\t{period.status}\t"
            f"{period.profile_name}"
        )


@period_cli.command("assign")
@click.argument("code")
@click.option("--seed", type=int, help="Chooses the peers; the same seed, the same peers.")
@click.option("--peers", default=5, show_default=True, type=click.IntRange(1, 50),
              help="Most peers rating one person.")  # fmt: skip
@click.option("--rater-peers", default=10, show_default=True, type=click.IntRange(1, 100),
              help="Most peers one person rates.")  # fmt: skip
@click.option("--self/--no-self", "include_self", default=None,
              help="Include a self-assessment (default: when the profile weighs it).")  # fmt: skip
@with_appcontext
def assign_command(
    code: str, seed: int | None, peers: int, rater_peers: int, include_self: bool | None
) -> None:
    """Generate (again) the 360 assignments of period CODE from the organisation."""
    period = _find(code)
    if include_self is None:
        include_self = (period.profile.get("groups") or {}).get("diri", 0) > 0
    options = Options(
        peers_per_ratee=peers,
        peers_per_rater=rater_peers,
        include_self=include_self,
        seed=assessment.default_seed(period) if seed is None else seed,
    )
    try:
        result = assessment.generate_assignments(ACTOR, period, options)
    except periods.PeriodError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(
        f"Period {code}: {result.created} assignments created, {result.removed} removed, "
        f"{result.total} in all (seed {options.seed})."
    )
