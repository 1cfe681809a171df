"""Retention dates from the JRA (DOMAIN.md section 8).

The clock starts at the closing date of the record's berkas, or at the record's own date
when it is in no berkas; a record in an open berkas has no dates yet (its event has not
happened). A code without retention of its own inherits the nearest ancestor's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    active_years: int
    inactive_years: int
    final: str  # musnah, permanen, dinilai_kembali


@dataclass(frozen=True)
class Retention:
    active_until: dt.date | None  # first day the record is inaktif
    final_due_on: dt.date | None  # first day its final disposition is due
    final: str | None


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def schedule_for(
    code: str, schedules: Mapping[str, Schedule | None], parents: Mapping[str, str | None]
) -> Schedule | None:
    """The code's own schedule, else the nearest ancestor's; None when none has one."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        if schedules.get(current) is not None:
            return schedules[current]
        current = parents.get(current)
    return None


def retention(
    schedule: Schedule | None,
    record_date: dt.date,
    in_berkas: bool,
    berkas_closed_on: dt.date | None,
) -> Retention:
    if schedule is None:
        return Retention(None, None, None)
    if in_berkas and berkas_closed_on is None:
        return Retention(None, None, schedule.final)
    start = berkas_closed_on if in_berkas else record_date
    active_until = add_years(start, schedule.active_years)
    return Retention(active_until, add_years(active_until, schedule.inactive_years), schedule.final)


def phase(ret: Retention, today: dt.date) -> str:
    """aktif, inaktif or due (its final disposition is due) on ``today``."""
    if ret.active_until is None or today < ret.active_until:
        return "aktif"
    if ret.final_due_on is None or today < ret.final_due_on:
        return "inaktif"
    return "due"


def destruction_refusals(record: Mapping[str, object], today: dt.date) -> Sequence[str]:
    """Why a record may not be destroyed today (English msgids); empty when it may be."""
    reasons = []
    if record.get("legal_hold"):
        reasons.append("on legal hold")
    if record.get("status") in ("musnah", "serah"):
        reasons.append("already destroyed or handed over")
    if record.get("final") != "musnah":
        reasons.append("its final disposition is not musnah")
    due = record.get("final_due_on")
    if not isinstance(due, dt.date) or today < due:
        reasons.append("not yet due")
    return reasons
