"""Work-unit performance (kinerja unit kerja): for each unit and its whole subtree, from the
period's published run and, when the archive is enabled, its disposition figures.

Figures of a unit always cover the unit and every unit below it:

- **staff**: the employees of the published run whose unit (at run time) is in the subtree;
- **mean kinerja / mean potensial**: the mean of the published (rounded) axis scores of the
  *mapped* staff, rounded to 2 decimals half up; the **composite** is the mean of the two
  means, rounded the same way;
- **box distribution**: staff per box 1-9, and those not mapped;
- **talent pool share**: staff in boxes 7-9 (kelompok rencana suksesi) as a percentage of all
  the staff, mapped or not;
- **360 completion**: submitted assignments over all assignments of the period, each
  attributed to the unit of its *rater's* current position;
- **disposition figures** (from the ``simantap_unit_activity`` hook, absent when no enabled
  plugin answers it): received, % done on time (done on or before the due date, over the
  dispositions that can be judged: those with a due date that are done or past it; one
  without a due date is neither on time nor late) and the median response hours, the exact
  median (to the minute) of the summed per-unit histograms of response minutes.

**Ranking**: units are ranked by their composite among the units the viewer may see *at the
same depth* of the tree (all Biro together, all Bagian together: a unit's subtree holds its
children, so ranking a parent against its own children would mean nothing). Equal
composites share a rank (1, 2, 2, 4); units without mapped staff have no composite and no
rank.

**Trend**: the same figures for every period that has a published run, oldest first.

Cost: one query for the tree, one for the periods and their published runs, one GROUP BY
over the results, one over the 360 assignments and one hook call (one GROUP BY in the
archive), whatever the number of units or periods; subtrees are summed in Python, bottom up,
from those few rows per unit (the response minutes as sorted lists, merged by one sort).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from sikd_host.plugin_api import Position, Unit, User, collect_hook, db, org
from sikd_simantap.models import Assignment, Period, Result, Run
from sikd_simantap.scoring import mapping

BOXES = tuple(range(1, 10))
EVERY_UNIT = ("simantap.view_all", "simantap.succession")
ACTIVITY_FIELDS = ("received", "with_due_date", "due", "done_on_time", "done")
HUNDREDTH = Decimal("0.01")
TENTH = Decimal("0.1")


class UnitsError(Exception):
    """A request the page cannot answer: ``status`` is 403 or 404."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


# --- pure figures --------------------------------------------------------------------------


def sorted_median(values: list[int]) -> float | None:
    """The median of a sorted list, or None when it is empty."""
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def spread(histogram: Mapping[int, int]) -> list[int]:
    """``{value: count}`` -> the sorted list of the values, each repeated count times."""
    return sorted(Counter(histogram).elements())  # Counter skips counts below 1


def _percent(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP))


def _mean_hundredths(hundredths: int, count: int) -> float | None:
    if count <= 0:
        return None
    value = Decimal(hundredths) / Decimal(count) / 100
    return float(value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP))


