"""Queries behind the result pages: who may see which result (as SQL), an employee's result
with its explanation, nine-box counts with filters, the members of a box, the distribution
per unit and the nine-box export.

Who sees what: HR (``simantap.view_all``) every result of every run; a unit leader the
published results of their unit subtree (the unit at run time); everyone their own published
result. Anything else does not exist for the viewer (404). 360 appears only as the aggregate
indicator, never as individual ratings.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from sikd_host.plugin_api import Position, Unit, User, db, org
from sikd_simantap.models import Employee, Period, Result, Run
from sikd_simantap.scoring import mapping
from sikd_simantap.scoring import profile as profiles

EXPORT_COLUMNS = (
    "nip",
    "nama",
    "unit",
    "jabatan",
    "skor_kinerja",
    "skor_potensial",
    "kategori_kinerja",
    "kategori_potensial",
    "kotak",
    "cakupan",
)
# the export speaks the regulation's words (DOMAIN.md section 5)
CATEGORY_WORDS = {
    "di_bawah": "di bawah ekspektasi",
    "sesuai": "sesuai ekspektasi",
    "di_atas": "di atas ekspektasi",
    "rendah": "rendah",
    "menengah": "menengah",
    "tinggi": "tinggi",
}
# the grid as section 5 draws it: kinerja rows top to bottom, potensial columns left to right
GRID_ROWS = ("di_atas", "sesuai", "di_bawah")
GRID_COLUMNS = ("rendah", "menengah", "tinggi")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- who sees what -----------------------------------------------------------------------


def sees_all(viewer: Any) -> bool:
    """HR, and the placement committee (who must see the candidates' results)."""
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and (
            viewer.has_permission("simantap.view_all")
            or viewer.has_permission("simantap.succession")
        )
    )


def leads(viewer: Any) -> bool:
    """The viewer is logged in and leads a unit (holds its top structural position)."""
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and viewer.position is not None
        and org.leads_unit(viewer)
    )


def led_units(viewer: Any) -> Select | None:
    """The unit subtree the viewer leads, as a SELECT of ids, or None."""
    return org.unit_subtree_ids(viewer.position.unit_id) if leads(viewer) else None


def scope_shape(viewer: Any, run: Run) -> str:
    """Which of the viewer's results of ``run`` they may see: "all" (HR, the committee),
    "none" (anonymous, or a run not published), "own" (their own) or "subtree" (their own
    and those of the unit subtree they lead)."""
    if viewer is None or not viewer.is_authenticated:
        return "none"
    if sees_all(viewer):
        return "all"
    if not run.published:
        return "none"
    return "subtree" if leads(viewer) else "own"


def _scope_condition(shape: str, viewer_id: Any, unit_id: Any) -> ColumnElement[bool]:
    if shape == "all":
        return true()
    if shape == "none":
        return false()
    own = Result.user_id == viewer_id
    if shape == "own":
        return own
    return or_(own, Result.unit_id.in_(org.unit_subtree_ids(unit_id)))


def scope(viewer: Any, run: Run) -> ColumnElement[bool]:
    """The WHERE condition on Result of the results of ``run`` the viewer may see."""
    shape = scope_shape(viewer, run)
    unit_id = viewer.position.unit_id if shape == "subtree" else None
    return _scope_condition(shape, getattr(viewer, "id", None), unit_id)


def may_see_grid(viewer: Any) -> bool:
    """The nine-box (of a subtree or of everyone) is for leaders and HR."""
    return sees_all(viewer) or led_units(viewer) is not None


# --- periods and runs --------------------------------------------------------------------


def periods_with_published_runs() -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(select(Run.id).where(Run.period_id == Period.id, Run.published).exists())
            .order_by(Period.ends_on.desc())
        )
    )


def published_run_of(period: Period) -> Run | None:
    return db.session.scalar(
        select(Run).where(Run.period_id == period.id, Run.published.is_(True)).limit(1)
    )


