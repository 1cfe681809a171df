"""Section 7 by hand: each eligibility rule at its edge, the ranking with its ties, the
readiness thresholds, and the pool history."""

import datetime as dt

import pytest
from sikd_simantap.scoring import pool
from sikd_simantap.scoring import succession as rules

REFERENCE = dt.date(2026, 12, 31)
TARGET = rules.Target(position_id=100, eselon="II.a", holder_ids=frozenset({1}))


def person(**changes):
    base = dict(
        user_id=10, nip="197001152000031002", box=9, kinerja=92.0, potensial=91.0,
        position_id=200, position_kind="struktural", eselon="III.a", golongan="IV/c",
        penalties=(), retires_on=dt.date(2035, 1, 1), jpm=92.0,
    )  # fmt: skip
    base.update(changes)
    return rules.Person(**base)


def failed(**changes):
    return rules.failed_rules(person(**changes), TARGET, REFERENCE)


def test_a_candidate_one_tier_below_and_one_in_the_same_tier():
    assert failed(eselon="III.a") == ()
    assert failed(eselon="III.b", golongan="IV/c") == ()
    assert failed(eselon="II.b") == ()  # rotation in the same tier
    assert failed(eselon="IV.a") == ("tier",)  # two tiers below
    assert failed(eselon="I.b") == ("tier",)  # above
    assert failed(eselon=None, position_kind="fungsional") == ("tier",)
    assert failed(eselon="III.a", position_kind="fungsional") == ("tier",)


def test_golongan_exactly_at_the_minimum_and_one_step_under_it():
    assert rules.MIN_GOLONGAN["II.a"] == "IV/c"
    assert failed(golongan="IV/c") == ()
    assert failed(golongan="IV/b") == ("golongan",)
    assert failed(golongan=None) == ("golongan",)
    third = rules.Target(300, "III.b")
    assert rules.failed_rules(person(eselon="IV.a", golongan="III/d"), third, REFERENCE) == ()
    assert rules.failed_rules(person(eselon="IV.a", golongan="III/c"), third, REFERENCE) == (
        "golongan",
    )


def test_a_discipline_penalty_exactly_2_years_old_and_one_a_day_younger():
    two_years = dt.date(2024, 12, 31)
    assert failed(penalties=((two_years, "berat"),)) == ()
    assert failed(penalties=((two_years + dt.timedelta(days=1), "berat"),)) == ("discipline",)
    assert failed(penalties=((two_years + dt.timedelta(days=1), "sedang"),)) == ("discipline",)
    assert failed(penalties=((dt.date(2026, 6, 1), "ringan"),)) == ()
    assert failed(penalties=((dt.date(2027, 1, 1), "berat"),)) == ()  # after the reference


def test_exactly_one_year_left_to_bup():
    assert failed(retires_on=dt.date(2027, 12, 31)) == ()
    assert failed(retires_on=dt.date(2027, 12, 30)) == ("retirement",)
    assert failed(retires_on=None) == ("retirement",)


def test_pool_holder_and_jpm_and_every_failed_rule_is_listed():
    assert failed(box=6) == ("pool",)
    assert failed(user_id=1) == ("holder",)
    assert failed(position_id=100) == ("holder",)
    assert failed(jpm=None) == ("jpm",)
    assert failed(box=5, golongan="III/d", jpm=None, retires_on=dt.date(2027, 6, 1)) == (
        "pool", "golongan", "retirement", "jpm",
    )  # fmt: skip


def test_ranking_score_rounds_half_up():
    # 0.5 * mean(80.01, 80.00) + 0.5 * 90.00 = 40.0025 + 45 = 85.0025 -> 85.00
    assert rules.ranking_score(80.01, 80.0, 90.0) == 85.0
    # 0.5 * mean(80.03, 80.00) + 0.5 * 90 = 85.0075 -> 85.01
    assert rules.ranking_score(80.03, 80.0, 90.0) == 85.01
    assert rules.ranking_score(None, 80.0, 90.0) is None


def test_ties_go_to_the_higher_box_then_the_lower_nip():
    # the same score: 0.5 * 85 + 0.5 * 85 = 85 for every one
    a = person(user_id=11, nip="198001012005011001", box=8, kinerja=85.0, potensial=85.0, jpm=85.0)
    b = person(user_id=12, nip="197501012000011001", box=8, kinerja=85.0, potensial=85.0, jpm=85.0)
    c = person(user_id=13, nip="199001012015011001", box=9, kinerja=85.0, potensial=85.0, jpm=85.0)
    d = person(user_id=14, nip="199101012016011001", box=9, kinerja=95.0, potensial=95.0, jpm=80.0)
    eligible, failing = rules.plan([a, b, c, d], TARGET, REFERENCE)
    assert [x.person.user_id for x in eligible] == [14, 13, 12, 11]
    assert [x.score for x in eligible] == [87.5, 85.0, 85.0, 85.0]
    assert failing == []


def test_failing_lists_pool_members_only():
    eligible, failing = rules.plan(
        [person(user_id=20, box=5, golongan="III/a"), person(user_id=21, golongan="III/a")],
        TARGET,
        REFERENCE,
    )
    assert eligible == [] and [(x.person.user_id, x.failed) for x in failing] == [
        (21, ("golongan",))
    ]


@pytest.mark.parametrize(
    "box,jpm,expected",
    [
        (9, 90.0, rules.READY_NOW),
        (9, 89.99, rules.READY_SOON),
        (8, 99.0, rules.READY_SOON),
        (7, 78.0, rules.READY_SOON),
        (7, 77.99, rules.FUTURE),
        (9, 77.99, rules.FUTURE),
        (6, 95.0, rules.FUTURE),
        (9, None, rules.FUTURE),
    ],
)
def test_readiness_thresholds(box, jpm, expected):
    assert rules.readiness(box, jpm) == expected


def test_holder_retiring_within_two_years():
    assert rules.retires_within(dt.date(2028, 12, 31), REFERENCE)
    assert not rules.retires_within(dt.date(2029, 1, 1), REFERENCE)
    assert not rules.retires_within(None, REFERENCE)


def test_pool_history_joins_and_leaves():
    stints = pool.history(
        ["2023", "2024", "2025", "2026"],
        {"2023": {1, 2}, "2024": {1}, "2025": {2}, "2026": {1, 2, 3}},
    )
    assert stints[1] == [pool.Stint("2023", "2025"), pool.Stint("2026", None)]
    assert stints[2] == [pool.Stint("2023", "2024"), pool.Stint("2025", None)]
    assert stints[3] == [pool.Stint("2026", None)]
