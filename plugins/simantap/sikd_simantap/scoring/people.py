"""Retirement (BUP) from the position, and the retirement date from the birth date
(DOMAIN.md sections 2 and 6)."""

from __future__ import annotations

import datetime as dt


def bup_age(kind: str | None, eselon: str | None, jenjang: str | None) -> int:
    """60 for JPT (Eselon I-II) and ahli madya; 65 for ahli utama; 58 for everyone else."""
    tier = (eselon or "").split(".")[0]
    if kind == "struktural" and tier in ("I", "II"):
        return 60
    if kind == "fungsional" and jenjang == "ahli utama":
        return 65
    if kind == "fungsional" and jenjang == "ahli madya":
        return 60
    return 58


def retirement_date(birth: dt.date, bup: int) -> dt.date:
    """The first day of the month after the birthday on which the employee reaches BUP."""
    year = birth.year + bup
    month = birth.month + 1
    if month == 13:
        year, month = year + 1, 1
    return dt.date(year, month, 1)


def years_to(retirement: dt.date, reference: dt.date) -> float:
    """Years from the reference date to retirement, to two decimals (negative when past)."""
    return round((retirement - reference).days / 365.25, 2)
