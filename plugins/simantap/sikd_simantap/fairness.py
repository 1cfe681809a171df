"""The fairness view (issue 6, item 8): how the boxes and the talent pool of a run spread
over gender (derived from the NIP, DOMAIN.md section 2), golongan, education and unit, so a
committee sees any skew before it decides.

Every breakdown is one GROUP BY query over the run's results (group x box -> count); Python
only folds those few rows into groups, never loops over employees. Golongan and education
are the employee's talent data as they stand now; the unit is the unit at run time, counted
under its top-level unit (or under the chosen unit's children) through a recursive CTE.
These are aggregates for HR and the placement committee: every result of the run counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import aliased

from sikd_host.plugin_api import N_, Unit, User, db, ranks
from sikd_simantap.models import Employee, Result, Run
from sikd_simantap.scoring.indicators import EDUCATION_VALUES
from sikd_simantap.scoring.mapping import TALENT_POOL

DIMENSIONS = ("gender", "golongan", "pendidikan", "unit")
DIMENSION_LABELS = {
    "gender": N_("Gender"),
    "golongan": N_("Golongan"),
    "pendidikan": N_("Education (pendidikan)"),
    "unit": N_("Work unit (unit kerja)"),
}
# the NIP's 15th digit (DOMAIN.md section 2)
GENDER_DIGITS = {"1": "pria", "2": "wanita"}
GENDER_LABELS = {"pria": N_("Male"), "wanita": N_("Female")}
# boxes grouped low to high; the last group is the talent pool (kelompok rencana suksesi)
BOX_GROUPS = ((1, 2, 3), (4, 5, 6), (7, 8, 9))
BOX_GROUP_LABELS = (N_("Boxes 1-3"), N_("Boxes 4-6"), N_("Boxes 7-9 (talent pool)"))
EDUCATION_ORDER = {level: rank for rank, level in enumerate(EDUCATION_VALUES)}


def share(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, to one decimal (0 when there is no whole)."""
    return round(part / whole * 100, 1) if whole else 0.0


@dataclass
class Group:
    """The employees of one value of a dimension (``key`` None: not recorded)."""

    key: Any
    label: str
    counts: dict[int, int] = field(default_factory=dict)  # box -> employees
    not_mapped: int = 0
    code: str = ""  # units only
    own: bool = False  # units only: the chosen unit's own staff, not its children's

    @property
    def mapped(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> int:
        return self.mapped + self.not_mapped

    @property
    def pool(self) -> int:
        return sum(n for box, n in self.counts.items() if box in TALENT_POOL)

    @property
    def pool_percent(self) -> float:
        """Share of the group's mapped employees in the talent pool."""
        return share(self.pool, self.mapped)

    @property
    def not_mapped_percent(self) -> float:
        """Share of the group's employees not mapped (data incomplete)."""
        return share(self.not_mapped, self.total)

    def percent(self, box: int) -> float:
        """Share of the group's mapped employees in ``box``."""
        return share(self.counts.get(box, 0), self.mapped)

    def group_counts(self) -> list[int]:
        return [sum(self.counts.get(box, 0) for box in boxes) for boxes in BOX_GROUPS]

    def group_percents(self) -> list[float]:
        return [share(n, self.mapped) for n in self.group_counts()]

    def add(self, box: int | None, count: int) -> None:
        if box is None:
            self.not_mapped += count
        else:
            self.counts[box] = self.counts.get(box, 0) + count


@dataclass
class Breakdown:
    dimension: str
    groups: list[Group]

    @property
    def label(self) -> str:
        return DIMENSION_LABELS[self.dimension]

    @property
    def total(self) -> Group:
        whole = Group("total", "")
        for group in self.groups:
            for box, count in group.counts.items():
                whole.add(box, count)
            whole.add(None, group.not_mapped)
        return whole


def _rows(statement: Select) -> list[tuple[Any, int | None, int]]:
    return [(key, box, int(count)) for key, box, count in db.session.execute(statement)]


def _fold(rows: Iterable[tuple[Any, int | None, int]], label: Any) -> dict[Any, Group]:
    groups: dict[Any, Group] = {}
    for key, box, count in rows:
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, label(key))
        group.add(box, count)
    return groups


