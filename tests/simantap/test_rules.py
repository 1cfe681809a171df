"""Hand-computed cases for every scoring rule of DOMAIN.md section 6, the nine-box table,
BUP, and properties of the pure scoring package."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sikd_simantap.scoring import indicators as ind
from sikd_simantap.scoring import mapping, people, profile
from sikd_simantap.scoring.numbers import percentile_ranks, round2

PERMENPAN = profile.preset("Permenpan 3/2020")


def test_missing_sources_are_reweighted_never_zero():
    # kinerja: SKP 60, 360 40; only SKP present -> the score is SKP itself
    score = mapping.axis_score({"skp": 80.0, "penilaian360": None}, {"skp": 60, "penilaian360": 40})
    assert score.score == 80.0 and score.coverage == 60.0 and score.missing == ("penilaian360",)
    both = mapping.axis_score({"skp": 80.0, "penilaian360": 55.0}, {"skp": 60, "penilaian360": 40})
    assert both.score == 70.0  # (80*60 + 55*40) / 100
    contributions = {p.indicator: p.contribution for p in both.parts}
    assert contributions == {"skp": 48.0, "penilaian360": 22.0}


def test_coverage_under_the_minimum_is_not_mapped_and_exactly_60_is():
    values = {"skp": 95.0, "kompetensi": 95.0, "potensi": 95.0, "rekam_jejak": 95.0}
    mapped = mapping.place(values, PERMENPAN)  # kinerja coverage 60% exactly
    assert mapped.mapped and mapped.kinerja.coverage == 60.0 and mapped.box == 9
    thin = dict(values, skp=None, penilaian360=90.0)  # kinerja coverage 40%
    placement = mapping.place(thin, PERMENPAN)
    assert not placement.mapped and placement.box is None
    assert placement.kinerja.coverage == 40.0 and placement.kinerja.missing == ("skp",)
    low = dict(PERMENPAN, coverage_min=61)
    assert not mapping.place(values, low).mapped


def test_rounding_comes_first_then_banding_at_70_90_and_78():
    weights = {"a": 1, "b": 2}
    # (69.99 + 2 * 70.0025) / 3 = 69.998333 -> 70.00 -> "sesuai"
    score = mapping.axis_score({"a": 69.99, "b": 70.0025}, weights).score
    assert score == 70.0
    bands = PERMENPAN["bands"]["kinerja"]
    assert mapping.band(score, bands, mapping.KINERJA_BANDS) == "sesuai"
    assert mapping.band(69.99, bands, mapping.KINERJA_BANDS) == "di_bawah"
    assert mapping.band(90.0, bands, mapping.KINERJA_BANDS) == "di_atas"
    assert mapping.band(89.99, bands, mapping.KINERJA_BANDS) == "sesuai"
    p_bands = PERMENPAN["bands"]["potensial"]
    assert mapping.band(78.0, p_bands, mapping.POTENSIAL_BANDS) == "menengah"
    assert mapping.band(77.99, p_bands, mapping.POTENSIAL_BANDS) == "rendah"
    assert mapping.band(90.0, p_bands, mapping.POTENSIAL_BANDS) == "tinggi"
    assert round2(2.675) == 2.68 and round2(77.995) == 78.0 and round2(-0.005) == -0.01


def test_nine_box_table_exactly():
    grid = {
        ("di_atas", "rendah"): 4, ("di_atas", "menengah"): 7, ("di_atas", "tinggi"): 9,
        ("sesuai", "rendah"): 2, ("sesuai", "menengah"): 5, ("sesuai", "tinggi"): 8,
        ("di_bawah", "rendah"): 1, ("di_bawah", "menengah"): 3, ("di_bawah", "tinggi"): 6,
    }  # fmt: skip
    assert grid == mapping.NINE_BOX
    assert {7, 8, 9} == mapping.TALENT_POOL
    assert set(mapping.FOLLOW_UP) == set(range(1, 10))
    assert mapping.FOLLOW_UP[1] == "diproses sesuai ketentuan peraturan perundang-undangan"


def test_360_groups_under_k_are_dropped_and_the_superior_always_counts():
    groups = PERMENPAN["groups"]
    # atasan 1 rater (4 -> 75), rekan 2 raters (< k=3, dropped), bawahan 3 raters (mean 3 -> 50)
    raters = {"atasan": [4.0], "rekan": [5.0, 5.0], "bawahan": [2.0, 3.0, 4.0], "diri": [5.0]}
    value = ind.three_sixty(raters, groups, k=3)
    assert value == pytest.approx((40 * 75 + 30 * 50) / 70)
    assert ind.three_sixty({"atasan": [1.0]}, groups, k=3) == 0.0  # alone still counts
    assert ind.three_sixty({"rekan": [5.0, 5.0]}, groups, k=3) is None  # nothing left
    assert ind.three_sixty({"diri": [5.0]}, groups, k=3) is None  # weight 0
    assert ind.three_sixty({"rekan": [5.0, 5.0]}, groups, k=2) == 100.0


def test_percentile_rules():
    assert percentile_ranks({"a": 1, "b": 2, "c": 2, "d": 10}) == {
        "a": 25.0, "b": 75.0, "c": 75.0, "d": 100.0
    }  # fmt: skip
    assert percentile_ranks({"only": 7}) == {"only": 100.0}
    assert ind.response_time(8) == 100.0 and ind.response_time(120) == 0.0
    assert ind.response_time(64) == 50.0 and ind.response_time(None) is None
    assert ind.lateness(0) == 100.0 and ind.lateness(300) == 50.0 and ind.lateness(900) == 0.0


def test_the_worst_discipline_penalty_counts_and_track_record():
    assert ind.discipline([]) == 100.0
    assert ind.discipline(["ringan", "berat", "sedang"]) == 0.0
    assert ind.discipline(["ringan", "sedang"]) == 30.0
    # S2 90, 10 JP -> 50, ringan 70: mean 70
    assert ind.track_record("S2", 10, ["ringan"]) == 70.0
    assert ind.track_record("D4", 45, []) == pytest.approx((80 + 100 + 100) / 3)
    assert ind.track_record(None, 40, []) is None
    assert ind.training(0) == 0.0


def test_last_two_years_window():
    reference = dt.date(2026, 12, 31)
    assert ind.in_last_two_years(dt.date(2025, 1, 1), reference)
    assert not ind.in_last_two_years(dt.date(2024, 12, 31), reference)
    assert ind.in_last_two_years(dt.date(2026, 12, 31), reference)
    assert not ind.in_last_two_years(dt.date(2027, 1, 1), reference)


def test_bup_from_the_position_and_retirement_date():
    assert people.bup_age("struktural", "II.a", None) == 60
    assert people.bup_age("struktural", "I.b", None) == 60
    assert people.bup_age("struktural", "III.a", None) == 58
    assert people.bup_age("fungsional", None, "ahli utama") == 65
    assert people.bup_age("fungsional", None, "ahli madya") == 60
    assert people.bup_age("fungsional", None, "ahli muda") == 58
    assert people.bup_age("pelaksana", None, None) == 58
    # born 1 Aug 1966 (NIP 19660801...), BUP 58: birthday 1 Aug 2024, retires 1 Sep 2024
    assert people.retirement_date(dt.date(1966, 8, 1), 58) == dt.date(2024, 9, 1)
    assert people.retirement_date(dt.date(1970, 12, 15), 60) == dt.date(2031, 1, 1)


def test_profile_validation_names_the_offending_field():
    assert profile.validate(profile.preset("MK")) == {}
    assert sum(profile.preset("MK")["weights"]["kinerja"].values()) == pytest.approx(99.8)
    bad = profile.preset("Permenpan 3/2020")
    bad["weights"]["kinerja"]["skp"] = -1
    bad["weights"]["potensial"] = {"kompetensi": 0}
    bad["bands"]["kinerja"] = [90, 70]
    bad["k"] = 0
    errors = profile.validate(bad)
    assert set(errors) == {
        "weights.kinerja.skp",
        "weights.potensial",
        "bands.kinerja",
        "k",
    }
    shares = profile.shares(profile.preset("MK"), "kinerja")
    assert shares["skp"] == pytest.approx(26.5 / 99.8 * 100)


scores = st.one_of(st.none(), st.floats(min_value=0, max_value=100))


@given(
    values=st.fixed_dictionaries({name: scores for name in profile.INDICATORS}),
    preset=st.sampled_from(sorted(profile.PRESETS)),
)
def test_scores_stay_within_0_and_100_and_boxes_agree_with_bands(values, preset):
    chosen = profile.preset(preset)
    placement = mapping.place(values, chosen)
    for axis in (placement.kinerja, placement.potensial):
        assert axis.score is None or 0 <= axis.score <= 100
        assert 0 <= axis.coverage <= 100
    if placement.mapped:
        assert placement.box == mapping.NINE_BOX[(placement.kinerja_band, placement.potensial_band)]
    assert mapping.place(values, chosen) == placement  # the same inputs, the same result


@given(st.dictionaries(st.sampled_from(ind.RELATIONS), st.lists(st.floats(1, 5), max_size=6)))
def test_360_stays_within_0_and_100(raters):
    value = ind.three_sixty(raters, PERMENPAN["groups"], k=3)
    assert value is None or -1e-9 <= value <= 100 + 1e-9


def test_every_indicator_has_a_column_in_the_result_row():
    from sikd_simantap.models import INDICATOR_COLUMNS
    from sikd_simantap.scoring.profile import INDICATORS

    assert {column[2:] for column in INDICATOR_COLUMNS} == set(INDICATORS)
