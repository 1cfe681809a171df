"""Scoring runs (DOMAIN.md section 6): compute, publish, compare, what-if.

A run computes every employee's indicators (one SQL query per source), axis scores, bands
and box with the period's profile, and writes the Run and its Results (each with the value
of every indicator, for the explanation) in one transaction, bulk (Core executemany): the
run is marked done in the same transaction as its rows, so a run that fails or is killed
halfway leaves nothing behind, and running it again simply works. A run is immutable; only
its publication changes.
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, insert, select

from sikd_host.plugin_api import Position, User, audit, db, utcnow
from sikd_simantap.models import INDICATOR_COLUMNS, Period, Result, Run
from sikd_simantap.scoring import N_, mapping
from sikd_simantap.scoring import profile as profiles
from sikd_simantap.scoring.combine import box_moves, fingerprint
from sikd_simantap.scoring.placer import Placed, Placer
from sikd_simantap.sources import Provided, all_sources

Progress = Callable[[str], None]


class RunError(Exception):
    """A refused action; ``message`` is an English msgid, ``params`` its parameters."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None, **params: Any):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.errors = dict(errors or {})


# --- computing ---------------------------------------------------------------------------


@dataclass
class Computed:
    """Everything a run writes, computed before the first write."""

    profile: dict[str, Any]
    employees: list[tuple[int, int | None, int | None]]  # user, unit, position
    values: dict[str, dict[int, float]]  # indicator -> user -> value (weighted ones)
    stored: dict[str, dict[int, float]]  # every indicator a source gave, for what-if
    sources: list[dict[str, Any]]
    per_user: dict[int, dict[str, float]] = field(default_factory=dict)
    placements: dict[int, Placed] = field(default_factory=dict)
    fingerprint: str = ""


def period_view(period: Period, profile: Mapping[str, Any]) -> SimpleNamespace:
    """What a source sees of the period: plain attributes, no ORM object."""
    return SimpleNamespace(
        id=period.id,
        code=period.code,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        profile=copy.deepcopy(dict(profile)),
    )


def weighted_indicators(profile: Mapping[str, Any]) -> set[str]:
    return {
        name
        for axis in profiles.AXES
        for name, weight in profile["weights"][axis].items()
        if weight and weight > 0
    }


def employee_rows() -> list[tuple[int, int | None, int | None]]:
    """Every active employee (a user with a NIP) with their unit and position now."""
    return [
        (user, unit, position)
        for user, unit, position in db.session.execute(
            select(User.id, Position.unit_id, User.position_id)
            .outerjoin(Position, Position.id == User.position_id)
            .where(User.active.is_(True), User.nip.is_not(None))
            .order_by(User.id)
        )
    ]


def compute(
    period: Period,
    profile: Mapping[str, Any],
    provided: list[Provided] | None = None,
    progress: Progress | None = None,
) -> Computed:
    """Read every source once and place every employee; no writes."""
    step = progress or (lambda _label: None)
    errors = profiles.validate(profile)
    if errors:
        raise RunError(N_("The period's scoring profile is not valid."), errors)
    profile = copy.deepcopy(dict(profile))
    view = period_view(period, profile)
    employees = employee_rows()
    step("employees")
    staff = {user for user, _unit, _position in employees}
    stored: dict[str, dict[int, float]] = {}
    used_sources = []
    for item in provided if provided is not None else all_sources():
        source = item.source
        new = [name for name in source.indicators if name not in stored]
        if new:
            found = source.values(view) or {}
            for name in new:
                column = found.get(name) or {}
                if item.plugin == "simantap":  # built-ins give floats already
                    stored[name] = {u: v for u, v in column.items() if u in staff}
                else:
                    stored[name] = {u: float(v) for u, v in column.items() if u in staff}
            used_sources.append(
                {"plugin": item.plugin, "label": str(source.label), "indicators": new}
            )
        step(str(source.label))
    wanted = weighted_indicators(profile)
    values = {name: column for name, column in stored.items() if name in wanted}
    computed = Computed(profile, employees, values, stored, used_sources)
    placer = Placer(profile)
    per_user: dict[int, dict[str, float]] = {user: {} for user in staff}
    for name, column in stored.items():
        for user, value in column.items():
            per_user[user][name] = value
    computed.per_user = per_user
    computed.placements = {user: placer(own) for user, own in per_user.items()}
    computed.fingerprint = fingerprint(profile, staff, values)
    step("placement")
    return computed