@dataclass
class Figures:
    """What adds up over units; every shown figure is derived from these sums."""

    staff: int = 0
    mapped: int = 0
    kinerja_hundredths: int = 0  # sums of the mapped staff's scores, in hundredths: exact
    potensial_hundredths: int = 0
    boxes: dict[int, int] = field(default_factory=dict)
    assignments: int = 0
    submitted: int = 0
    received: int = 0
    with_due_date: int = 0
    due: int = 0
    done_on_time: int = 0
    done: int = 0
    # every response of the units, in whole minutes, sorted: the histograms the hook gives,
    # spread out, so that a subtree's are one sort of its parts' (timsort merges sorted runs)
    # and its median one look-up; never changed in place, so parts can be shared
    minutes: list[int] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        self.add_counts(other)
        if other.minutes:
            self.minutes = sorted(self.minutes + other.minutes) if self.minutes else other.minutes

    def add_counts(self, other: Figures) -> None:
        """Everything but the response minutes."""
        for name in (
            "staff", "mapped", "kinerja_hundredths", "potensial_hundredths", "assignments",
            "submitted", *ACTIVITY_FIELDS,
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for box, count in other.boxes.items():
            self.boxes[box] = self.boxes.get(box, 0) + count

    def copy(self) -> Figures:
        twin = Figures()
        twin.add(self)
        return twin

    @property
    def not_mapped(self) -> int:
        return self.staff - self.mapped

    @property
    def mean_kinerja(self) -> float | None:
        return _mean_hundredths(self.kinerja_hundredths, self.mapped)

    @property
    def mean_potensial(self) -> float | None:
        return _mean_hundredths(self.potensial_hundredths, self.mapped)

    @property
    def composite(self) -> float | None:
        kinerja, potensial = self.mean_kinerja, self.mean_potensial
        if kinerja is None or potensial is None:
            return None
        value = (Decimal(repr(kinerja)) + Decimal(repr(potensial))) / 2
        return float(value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP))

    @property
    def talent_pool(self) -> int:
        return sum(self.boxes.get(box, 0) for box in mapping.TALENT_POOL)

    @property
    def talent_pool_percent(self) -> float | None:
        return _percent(self.talent_pool, self.staff)

    def box_percent(self, box: int) -> float | None:
        """Share of the mapped staff in the box."""
        return _percent(self.boxes.get(box, 0), self.mapped)

    @property
    def completion_percent(self) -> float | None:
        return _percent(self.submitted, self.assignments)

    @property
    def on_time_percent(self) -> float | None:
        return _percent(self.done_on_time, self.due)

    @property
    def median_response_hours(self) -> float | None:
        minutes = sorted_median(self.minutes)
        if minutes is None:
            return None
        value = Decimal(repr(minutes)) / 60
        return float(value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP))


def rank_by_depth(composites: Mapping[int, tuple[int, float | None]]) -> dict[int, int]:
    """``{unit: (depth, composite)}`` -> ``{unit: rank}`` among the units of the same depth,
    best first; equal composites share a rank (1, 2, 2, 4); no composite, no rank."""
    by_depth: dict[int, list[float]] = {}
    for depth, composite in composites.values():
        if composite is not None:
            by_depth.setdefault(depth, []).append(composite)
    ordered = {depth: sorted(values, reverse=True) for depth, values in by_depth.items()}
    firsts: dict[int, dict[float, int]] = {}
    for depth, values in ordered.items():
        positions: dict[float, int] = {}
        for index, value in enumerate(values, start=1):
            positions.setdefault(value, index)
        firsts[depth] = positions
    return {
        unit: firsts[depth][composite]
        for unit, (depth, composite) in composites.items()
        if composite is not None
    }


# --- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: int
    parent_id: int | None
    code: str
    name: str
    depth: int


class Tree:
    """Every unit from one query of (id, parent_id, code, name); children by code."""

    def __init__(self, rows: Iterable[tuple[int, int | None, str, str]]):
        rows = list(rows)
        known = {row[0] for row in rows}
        self.children: dict[int | None, list[int]] = {}
        info = {}
        for unit_id, parent_id, code, name in sorted(rows, key=lambda row: (row[2], row[0])):
            parent = parent_id if parent_id in known and parent_id != unit_id else None
            self.children.setdefault(parent, []).append(unit_id)
            info[unit_id] = (parent, code, name)
        self.nodes: dict[int, Node] = {}
        self.order: list[int] = []  # depth first, pre-order
        starts = list(self.children.get(None, []))
        starts += list(info)  # then any unit caught in a cycle, which no root reaches
        for start in starts:
            if start in self.nodes:
                continue
            stack = [(start, 0)]
            while stack:
                unit_id, level = stack.pop()
                if unit_id in self.nodes:
                    continue
                parent, code, name = info[unit_id]
                self.nodes[unit_id] = Node(unit_id, parent, code, name, level)
                self.order.append(unit_id)
                for child in reversed(self.children.get(unit_id, [])):
                    if child not in self.nodes:
                        stack.append((child, level + 1))
        self.roots = [u for u in self.order if self.nodes[u].depth == 0]

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.nodes

    def subtree(self, unit_id: int) -> list[int]:
        """The unit and every unit below it, pre-order."""
        found, stack, seen = [], [unit_id], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return found

    def forest(self, roots: Iterable[int]) -> list[int]:
        """The subtrees of ``roots``, pre-order, each unit once."""
        found, seen = [], set()
        for root in roots:
            for unit_id in self.subtree(root):
                if unit_id not in seen:
                    seen.add(unit_id)
                    found.append(unit_id)
        return found


