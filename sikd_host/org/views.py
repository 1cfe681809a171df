"""Admin pages for units and positions, and the organisation import."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sikd_host.audit import service as audit
from sikd_host.extensions import db
from sikd_host.org.forms import ImportForm, PositionForm, UnitForm
from sikd_host.org.importer import (
    HELD_BY_SEVERAL,
    POSITION_COLUMNS,
    UNIT_COLUMNS,
    find_cycle,
    import_positions,
    import_units,
)
from sikd_host.org.models import Position, Unit
from sikd_host.org.queries import active_holders
from sikd_host.permissions import permission_required
from sikd_host.tabular import TableError, read_table, template_csv, template_xlsx

bp = Blueprint("org", __name__, url_prefix="/admin/org")

IMPORTERS = {
    "units": (UNIT_COLUMNS, import_units),
    "positions": (POSITION_COLUMNS, import_positions),
}


def unit_tree() -> list[tuple[Unit, int]]:
    """All units in tree order with their depth, from one query."""
    units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


@bp.route("/units")
@permission_required("admin.org")
def units() -> Any:
    return render_template("org/units.html", tree=unit_tree())


def _unit_choices() -> list[tuple[int, str]]:
    return [(0, "-")] + [(u.id, "\u2003" * d + f"{u.code} {u.name}") for u, d in unit_tree()]


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@permission_required("admin.org")
def unit_form(unit_id: int | None = None) -> Any:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    form = UnitForm(obj=unit)
    form.parent_id.choices = _unit_choices()
    if form.validate_on_submit():
        error = _unit_error(unit, form)
        if error:
            field, message = error
            form[field].errors.append(message)
        else:
            created = unit is None
            unit = unit or Unit()
            before = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id}
            unit.code, unit.name = form.code.data.strip(), form.name.data.strip()
            unit.parent_id = form.parent_id.data or None
            db.session.add(unit)
            db.session.flush()
            audit.record(
                None,
                "org.unit_created" if created else "org.unit_changed",
                "unit",
                unit.id,
                {
                    "before": before,
                    "after": {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id},
                },
            )
            db.session.commit()
            flash(_("Unit saved."), "success")
            return redirect(url_for("org.units"))
    status = 422 if form.errors else 200
    return render_template("org/unit_form.html", form=form, unit=unit), status


def _unit_error(unit: Unit | None, form: UnitForm) -> tuple[str, str] | None:
    """The field at fault and the message, or None when the unit can be saved."""
    code = form.code.data.strip()
    clash = db.session.scalar(select(Unit).where(Unit.code == code))
    if clash is not None and clash is not unit:
        return "code", _("The code %(code)s is already used.", code=code)
    if unit is not None and form.parent_id.data:
        parent_of = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
        parent_of[unit.id] = form.parent_id.data
        if find_cycle(parent_of, [unit.id]):
            return "parent_id", _("A unit cannot be placed under itself or its own sub-units.")
    return None


@bp.route("/positions")
@permission_required("admin.org")
def positions() -> Any:
    rows = db.session.scalars(
        select(Position)
        .options(
            selectinload(Position.unit),
            selectinload(Position.superior),
            selectinload(Position.holders),
        )
        .order_by(Position.code)
    ).all()
    return render_template("org/positions.html", positions=rows)


@bp.route("/positions/new", methods=["GET", "POST"])
@bp.route("/positions/<int:position_id>", methods=["GET", "POST"])
@permission_required("admin.org")
def position_form(position_id: int | None = None) -> Any:
    position = db.session.get(Position, position_id) if position_id else None
    if position_id and position is None:
        abort(404)
    form = PositionForm(obj=position)
    form.unit_id.choices = _unit_choices()[1:]
    form.superior_id.choices = [(0, "-")] + [
        (p.id, f"{p.code} {p.name}")
        for p in db.session.scalars(select(Position).order_by(Position.code))
        if p is not position
    ]
    if form.validate_on_submit():
        error = _position_error(position, form)
        if error:
            form.code.errors.append(error)
        else:
            created = position is None
            position = position or Position()
            position.code, position.name = form.code.data.strip(), form.name.data.strip()
            position.unit_id, position.kind = form.unit_id.data, form.kind.data
            position.eselon = form.eselon.data or None if form.kind.data == "struktural" else None
            position.jenjang = form.jenjang.data or None if form.kind.data == "fungsional" else None
            position.superior_id = form.superior_id.data or None
            position.critical = form.critical.data
            db.session.add(position)
            db.session.flush()
            audit.record(
                None,
                "org.position_created" if created else "org.position_changed",
                "position",
                position.id,
                {"code": position.code},
            )
            db.session.commit()
            flash(_("Position saved."), "success")
            return redirect(url_for("org.positions"))
    status = 422 if form.errors else 200
    return render_template("org/position_form.html", form=form, position=position), status


def _position_error(position: Position | None, form: PositionForm) -> str | None:
    code = form.code.data.strip()
    clash = db.session.scalar(select(Position).where(Position.code == code))
    if clash is not None and clash is not position:
        return _("The code %(code)s is already used.", code=code)
    if form.kind.data == "struktural" and not form.eselon.data:
        return _("A structural position needs an eselon.")
    if form.kind.data == "struktural" and position is not None and not position.is_structural:
        holders = active_holders([position.id]).get(position.id, [])
        if len(holders) > 1:
            return _(HELD_BY_SEVERAL, position=position.code, holders=", ".join(holders))
    if position is not None and form.superior_id.data:
        superior_of = dict(db.session.execute(select(Position.id, Position.superior_id)).all())
        superior_of[position.id] = form.superior_id.data
        if find_cycle(superior_of, [position.id]):
            return _("A position cannot report to itself or to its own subordinates.")
    return None


@bp.route("/import", methods=["GET", "POST"])
@permission_required("admin.org")
def import_file() -> Any:
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        columns, importer = IMPORTERS[form.kind.data]
        upload = form.file.data
        try:
            table = read_table(upload.stream, columns, filename=upload.filename or "")
            result = importer(table)
        except TableError as error:
            db.session.rollback()
            problems = error.problems
        else:
            if result.changed:
                audit.record(
                    None,
                    f"org.import_{form.kind.data}",
                    "file",
                    upload.filename or "",
                    {"created": result.created, "updated": result.updated},
                )
            db.session.commit()
            flash(
                _(
                    "Import finished: %(created)s created, %(updated)s updated, "
                    "%(unchanged)s unchanged.",
                    created=result.created,
                    updated=result.updated,
                    unchanged=result.unchanged,
                ),
                "success",
            )
            return redirect(url_for("org.import_file"))
    status = 422 if (problems or form.errors) else 200
    return render_template("org/import.html", form=form, problems=problems), status


@bp.route("/template/<kind>.<fmt>")
@permission_required("admin.org")
def template(kind: str, fmt: str) -> Response:
    if kind not in IMPORTERS or fmt not in ("csv", "xlsx"):
        abort(404)
    columns = IMPORTERS[kind][0]
    name = {"units": "unit", "positions": "jabatan"}[kind]
    if fmt == "csv":
        body, mimetype = template_csv(columns), "text/csv"
    else:
        body = template_xlsx(columns)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
