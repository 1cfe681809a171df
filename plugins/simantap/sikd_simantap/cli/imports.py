"""``sikd simantap import KIND FILE [--period P]``: import talent data, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from sikd_host.plugin_api import Problem, TableError, db, gettext, settings
from sikd_simantap import imports
from sikd_simantap.cli import simantap_cli
from sikd_simantap.rules_import import KINDS

CONFLICT = "{name}: the data changed while the file was being applied; nothing was changed"


def problem_line(problem: Problem) -> str:
    """The problem in the institution's default language."""
    with force_locale(settings("DEFAULT_LOCALE", "id")):
        text = gettext(problem.message, **problem.params)
    return f"row {problem.row or '-'}, {problem.column or '-'}: {text}"


def summary_line(plan: imports.Plan) -> str:
    parts = [f"{plan.created} created", f"{plan.updated} updated", f"{plan.unchanged} unchanged"]
    parts += [f"{value} {name.replace('_', ' ')}" for name, value in plan.details.items()]
    return ", ".join(parts)


@simantap_cli.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--period", default=None, help="The period (kehadiran, ekinerja, penilaian360).")
@click.option("--dry-run", is_flag=True, help="Check the file and show the summary only.")
@with_appcontext
def import_command(kind: str, path: Path, period: str | None, dry_run: bool) -> None:
    """Import a CSV or XLSX file of KIND; nothing is saved when any row has a problem."""
    try:
        plan = imports.prepare(kind, path.read_bytes(), path.name, period)
        if not dry_run:
            imports.record(plan, "sikd simantap import")
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(CONFLICT.format(name=path.name)) from None
    except TableError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem_line(problem), err=True)
        raise click.ClickException(
            f"{path.name}: refused, {len(error.problems)} problem(s); nothing was changed"
        ) from None
    if dry_run:
        db.session.rollback()
        click.echo(f"{path.name} (dry run, nothing saved): {summary_line(plan)}")
        return
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(CONFLICT.format(name=path.name)) from None
    click.echo(f"{path.name}: {plan.rows} rows; {summary_line(plan)}")
