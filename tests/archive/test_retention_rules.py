"""The pure retention rules of ``sikd_archive.rules.retention``: no app, no database."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from sikd_archive.rules.retention import (
    Retention,
    Schedule,
    add_years,
    destruction_refusals,
    phase,
    retention,
    schedule_for,
)

MUSNAH = Schedule(2, 3, "musnah")
PERMANEN = Schedule(5, 10, "permanen")
# KP > KP.01 (its own schedule) > KP.01.02 (none) > KP.01.02.03 (none); PR has nothing
SCHEDULES = {"KP": None, "KP.01": PERMANEN, "KP.01.02": None, "KP.01.02.03": None, "PR": None}
PARENTS = {"KP": None, "KP.01": "KP", "KP.01.02": "KP.01", "KP.01.02.03": "KP.01.02", "PR": None}


def test_a_code_without_retention_inherits_the_nearest_ancestors():
    assert schedule_for("KP.01", SCHEDULES, PARENTS) == PERMANEN  # its own
    assert schedule_for("KP.01.02", SCHEDULES, PARENTS) == PERMANEN  # the parent's
    assert schedule_for("KP.01.02.03", SCHEDULES, PARENTS) == PERMANEN  # the grandparent's
    nearer = {**SCHEDULES, "KP.01.02": MUSNAH}
    assert schedule_for("KP.01.02.03", nearer, PARENTS) == MUSNAH  # the nearest one wins
    assert schedule_for("KP", SCHEDULES, PARENTS) is None  # no ancestor has one
    assert schedule_for("PR", SCHEDULES, PARENTS) is None
    assert schedule_for("ZZ", SCHEDULES, PARENTS) is None  # an unknown code


def test_a_cycle_of_parents_ends():
    cycle = {"A": "B", "B": "A"}
    assert schedule_for("A", {"A": None, "B": None}, cycle) is None


def test_29_february_falls_back_to_28_february():
    leap = dt.date(2024, 2, 29)
    assert add_years(leap, 1) == dt.date(2025, 2, 28)
    assert add_years(leap, 4) == dt.date(2028, 2, 29)  # another leap year keeps the day
    assert add_years(dt.date(2023, 3, 1), 1) == dt.date(2024, 3, 1)
    result = retention(MUSNAH, leap, in_berkas=False, berkas_closed_on=None)
    assert result == Retention(dt.date(2026, 2, 28), dt.date(2029, 2, 28), "musnah")


def test_the_clock_starts_at_the_record_date_or_at_the_closing_of_its_berkas():
    day = dt.date(2020, 5, 10)
    alone = retention(MUSNAH, day, in_berkas=False, berkas_closed_on=None)
    assert alone == Retention(dt.date(2022, 5, 10), dt.date(2025, 5, 10), "musnah")
    closed = retention(MUSNAH, day, in_berkas=True, berkas_closed_on=dt.date(2023, 1, 31))
    assert closed == Retention(dt.date(2025, 1, 31), dt.date(2028, 1, 31), "musnah")


def test_a_record_in_an_open_berkas_has_no_dates_yet():
    result = retention(PERMANEN, dt.date(2020, 5, 10), in_berkas=True, berkas_closed_on=None)
    assert result == Retention(None, None, "permanen")  # its event has not happened
    assert phase(result, dt.date(2100, 1, 1)) == "aktif"
    assert retention(None, dt.date(2020, 5, 10), False, None) == Retention(None, None, None)


def test_phases():
    result = retention(MUSNAH, dt.date(2020, 1, 1), False, None)
    assert phase(result, dt.date(2021, 12, 31)) == "aktif"
    assert phase(result, dt.date(2022, 1, 1)) == "inaktif"  # the first inactive day
    assert phase(result, dt.date(2025, 1, 1)) == "due"  # the first day it is due


def test_destruction_refusals():
    due = {"status": "aktif", "final": "musnah", "final_due_on": dt.date(2025, 1, 1)}
    today = dt.date(2026, 1, 1)
    assert destruction_refusals(due, today) == []
    assert destruction_refusals({**due, "legal_hold": True}, today) == ["on legal hold"]
    assert destruction_refusals({**due, "final_due_on": None}, today) == ["not yet due"]
    assert destruction_refusals(due, dt.date(2024, 12, 31)) == ["not yet due"]
    assert destruction_refusals({**due, "final": "permanen"}, today) == [
        "its final disposition is not musnah"
    ]


@given(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.integers(0, 100),
    st.integers(0, 100),
)
def test_dates_never_run_backwards(start, active, inactive):
    result = retention(Schedule(active, inactive, "musnah"), start, False, None)
    assert start <= result.active_until <= result.final_due_on
    assert result.active_until.year == start.year + active
    assert result.final_due_on.year == start.year + active + inactive