def load_tree() -> Tree:
    return Tree(db.session.execute(select(Unit.id, Unit.parent_id, Unit.code, Unit.name)).all())


def totals(tree: Tree, own: Mapping[int, Figures], units: list[int]) -> dict[int, Figures]:
    """Subtree figures of each of ``units`` (a pre-order list of whole subtrees), bottom up:
    each unit's own figures plus its children's totals."""
    wanted = set(units)
    result: dict[int, Figures] = {}
    for unit_id in reversed(units):
        figures = own[unit_id].copy() if unit_id in own else Figures()
        parts = [figures.minutes] if figures.minutes else []
        for child in tree.children.get(unit_id, ()):
            if child in wanted and child in result:
                below = result[child]
                figures.add_counts(below)
                if below.minutes:
                    parts.append(below.minutes)
        figures.minutes = _sorted_union(parts)
        result[unit_id] = figures
    return result


def _sorted_union(parts: list[list[int]]) -> list[int]:
    if len(parts) <= 1:
        return parts[0] if parts else []
    return sorted(chain.from_iterable(parts))


def merged(own: Mapping[int, Figures], units: Iterable[int]) -> Figures:
    """The sum of the own figures of ``units``."""
    figures, parts = Figures(), []
    for unit_id in units:
        if unit_id in own:
            figures.add_counts(own[unit_id])
            if own[unit_id].minutes:
                parts.append(own[unit_id].minutes)
    figures.minutes = _sorted_union(parts)
    return figures


# --- who sees which units ------------------------------------------------------------------


def sees_every_unit(viewer: Any) -> bool:
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and any(viewer.has_permission(name) for name in EVERY_UNIT)
    )


def visible_roots(viewer: Any, tree: Tree) -> list[int] | None:
    """The roots of the subtrees the viewer may see: every root for HR and the succession
    committee, the unit they lead for a unit leader; None for anyone else."""
    if sees_every_unit(viewer):
        return list(tree.roots)
    if viewer is None or not viewer.is_authenticated or viewer.position is None:
        return None
    if not org.leads_unit(viewer):
        return None
    unit_id = viewer.position.unit_id
    return [unit_id] if unit_id in tree else None


def may_see_units(viewer: Any) -> bool:
    """For the menu: HR, the committee and unit leaders."""
    if sees_every_unit(viewer):
        return True
    return bool(viewer is not None and viewer.is_authenticated and org.leads_unit(viewer))


# --- loading -------------------------------------------------------------------------------


def published_periods() -> list[tuple[Period, Run]]:
    """Every period with a published run and that run, oldest first: one query."""
    rows = db.session.execute(
        select(Period, Run)
        .join(Run, Run.period_id == Period.id)
        .where(Run.published.is_(True))
        .order_by(Period.ends_on, Period.id, Run.id)
    ).all()
    seen: dict[int, tuple[Period, Run]] = {}
    for period, run in rows:
        seen.setdefault(period.id, (period, run))
    return list(seen.values())


def _period_view(period: Period) -> SimpleNamespace:
    return SimpleNamespace(
        id=period.id, code=period.code, starts_on=period.starts_on, ends_on=period.ends_on
    )


def _user_units(column: Any) -> tuple[Any, Any]:
    """Each user's unit as a CTE, and ``column`` (a user id) to join it on.

    Materialised on SQLite, it is a compact table read from the narrow index on
    ``position_id`` and probed through an automatic index, instead of a random look-up in
    the wide user table per row; ``+ 0`` keeps SQLite from driving the join from the
    other side. PostgreSQL inlines it and hashes the join either way."""
    query = select(User.id.label("user_id"), Position.unit_id).join(
        Position, Position.id == User.position_id
    )
    cte = query.cte("user_unit")
    if db.session.get_bind().dialect.name != "sqlite":
        return cte, column
    if sqlite3.sqlite_version_info >= (3, 35):
        cte = cte.prefix_with("MATERIALIZED")
    return cte, column + 0