RESULT_COLUMNS = (
    "run_id", "user_id", "unit_id", "position_id", "kinerja", "potensial", "coverage_kinerja",
    "coverage_potensial", "kinerja_band", "potensial_band", "box", "missing",
    *INDICATOR_COLUMNS,
)  # fmt: skip
INDICATOR_KEYS = tuple(column[2:] for column in INDICATOR_COLUMNS)


def result_rows(run_id: int, computed: Computed) -> list[tuple]:
    """One tuple per employee in RESULT_COLUMNS order (``missing`` as JSON text)."""
    placements = computed.placements
    per_user = computed.per_user
    as_json: dict[tuple[str, ...], str] = {}
    for placed in placements.values():
        if placed.missing not in as_json:
            as_json[placed.missing] = json.dumps(placed.missing)
    keys = INDICATOR_KEYS
    return [
        (run_id, user, unit, position, *placed[:7], as_json[placed.missing],
         *map(own.get, keys))
        for user, unit, position in computed.employees
        for placed, own in ((placements[user], per_user[user]),)
    ]  # fmt: skip


def bulk_insert(table: Any, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Core executemany with the driver's own placeholders: no per-row parameter
    processing, so a million rows cost what the database needs to store them."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.paramstyle not in ("qmark", "format", "pyformat"):
        json_at = columns.index("missing") if "missing" in columns else -1
        connection.execute(
            insert(table),
            [
                {
                    name: (json.loads(cell) if i == json_at else cell)
                    for i, (name, cell) in enumerate(zip(columns, row, strict=True))
                }
                for row in rows
            ],
        )
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    one = f"({', '.join(mark for _ in columns)})"
    # many rows per statement (under the 999 parameters old SQLite builds allow): half
    # the cost of one statement per row
    per = max(1, MAX_PARAMETERS // len(columns))
    width = per * len(columns)
    full = len(rows) // per * per
    if full:
        statement = head + ", ".join([one] * per)
        batch = per * max(1, BATCH // per)
        for start in range(0, full, batch):
            flat = list(chain.from_iterable(rows[start : min(start + batch, full)]))
            connection.exec_driver_sql(
                statement, [tuple(flat[i : i + width]) for i in range(0, len(flat), width)]
            )
    if full < len(rows):
        connection.exec_driver_sql(head + one, rows[full:])


MAX_PARAMETERS = 990
BATCH = 50_000


def score(
    period: Period,
    user: Any | None,
    *,
    provided: list[Provided] | None = None,
    progress: Progress | None = None,
    commit: bool = True,
) -> Run:
    """Run the scoring of ``period`` with its profile and write it, all or nothing.

    ``commit=False`` leaves the commit to the caller (the demo loader, inside its own
    transaction); the rows are still written together or not at all.
    """
    started = time.perf_counter()
    started_at = utcnow()
    computed = compute(period, period.profile, provided, progress)
    try:
        run = Run(
            period_id=period.id,
            status="running",
            profile=computed.profile,
            fingerprint=computed.fingerprint,
            code_version=code_version(),
            sources=computed.sources,
            run_by_id=getattr(user, "id", None),
            started_at=started_at,
            employees=len(computed.employees),
        )
        db.session.add(run)
        db.session.flush()
        results = result_rows(run.id, computed)
        bulk_insert(Result.__table__, RESULT_COLUMNS, results)
        run.status = "done"
        run.finished_at = utcnow()
        run.seconds = round(time.perf_counter() - started, 3)
        audit.record(
            user if user is not None else "system",
            "simantap.run_scored",
            "simantap_run",
            run.id,
            {
                "period": period.code,
                "fingerprint": run.fingerprint,
                "employees": run.employees,
                "mapped": sum(1 for row in results if row[10] is not None),
            },
        )
        if progress:
            progress("write")
        if commit:
            db.session.commit()
    except BaseException:
        if commit:
            db.session.rollback()
        raise
    return run


def code_version() -> str:
    from sikd_simantap import __version__

    return __version__


# --- publishing --------------------------------------------------------------------------


def published_run(period_id: int) -> Run | None:
    return db.session.scalar(
        select(Run).where(Run.period_id == period_id, Run.published.is_(True)).limit(1)
    )


def publish(run: Run, user: Any | None, reason: str = "", *, commit: bool = True) -> Run:
    """Publish ``run``; a period has at most one published run, and superseding the
    published one needs a reason. Audited."""
    reason = (reason or "").strip()
    if run.status != "done":
        raise RunError(N_("Only a finished run can be published."))
    # serialise publications of one period (a row lock on PostgreSQL)
    db.session.execute(select(Period.id).where(Period.id == run.period_id).with_for_update())
    if run.published:
        raise RunError(N_("Run %(id)s is already published."), id=run.id)
    current = published_run(run.period_id)
    if current is not None and not reason:
        raise RunError(
            N_("Run %(id)s is published for this period: give a reason to supersede it."),
            id=current.id,
        )
    now = utcnow()
    if current is not None:
        current.published = False
        current.superseded_at = now
        db.session.flush()
    run.published = True
    run.published_at = now
    run.published_by_id = getattr(user, "id", None)
    run.publish_reason = reason
    audit.record(
        user if user is not None else "system",
        "simantap.run_published",
        "simantap_run",
        run.id,
        {
            "period_id": run.period_id,
            "superseded": current.id if current is not None else None,
            "reason": reason,
            "fingerprint": run.fingerprint,
        },
    )
    if commit:
        db.session.commit()
    return run


# --- comparing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    indicator: str
    before: float | None
    after: float | None


@dataclass(frozen=True)
class Mover:
    user_id: int
    nip: str | None
    name: str
    box_before: int | None
    box_after: int | None
    kinerja: tuple[float | None, float | None]
    potensial: tuple[float | None, float | None]
    kinerja_band: tuple[str | None, str | None]
    potensial_band: tuple[str | None, str | None]
    changes: tuple[Change, ...]

    @property
    def axes(self) -> tuple[str, ...]:
        """The axes whose score or band changed."""
        moved = []
        if self.kinerja[0] != self.kinerja[1] or self.kinerja_band[0] != self.kinerja_band[1]:
            moved.append("kinerja")
        if (
            self.potensial[0] != self.potensial[1]
            or self.potensial_band[0] != self.potensial_band[1]
        ):
            moved.append("potensial")
        return tuple(moved)


@dataclass
class Comparison:
    before: Run
    after: Run
    movers: list[Mover]
    compared: int
    moves: Counter
    profile_changes: list[tuple[str, Any, Any]]


def profile_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Flattened (path, before, after) of every setting that differs."""

    def flat(value: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, inner in value.items():
                out.update(flat(inner, f"{prefix}.{key}" if prefix else str(key)))
            return out
        return {prefix: value}

    left, right = flat(a), flat(b)
    return [
        (path, left.get(path), right.get(path))
        for path in sorted(left.keys() | right.keys())
        if left.get(path) != right.get(path)
    ]


def compare(run_a: Run, run_b: Run) -> Comparison:
    """Who moved to another box between two runs, and why: which axis changed and which
    indicator values changed (and whether the profile changed)."""
    a = select(Result).where(Result.run_id == run_a.id).subquery("a")
    b = select(Result).where(Result.run_id == run_b.id).subquery("b")
    joined = a.join(b, b.c.user_id == a.c.user_id)
    moved = a.c.box.is_distinct_from(b.c.box)
    rows = db.session.execute(
        select(
            a.c.user_id,
            User.nip,
            User.full_name,
            a.c.box,
            b.c.box,
            a.c.kinerja,
            b.c.kinerja,
            a.c.potensial,
            b.c.potensial,
            a.c.kinerja_band,
            b.c.kinerja_band,
            a.c.potensial_band,
            b.c.potensial_band,
        )
        .select_from(joined)
        .join(User, User.id == a.c.user_id)
        .where(moved)
        .order_by(User.full_name, User.id)
    ).all()
    values: dict[int, dict[str, list[float | None]]] = {}
    for run_id, user, *cells in db.session.execute(
        select(
            Result.run_id, Result.user_id, *(Result.__table__.c[c] for c in INDICATOR_COLUMNS)
        ).where(
            Result.run_id.in_((run_a.id, run_b.id)),
            Result.user_id.in_(select(a.c.user_id).select_from(joined).where(moved)),
        )
    ):
        side = 0 if run_id == run_a.id else 1
        for name, value in zip(INDICATOR_KEYS, cells, strict=True):
            if value is not None:
                values.setdefault(user, {}).setdefault(name, [None, None])[side] = value
    movers = []
    for row in rows:
        changes = tuple(
            Change(name, before, after)
            for name, (before, after) in sorted(values.get(row[0], {}).items())
            if before is None or after is None or abs(before - after) > 1e-9
        )
        movers.append(
            Mover(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                (row[5], row[6]),
                (row[7], row[8]),
                (row[9], row[10]),
                (row[11], row[12]),
                changes,
            )  # fmt: skip
        )
    before = box_map(run_a.id)
    after = box_map(run_b.id)
    return Comparison(
        run_a,
        run_b,
        movers,
        len(before.keys() & after.keys()),
        box_moves(before, after),
        profile_changes(run_a.profile, run_b.profile),
    )


def box_map(run_id: int) -> dict[int, int | None]:
    return dict(
        db.session.execute(select(Result.user_id, Result.box).where(Result.run_id == run_id)).all()
    )


# --- what-if -----------------------------------------------------------------------------


@dataclass
class WhatIf:
    run: Run
    profile: dict[str, Any]
    compared: int
    moved: int
    moves: Counter  # (box before, box after) -> employees, movers only
    before: Counter  # box -> employees (None: not mapped)
    after: Counter


def stored_values(run_id: int) -> dict[int, dict[str, float]]:
    """Each employee's indicator values in a run (those with data)."""
    columns = [Result.__table__.c[c] for c in INDICATOR_COLUMNS]
    return {
        user: {name: value for name, value in zip(INDICATOR_KEYS, cells, strict=True)
               if value is not None}
        for user, *cells in db.session.execute(
            select(Result.user_id, *columns).where(Result.run_id == run_id)
        )
    }  # fmt: skip


def what_if(period: Period, draft: Mapping[str, Any]) -> WhatIf:
    """How many employees would move between boxes, compared with the published run, if it
    were scored with ``draft``: in memory, from the run's stored indicator values; no writes.
    """
    errors = profiles.validate(draft)
    if errors:
        raise RunError(N_("The draft profile is not valid."), errors)
    run = published_run(period.id)
    if run is None:
        raise RunError(
            N_("Period %(code)s has no published run to compare with."), code=period.code
        )
    values = stored_values(run.id)
    before = box_map(run.id)
    after = {user: mapping.place(values.get(user, {}), draft).box for user in before}
    moves = box_moves(before, after)
    moved = Counter({pair: n for pair, n in moves.items() if pair[0] != pair[1]})
    return WhatIf(
        run,
        copy.deepcopy(dict(draft)),
        len(before),
        sum(moved.values()),
        moved,
        Counter(before.values()),
        Counter(after.values()),
    )


def runs_of(period_id: int) -> list[Run]:
    return list(
        db.session.scalars(select(Run).where(Run.period_id == period_id).order_by(Run.id.desc()))
    )


def finished(run_id: int) -> Run | None:
    return db.session.scalar(select(Run).where(and_(Run.id == run_id, Run.status == "done")))