def latest_own_result(user_id: int) -> tuple[Run, Result] | None:
    """The user's result in the published run of the latest period that has one."""
    row = db.session.execute(
        select(Run, Result)
        .join(Result, and_(Result.run_id == Run.id, Result.user_id == user_id))
        .join(Period, Period.id == Run.period_id)
        .where(Run.published.is_(True))
        .order_by(Period.ends_on.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


# --- an employee's result, explained -----------------------------------------------------


@dataclass(frozen=True)
class Part:
    indicator: str
    label: str
    value: float | None
    weight: float
    share: float  # the weight as a percentage of the axis
    contribution: float | None  # points of the axis score it brings


@dataclass
class Axis:
    name: str
    score: float | None
    coverage: float
    band: str | None
    thresholds: tuple[float, float]
    band_names: tuple[str, str, str]
    parts: list[Part]
    missing: list[str]


@dataclass
class Explanation:
    run: Run
    period: Period
    result: Result
    name: str
    nip: str | None
    unit: str | None
    position: str | None
    axes: list[Axis]
    coverage_min: float
    follow_up: str | None
    talent_pool: bool
    extra: dict[str, float] = field(default_factory=dict)  # indicators outside the profile


@functools.cache
def _explained_result(shape: str) -> Select[Any]:
    """The result of one employee in one run, with their name, NIP, unit and position, for
    viewers of one shape (:func:`scope_shape`): built once, the run, the employee and the
    viewer bound when it runs."""
    viewer_id, unit_id = bindparam("viewer_id", type_=Integer), bindparam("unit_id", type_=Integer)
    return (
        select(Result, User.full_name, User.nip, Unit.name, Position.name)
        .join(User, User.id == Result.user_id)
        .outerjoin(Unit, Unit.id == Result.unit_id)
        .outerjoin(Position, Position.id == Result.position_id)
        .where(
            Result.run_id == bindparam("run_id", type_=Integer),
            Result.user_id == bindparam("user_id", type_=Integer),
            _scope_condition(shape, viewer_id, unit_id),
        )
    )


def explain(run: Run, user_id: int, viewer: Any) -> Explanation | None:
    """The result of ``user_id`` in ``run`` with its explanation, or None when it does not
    exist or the viewer may not see it."""
    shape = scope_shape(viewer, run)
    if shape == "none":
        return None
    values = {"run_id": run.id, "user_id": user_id, "viewer_id": viewer.id, "unit_id": 0}
    if shape == "subtree":
        values["unit_id"] = viewer.position.unit_id
    row = db.session.execute(_explained_result(shape), values).first()
    if row is None:
        return None
    result, name, nip, unit, position = row
    values = result.indicators
    profile = run.profile
    axes = []
    for axis, band_names, band in (
        ("kinerja", mapping.KINERJA_BANDS, result.kinerja_band),
        ("potensial", mapping.POTENSIAL_BANDS, result.potensial_band),
    ):
        weights = profile["weights"][axis]
        computed = mapping.axis_score(values, weights)
        shares = profiles.shares(profile, axis)
        parts = [
            Part(
                part.indicator,
                profiles.INDICATORS.get(part.indicator, part.indicator),
                part.value,
                part.weight,
                shares.get(part.indicator, 0.0),
                part.contribution,
            )
            for part in computed.parts
            if part.weight > 0
        ]
        low, high = profile["bands"][axis]
        axes.append(
            Axis(
                axis,
                result.kinerja if axis == "kinerja" else result.potensial,
                result.coverage_kinerja if axis == "kinerja" else result.coverage_potensial,
                band,
                (low, high),
                band_names,
                parts,
                list(computed.missing),
            )
        )
    used = {name for axis in profile["weights"].values() for name in axis}
    return Explanation(
        run=run,
        period=run.period,
        result=result,
        name=name,
        nip=nip,
        unit=unit,
        position=position,
        axes=axes,
        coverage_min=profile["coverage_min"],
        follow_up=mapping.FOLLOW_UP.get(result.box) if result.box else None,
        talent_pool=result.box in mapping.TALENT_POOL,
        extra={k: v for k, v in values.items() if k not in used},
    )


# --- the nine-box ------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    unit_id: int | None = None
    eselon: str | None = None
    kind: str | None = None
    golongan: str | None = None

    def as_args(self) -> dict[str, Any]:
        args = {"unit": self.unit_id, "eselon": self.eselon, "kind": self.kind}
        args["golongan"] = self.golongan
        return {k: v for k, v in args.items() if v not in (None, "")}


def _filtered(statement: Select, run: Run, viewer: Any, filters: Filters) -> Select:
    """Add the run, the viewer's scope and the filters to a SELECT over Result."""
    statement = statement.where(Result.run_id == run.id, scope(viewer, run))
    if filters.unit_id is not None:
        statement = statement.where(Result.unit_id.in_(org.unit_subtree_ids(filters.unit_id)))
    if filters.eselon or filters.kind:
        held = aliased(Position)
        statement = statement.join(held, held.id == Result.position_id)
        if filters.eselon:
            statement = statement.where(held.eselon == filters.eselon)
        if filters.kind:
            statement = statement.where(held.kind == filters.kind)
    if filters.golongan:
        statement = statement.join(Employee, Employee.user_id == Result.user_id).where(
            Employee.golongan == filters.golongan
        )
    return statement


@dataclass
class Grid:
    counts: dict[int, int]  # box -> employees
    not_mapped: int

    @property
    def mapped(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> int:
        return self.mapped + self.not_mapped

    def percent(self, box: int) -> float:
        """Share of the mapped employees in the box, to one decimal."""
        return round(self.counts.get(box, 0) / self.mapped * 100, 1) if self.mapped else 0.0

    @property
    def not_mapped_percent(self) -> float:
        return round(self.not_mapped / self.total * 100, 1) if self.total else 0.0

    def rows(self) -> list[tuple[str, list[int]]]:
        """(kinerja band, boxes left to right) top to bottom, as section 5 draws the grid."""
        return [
            (row, [mapping.NINE_BOX[(row, column)] for column in GRID_COLUMNS]) for row in GRID_ROWS
        ]


def grid(run: Run, viewer: Any, filters: Filters = Filters()) -> Grid:
    counts: dict[int, int] = {}
    not_mapped = 0
    statement = _filtered(select(Result.box, func.count()), run, viewer, filters)
    for box, count in db.session.execute(statement.group_by(Result.box)):
        if box is None:
            not_mapped = count
        else:
            counts[box] = count
    return Grid(counts, not_mapped)


@dataclass(frozen=True)
class Member:
    user_id: int
    nip: str | None
    name: str
    unit: str | None
    position: str | None
    kinerja: float | None
    potensial: float | None
    kinerja_band: str | None
    potensial_band: str | None
    box: int | None
    coverage: float
    missing: list[str]


def _member_statement(run: Run, viewer: Any, filters: Filters) -> Select:
    statement = (
        select(
            Result.user_id,
            User.nip,
            User.full_name,
            Unit.name,
            Position.name,
            Result.kinerja,
            Result.potensial,
            Result.kinerja_band,
            Result.potensial_band,
            Result.box,
            Result.coverage_kinerja,
            Result.coverage_potensial,
            Result.missing,
        )
        .join(User, User.id == Result.user_id)
        .outerjoin(Unit, Unit.id == Result.unit_id)
        .outerjoin(Position, Position.id == Result.position_id)
    )
    return _filtered(statement, run, viewer, filters)


def _member(row: Any) -> Member:
    return Member(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
        min(row[10], row[11]), list(row[12] or []),
    )  # fmt: skip


def members(
    run: Run,
    viewer: Any,
    filters: Filters = Filters(),
    box: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[Member], int]:
    """The employees of one box (None: not mapped), best first, a page of them, and how
    many there are."""
    condition = Result.box.is_(None) if box is None else Result.box == box
    statement = _member_statement(run, viewer, filters).where(condition)
    total = db.session.scalar(
        _filtered(select(func.count()).select_from(Result), run, viewer, filters).where(condition)
    )
    rows = db.session.execute(
        statement.order_by(
            Result.kinerja.desc(), Result.potensial.desc(), User.full_name, Result.user_id
        )
        .limit(limit)
        .offset(offset)
    )
    return [_member(row) for row in rows], int(total or 0)


@dataclass
class UnitLine:
    unit_id: int | None
    code: str
    name: str
    counts: dict[int, int]
    not_mapped: int

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.not_mapped

    @property
    def talent_pool(self) -> int:
        return sum(n for box, n in self.counts.items() if box in mapping.TALENT_POOL)


def distribution(run: Run, viewer: Any, filters: Filters = Filters()) -> list[UnitLine]:
    """Counts per box for each unit (the unit at run time), by unit code."""
    statement = _filtered(
        select(Result.unit_id, Unit.code, Unit.name, Result.box, func.count()).outerjoin(
            Unit, Unit.id == Result.unit_id
        ),
        run,
        viewer,
        filters,
    ).group_by(Result.unit_id, Unit.code, Unit.name, Result.box)
    lines: dict[int | None, UnitLine] = {}
    for unit_id, code, name, box, count in db.session.execute(statement):
        line = lines.setdefault(unit_id, UnitLine(unit_id, code or "-", name or "-", {}, 0))
        if box is None:
            line.not_mapped += count
        else:
            line.counts[box] = count
    return sorted(lines.values(), key=lambda line: line.code)


# --- export ------------------------------------------------------------------------------


def export_rows(run: Run, viewer: Any, filters: Filters = Filters()) -> Iterator[list[Any]]:
    """The nine-box export rows, in EXPORT_COLUMNS order, streamed from the database."""
    statement = _member_statement(run, viewer, filters).order_by(
        Unit.code, User.full_name, Result.user_id
    )
    for row in db.session.execute(statement.execution_options(yield_per=2000)):
        member = _member(row)
        yield [
            member.nip or "",
            member.name,
            member.unit or "",
            member.position or "",
            member.kinerja,
            member.potensial,
            CATEGORY_WORDS.get(member.kinerja_band or "", ""),
            CATEGORY_WORDS.get(member.potensial_band or "", ""),
            member.box,
            member.coverage,
        ]


def csv_cell(value: Any) -> str:
    """A cell as CSV text a spreadsheet will not run as a formula (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bool, int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_csv(rows: Iterator[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(cell) for cell in row])
        yield buffer.getvalue().encode("utf-8")


def export_xlsx(rows: Iterator[list[Any]]) -> bytes:
    """An XLSX workbook; text cells are written as text (never evaluated), NIP as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("ninebox")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def unit_choices(viewer: Any) -> list[tuple[int, str]]:
    """Units the viewer may filter on: every unit for HR, their subtree for a leader."""
    if sees_all(viewer):
        return org.unit_choices()
    units = led_units(viewer)
    return [] if units is None else org.unit_choices(within=units)


def filter_values() -> Mapping[str, list[str]]:
    """Distinct eselon, kind and golongan values to offer as filters."""
    return {
        "eselon": sorted(v for v in db.session.scalars(select(Position.eselon).distinct()) if v),
        "kind": sorted(v for v in db.session.scalars(select(Position.kind).distinct()) if v),
        "golongan": sorted(
            v for v in db.session.scalars(select(Employee.golongan).distinct()) if v
        ),
    }
