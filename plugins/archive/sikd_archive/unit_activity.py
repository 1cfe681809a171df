"""Disposition figures per work unit for Simantap's unit performance page, offered through
Simantap's ``simantap_unit_activity`` hook (the archive never imports Simantap).

A disposition counts for the unit of its recipient (the unit of the position the recipient
holds now: the host keeps no history of positions) in every period whose days contain its
``sent_at``; copies (tembusan) are for information and do not count, as in the score source.
Per period and unit:

- ``received``: dispositions received;
- ``with_due_date``: those that carry a due date;
- ``due``: those with a due date that are done, or whose due date has passed (``due_on`` before
  today): the ones that can be judged on time or late. A disposition without a due date can be
  neither, so it counts in neither; one whose due date is still ahead and that is not done yet
  is not judged;
- ``done_on_time``: those done on or before their due date (the date of ``done_at``, as
  stored, on or before ``due_on``);
- ``done``: those done, with or without a due date;
- ``response_minutes``: a histogram ``{minutes: count}`` of the time from the disposition
  reaching the recipient to their first action, in whole minutes (``response_hours * 60``
  rounded half up), over those acted on. Histograms add up, so the exact median (to the
  minute) of any union of units is the median of their summed histograms; medians do not.

One GROUP BY query for all the periods and all the units together, on SQLite and
PostgreSQL alike; never a loop over dispositions.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from sikd_archive.models import Disposition
from sikd_host.plugin_api import Position, User, db


@dataclass
class UnitActivity:
    """The figures of one unit in one period (see the module docstring)."""

    received: int = 0
    with_due_date: int = 0
    due: int = 0
    done_on_time: int = 0
    done: int = 0
    response_minutes: dict[int, int] = field(default_factory=dict)


class whole_minutes(FunctionElement):
    """``hours * 60`` rounded half up to an integer, the same on every database."""

    type = Integer()
    inherit_cache = True


@compiles(whole_minutes)
def _whole_minutes(element: Any, compiler: Any, **kw: Any) -> str:
    hours = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR({hours} * 60 + 0.5) AS INTEGER)"


@compiles(whole_minutes, "sqlite")
def _whole_minutes_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # CAST truncates toward zero, which is FLOOR for the non-negative values it gets
    hours = compiler.process(element.clauses, **kw)
    return f"CAST({hours} * 60 + 0.5 AS INTEGER)"


def _windows(periods: list[Any]) -> Any:
    """The periods as a derived table (code, starts, ends) of half-open datetime ranges."""
    selects = [
        select(
            literal(period.code, String).label("code"),
            literal(dt.datetime.combine(period.starts_on, dt.time.min), DateTime).label("starts"),
            literal(
                dt.datetime.combine(period.ends_on + dt.timedelta(days=1), dt.time.min), DateTime
            ).label("ends"),
        )
        for period in periods
    ]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("windows")


def _recipient_units() -> tuple[Any, Any]:
    """Each user's unit as a CTE, and the disposition column to join it on.

    SQLite would otherwise look up every disposition's recipient in the wide user table at
    random; materialised, the CTE is a compact table it reads from the narrow index on
    ``position_id`` and probes through an automatic index. The ``+ 0`` keeps SQLite from
    driving the join from the recipient index instead of the ``sent_at`` one. PostgreSQL
    inlines the CTE and hashes the join either way."""
    recipients = select(User.id.label("user_id"), Position.unit_id).join(
        Position, Position.id == User.position_id
    )
    if db.session.get_bind().dialect.name != "sqlite":
        return recipients.cte("recipient_unit"), Disposition.recipient_id
    cte = recipients.cte("recipient_unit")
    if sqlite3.sqlite_version_info >= (3, 35):
        cte = cte.prefix_with("MATERIALIZED")
    return cte, Disposition.recipient_id + 0


def unit_activity(
    periods: Iterable[Any], today: dt.date | None = None
) -> dict[str, dict[int, UnitActivity]]:
    """``{period code: {unit id: UnitActivity}}`` for the given periods (objects with
    ``code``, ``starts_on`` and ``ends_on``); a unit without dispositions is absent.

    One query: the dispositions of every period, grouped by period and unit, with the
    counts summed and the whole minutes of response gathered in each group."""
    periods = list({period.code: period for period in periods}.values())
    if not periods:
        return {}
    today = today or dt.date.today()
    windows = _windows(periods)
    recipients, recipient = _recipient_units()
    hours = Disposition.response_hours
    has_due = Disposition.due_on.is_not(None)
    is_done = Disposition.done_at.is_not(None)
    flags = (
        select(
            windows.c.code,
            recipients.c.unit_id,
            whole_minutes(case((hours < 0, 0.0), else_=hours)).label("minutes"),
            _flag(has_due).label("with_due_date"),
            _flag(and_(has_due, is_done | (Disposition.due_on < today))).label("due"),
            _flag(
                and_(has_due, is_done, func.date(Disposition.done_at) <= Disposition.due_on)
            ).label("done_on_time"),
            _flag(is_done).label("done"),
        )
        .select_from(Disposition)
        .join(recipients, recipients.c.user_id == recipient)
        .join(
            windows,
            and_(Disposition.sent_at >= windows.c.starts, Disposition.sent_at < windows.c.ends),
        )
        .where(Disposition.kind != "tembusan")
        .subquery("flags")
    )
    grouped = select(
        flags.c.code,
        flags.c.unit_id,
        func.count().label("received"),
        func.sum(flags.c.with_due_date).label("with_due_date"),
        func.sum(flags.c.due).label("due"),
        func.sum(flags.c.done_on_time).label("done_on_time"),
        func.sum(flags.c.done).label("done"),
        # every response of the group, as "m,m,m": one row per unit instead of one per
        # distinct minute, and a string Python splits and counts at C speed
        func.aggregate_strings(cast(flags.c.minutes, String), ",").label("minutes"),
    ).group_by(flags.c.code, flags.c.unit_id)
    found: dict[str, dict[int, UnitActivity]] = {period.code: {} for period in periods}
    for code, unit_id, received, with_due, due, on_time, done, minutes in (
        db.session.connection().execute(grouped)  # Core: plain tuples, no ORM work per row
    ):
        found[code][unit_id] = UnitActivity(
            received=int(received),
            with_due_date=int(with_due or 0),
            due=int(due or 0),
            done_on_time=int(on_time or 0),
            done=int(done or 0),
            response_minutes=dict(Counter(map(int, minutes.split(",")))) if minutes else {},
        )
    return found


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)