def own_figures(
    pairs: list[tuple[Period, Run]],
) -> tuple[dict[int, dict[int, Figures]], bool]:
    """``{period id: {unit id: the unit's own figures}}`` for the given (period, published
    run) pairs, and whether any plugin gave disposition figures."""
    found: dict[int, dict[int, Figures]] = {period.id: {} for period, _run in pairs}
    if not pairs:
        return found, False
    period_of_run = {run.id: period.id for period, run in pairs}

    def of(period_id: int, unit_id: int) -> Figures:
        units = found[period_id]
        figures = units.get(unit_id)
        if figures is None:
            figures = units[unit_id] = Figures()
        return figures

    connection = db.session.connection()  # Core execution: plain tuples, no ORM work
    unit = Result.unit_id + 0  # so that SQLite reads the run's rows, not the unit index
    for run_id, unit_id, box, count, kinerja, potensial in connection.execute(
        select(
            Result.run_id,
            unit,
            Result.box,
            func.count(),
            func.sum(func.round(Result.kinerja * 100)),
            func.sum(func.round(Result.potensial * 100)),
        )
        .where(Result.run_id.in_(list(period_of_run)))
        .group_by(Result.run_id, unit, Result.box)
    ):
        if unit_id is None:
            continue
        figures = of(period_of_run[run_id], unit_id)
        figures.staff += count
        if box is not None:
            figures.mapped += count
            figures.boxes[box] = figures.boxes.get(box, 0) + count
            figures.kinerja_hundredths += int(round(float(kinerja or 0)))
            figures.potensial_hundredths += int(round(float(potensial or 0)))
    raters, rater = _user_units(Assignment.rater_id)
    for period_id, unit_id, count, submitted in connection.execute(
        select(
            Assignment.period_id,
            raters.c.unit_id,
            func.count(),
            func.count(Assignment.submitted_at),
        )
        .join(raters, raters.c.user_id == rater)
        .where(Assignment.period_id.in_([period.id for period, _run in pairs]))
        .group_by(Assignment.period_id, raters.c.unit_id)
    ):
        figures = of(period_id, unit_id)
        figures.assignments += count
        figures.submitted += int(submitted or 0)
    by_code = {period.code: period.id for period, _run in pairs}
    answers = collect_hook(
        "simantap_unit_activity", periods=[_period_view(period) for period, _run in pairs]
    )
    for _plugin, per_period in answers:
        for code, units in (per_period or {}).items():
            if code not in by_code:
                continue
            for unit_id, activity in units.items():
                figures = of(by_code[code], unit_id)
                for name in ACTIVITY_FIELDS:
                    setattr(figures, name, getattr(figures, name) + int(getattr(activity, name, 0)))
                histogram = getattr(activity, "response_minutes", None) or {}
                if histogram:
                    figures.minutes = sorted(figures.minutes + spread(histogram))
    return found, bool(answers)


# --- the report ----------------------------------------------------------------------------


@dataclass
class Line:
    node: Node
    figures: Figures  # the unit and its whole subtree
    rank: int | None = None
    ranked_at_depth: int = 0


@dataclass
class TrendPoint:
    period: Period
    run: Run
    figures: Figures


@dataclass
class Performance:
    period: Period | None
    run: Run | None
    periods: list[Period]  # with a published run, newest first
    activity: bool  # disposition figures present
    lines: list[Line]  # the shown units, pre-order
    unit: Line | None = None  # the chosen unit
    children: list[Line] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)

    def subtree_lines(self, unit_id: int) -> list[Line]:
        """The lines of the unit and the units below it (contiguous in pre-order)."""
        for index, line in enumerate(self.lines):
            if line.node.id == unit_id:
                found = [line]
                for other in self.lines[index + 1 :]:
                    if other.node.depth <= line.node.depth:
                        break
                    found.append(other)
                return found
        return []

    def ranked(self) -> list[Line]:
        """The lines by depth, then rank (unranked last), then code."""
        return sorted(
            self.lines,
            key=lambda line: (
                line.node.depth,
                line.rank is None,
                line.rank or 0,
                line.node.code,
            ),
        )


def find_period(code: str) -> Period | None:
    return db.session.scalar(select(Period).where(Period.code == code))