def _grouped(run: Run, key: Any, *joins: tuple[Any, Any]) -> Select:
    statement = select(key, Result.box, func.count()).select_from(Result)
    for table, on in joins:
        statement = statement.outerjoin(table, on)
    return statement.where(Result.run_id == run.id).group_by(key, Result.box)


def by_gender(run: Run) -> Breakdown:
    # literal positions so PostgreSQL sees the same expression in SELECT and GROUP BY
    digit = func.substr(User.nip, literal_column("15"), literal_column("1"))
    rows = _rows(_grouped(run, digit, (User, User.id == Result.user_id)))
    merged = [(GENDER_DIGITS.get(d or ""), box, n) for d, box, n in rows]
    groups = _fold(merged, lambda key: GENDER_LABELS.get(key, ""))
    order = {"pria": 0, "wanita": 1}
    return Breakdown("gender", sorted(groups.values(), key=lambda g: order.get(g.key, 9)))


def by_golongan(run: Run) -> Breakdown:
    rows = _rows(_grouped(run, Employee.golongan, (Employee, Employee.user_id == Result.user_id)))
    groups = _fold(rows, lambda key: key or "")
    rank = ranks.GOLONGAN_ORDER
    return Breakdown(
        "golongan",
        sorted(groups.values(), key=lambda g: (g.key is None, rank.get(g.key, 99), g.key or "")),
    )


def by_pendidikan(run: Run) -> Breakdown:
    rows = _rows(_grouped(run, Employee.pendidikan, (Employee, Employee.user_id == Result.user_id)))
    groups = _fold(rows, lambda key: key or "")
    order = EDUCATION_ORDER
    return Breakdown(
        "pendidikan",
        sorted(groups.values(), key=lambda g: (g.key is None, order.get(g.key, 99), g.key or "")),
    )


def unit_roots(parent_id: int | None) -> list[tuple[int, str, str]]:
    """The units a unit breakdown groups by: the top-level units, or ``parent_id``'s
    children, as (id, code, name) by code."""
    condition = Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id
    return [
        (i, code, name)
        for i, code, name in db.session.execute(
            select(Unit.id, Unit.code, Unit.name).where(condition).order_by(Unit.code)
        )
    ]


def by_unit(run: Run, parent: Unit | None = None) -> Breakdown:
    """Counts under each top-level unit (with its whole subtree), or, for ``parent``, under
    each of its children plus a group for the employees of ``parent`` itself. Without a
    parent, results with no unit form a group of their own (key None)."""
    parent_id = parent.id if parent is not None else None
    condition = Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id
    tree = (
        select(Unit.id.label("unit_id"), Unit.id.label("root_id"))
        .where(condition)
        .cte("fairness_units", recursive=True)
    )
    child = aliased(Unit)
    tree = tree.union_all(select(child.id, tree.c.root_id).where(child.parent_id == tree.c.unit_id))
    mapping: Any = select(tree.c.unit_id, tree.c.root_id)
    if parent_id is not None:
        mapping = mapping.union_all(select(Unit.id, Unit.id).where(Unit.id == parent_id))
    mapping = mapping.subquery("fairness_unit_map")
    statement = select(mapping.c.root_id, Result.box, func.count()).select_from(Result)
    if parent_id is None:
        statement = statement.outerjoin(mapping, mapping.c.unit_id == Result.unit_id)
    else:
        statement = statement.join(mapping, mapping.c.unit_id == Result.unit_id)
    statement = statement.where(Result.run_id == run.id).group_by(mapping.c.root_id, Result.box)
    found = _fold(_rows(statement), lambda key: "")
    groups = []
    if parent is not None:
        own = found.get(parent.id, Group(parent.id, ""))
        own.label, own.code, own.own = parent.name, parent.code, True
        groups.append(own)
    for unit_id, code, name in unit_roots(parent_id):
        group = found.get(unit_id, Group(unit_id, ""))
        group.label, group.code = name, code
        groups.append(group)
    if None in found:
        groups.append(found[None])
    return Breakdown("unit", groups)


def breakdowns(run: Run, parent: Unit | None = None) -> list[Breakdown]:
    """Every breakdown of ``run``, in DIMENSIONS order (four GROUP BY queries and one for
    the unit labels)."""
    return [by_gender(run), by_golongan(run), by_pendidikan(run), by_unit(run, parent)]
