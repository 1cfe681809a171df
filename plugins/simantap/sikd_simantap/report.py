"""Queries behind the printable "Laporan Pemetaan Talenta" of a period (issue 6, item 6):
the summary of its published run (employees scored, mapped, not mapped and why, in counts),
the whole nine-box and the follow-up per box. The unit distribution and the fairness tables
come from ``fairness``, the talent pool from ``pool``.

The report is for HR and the placement committee and covers every result of the run; each
figure is one aggregate query (GROUP BY), never a loop over employees.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Text, and_, case, cast, func, or_, select

from sikd_host.plugin_api import db
from sikd_simantap.models import Period, Result, Run
from sikd_simantap.results import Grid
from sikd_simantap.scoring.mapping import FOLLOW_UP, TALENT_POOL
from sikd_simantap.succession import Basis


@dataclass
class Summary:
    employees: int
    mapped: int
    not_mapped: int
    coverage_min: float
    kinerja_only: int  # not mapped: only kinerja below the minimum coverage
    potensial_only: int  # only potensial below it
    both: int  # both axes below it
    missing: list[tuple[str, int]] = field(default_factory=list)  # indicator, employees

    @property
    def mapped_percent(self) -> float:
        return round(self.mapped / self.employees * 100, 1) if self.employees else 0.0

    @property
    def not_mapped_percent(self) -> float:
        return round(self.not_mapped / self.employees * 100, 1) if self.employees else 0.0


def summary(run: Run) -> Summary:
    """How many employees the run scored and mapped, and why the others are not mapped:
    which axis lacks coverage, and how many of them miss each source."""
    minimum = float(run.profile.get("coverage_min", 60))
    unmapped = Result.box.is_(None)
    kinerja_short = or_(Result.kinerja.is_(None), Result.coverage_kinerja < minimum)
    potensial_short = or_(Result.potensial.is_(None), Result.coverage_potensial < minimum)

    def count_if(condition: object) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(),
            count_if(Result.box.is_not(None)),
            count_if(and_(unmapped, kinerja_short, ~potensial_short)),
            count_if(and_(unmapped, ~kinerja_short, potensial_short)),
            count_if(and_(unmapped, kinerja_short, potensial_short)),
        ).where(Result.run_id == run.id)
    ).one()
    employees, mapped, kinerja_only, potensial_only, both = (int(v or 0) for v in row)
    # the missing sources of the not mapped, one row per distinct combination
    missing_text = cast(Result.missing, Text)
    tally: Counter[str] = Counter()
    for text, count in db.session.execute(
        select(missing_text, func.count())
        .where(Result.run_id == run.id, unmapped)
        .group_by(missing_text)
    ):
        for indicator in json.loads(text or "[]") or []:
            tally[indicator] += int(count)
    return Summary(
        employees=employees,
        mapped=mapped,
        not_mapped=employees - mapped,
        coverage_min=minimum,
        kinerja_only=kinerja_only,
        potensial_only=potensial_only,
        both=both,
        missing=sorted(tally.items(), key=lambda item: (-item[1], item[0])),
    )


def whole_grid(run: Run) -> Grid:
    """The nine-box counts of every result of the run (the report is not scoped to a
    viewer's subtree: it is for HR and the committee)."""
    counts: dict[int, int] = {}
    not_mapped = 0
    for box, count in db.session.execute(
        select(Result.box, func.count()).where(Result.run_id == run.id).group_by(Result.box)
    ):
        if box is None:
            not_mapped = int(count)
        else:
            counts[int(box)] = int(count)
    return Grid(counts, not_mapped)


@dataclass(frozen=True)
class FollowUp:
    box: int
    action: str
    employees: int
    talent_pool: bool


def follow_ups(grid: Grid) -> list[FollowUp]:
    """Section 5's follow-up of each box, best box first, with how many it concerns."""
    return [
        FollowUp(box, FOLLOW_UP[box], grid.counts.get(box, 0), box in TALENT_POOL)
        for box in sorted(FOLLOW_UP, reverse=True)
    ]


def basis_of(run: Run, period: Period) -> Basis:
    """The run as the basis the talent pool is read from."""
    return Basis(run.id, period.id, period.code, period.ends_on)