def performance(
    viewer: Any,
    period: Period | None = None,
    unit_id: int | None = None,
    trend: bool = False,
) -> Performance:
    """The unit performance the viewer may see for ``period`` (default: the latest with a
    published run), with the chosen unit's children and, if asked, its trend.

    Raises UnitsError(403) for a viewer who may see no unit, UnitsError(404) for a unit that
    does not exist or that the viewer may not see."""
    tree = load_tree()
    roots = visible_roots(viewer, tree)
    if roots is None:
        raise UnitsError(403)
    shown = tree.forest(roots)
    if unit_id is not None and unit_id not in set(shown):
        raise UnitsError(404)
    published = published_periods()
    run_of = {p.id: r for p, r in published}
    if period is None and published:
        period = published[-1][0]
    run = run_of.get(period.id) if period is not None else None
    periods = [p for p, _r in reversed(published)]
    if run is None:  # nothing to show but the units themselves
        report = Performance(
            period, None, periods, False, [Line(tree.nodes[u], Figures()) for u in shown]
        )
        if unit_id is not None:
            report.unit = next(line for line in report.lines if line.node.id == unit_id)
        return report
    wanted = published if (trend and unit_id is not None) else [(period, run)]
    own, activity = own_figures(wanted)
    subtree = totals(tree, own[period.id], shown)
    ranks = rank_by_depth({u: (tree.nodes[u].depth, subtree[u].composite) for u in shown})
    depth_count: dict[int, int] = {}
    for u, _rank in ranks.items():
        depth = tree.nodes[u].depth
        depth_count[depth] = depth_count.get(depth, 0) + 1
    lines = {
        u: Line(tree.nodes[u], subtree[u], ranks.get(u), depth_count.get(tree.nodes[u].depth, 0))
        for u in shown
    }
    report = Performance(period, run, periods, activity, [lines[u] for u in shown])
    if unit_id is not None:
        report.unit = lines[unit_id]
        report.children = [lines[c] for c in tree.children.get(unit_id, ()) if c in lines]
        if trend:
            units = tree.subtree(unit_id)
            report.trend = [TrendPoint(p, r, merged(own[p.id], units)) for p, r in published]
    return report


# --- exports -------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "kode_unit",
    "nama_unit",
    "kode_induk",
    "tingkat",
    "pegawai",
    "dipetakan",
    "rata_kinerja",
    "rata_potensial",
    "skor_gabungan",
    "peringkat",
    *(f"kotak_{box}" for box in BOXES),
    "belum_dipetakan",
    "kelompok_suksesi",
    "persen_kelompok_suksesi",
    "penilaian_360",
    "penilaian_360_selesai",
    "persen_penilaian_360",
    "disposisi_diterima",
    "disposisi_dinilai",
    "disposisi_tepat_waktu",
    "persen_tepat_waktu",
    "median_respons_jam",
)


def export_rows(report: Performance) -> Iterator[list[Any]]:
    """One row per shown unit, pre-order, in EXPORT_COLUMNS order (its subtree figures);
    the disposition columns are empty when no plugin gave disposition figures."""
    codes = {line.node.id: line.node.code for line in report.lines}
    for line in report.lines:
        f = line.figures
        activity = (
            [f.received, f.due, f.done_on_time, f.on_time_percent, f.median_response_hours]
            if report.activity
            else [None] * 5
        )
        yield [
            line.node.code,
            line.node.name,
            codes.get(line.node.parent_id, "") if line.node.parent_id else "",
            line.node.depth,
            f.staff,
            f.mapped,
            f.mean_kinerja,
            f.mean_potensial,
            f.composite,
            line.rank,
            *(f.boxes.get(box, 0) for box in BOXES),
            f.not_mapped,
            f.talent_pool,
            f.talent_pool_percent,
            f.assignments,
            f.submitted,
            f.completion_percent,
            *activity,
        ]


def export_csv(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    import csv
    import io

    from sikd_simantap.results import csv_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(cell) for cell in row])
        yield buffer.getvalue().encode("utf-8")


def export_xlsx(rows: Iterable[list[Any]]) -> bytes:
    """Write-only workbook, text cells as text (never evaluated), as the nine-box export."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("unit_kerja")
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


def export_name(report: Performance, fmt: str) -> str:
    code = report.period.code if report.period else "none"
    run = report.run.id if report.run else 0
    return f"unit-kerja-{code}-run{run}.{fmt}"
