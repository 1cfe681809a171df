"""Every built-in score source against values computed by hand on a tiny dataset
(DOMAIN.md section 6). ``load_tiny`` is shared by the run, result and nine-box tests.

The hand computations (period 2026, reference date 2026-12-31):

- SKP: tu1 Baik 80; kabag_tu Sangat Baik 100; tu3 Sangat Kurang 20; tu2 has only 2025.
- e-Kinerja: tu1 87.5; tu2 only for 2025.
- Kehadiran 2026: tu1 (95, 10 h, 80, 0 min), tu2 (90, 30 h, -, 300 min),
  tu3 (-, 30 h, 70, 900 min), tu4 (100, 0 h, 100, 60 min); tu5 only for 2025.
  Overtime ranks among [0, 10, 30, 30]: tu4 25, tu1 50, tu2 and tu3 100.
  Lateness: 0 -> 100, 300 -> 50, 900 -> 0, 60 -> 90.
- 360 (atasan 40, rekan 30, bawahan 30, diri 0, k = 3; submitted only):
  tu1: atasan all 4 -> 75; rekan 3, 32/7, 4 -> mean 27/7 -> 71.428571; tu5's rekan form is
  not submitted; diri weighs 0 -> (40 * 75 + 30 * 71.428571) / 70 = 73.469388.
  tu2: the atasan form is not submitted, two rekan only -> missing.
  kabag_tu: two bawahan (dropped), atasan all 2 -> 25 (the superior always counts).
  tu3: three rekan, all 5 -> 100.
- Kompetensi: tu1 85 / 75 (2026-06-01; the 2027 one is after the reference date);
  tu2 80 / no potential; kabag_tu 95 / 92; tu3 only after the reference date -> missing.
- Rekam jejak: tu1 S1 80, 12 JP in 2026 -> 60, ringan (berat on 2024-12-31 is exactly 2 years
  before, so out) -> 70: 70. tu2 S2 90, no training 0, sedang 30: 40. tu4 SMA 60, 30 JP -> 100,
  none 100: 86.666667. kabag_tu S3 100, training only in 2027 -> 0, berat only in 2027 -> 100:
  66.666667. tu3 has no education -> missing.
"""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sikd_simantap import runs
from sikd_simantap.models import (
    Assignment,
    Attendance,
    Competency,
    Discipline,
    EKinerja,
    Employee,
    Period,
    Rating,
    Skp,
    Training,
)
from sikd_simantap.scoring import mapping
from sikd_simantap.scoring.combine import three_sixty_groups
from sikd_simantap.scoring.indicators import three_sixty
from sikd_simantap.scoring.numbers import round2
from sikd_simantap.scoring.placer import Placer, fast_round2
from sikd_simantap.scoring.profile import INDICATORS, PRESETS, preset
from sikd_simantap.sources import (
    AttendanceSource,
    CompetencySource,
    EKinerjaSource,
    SkpSource,
    ThreeSixtySource,
    TrackRecordSource,
    all_sources,
)

from sikd_host.extensions import db

SUBMITTED = dt.datetime(2026, 11, 1, 9)


def make_period(code="2026", profile_name="Permenpan 3/2020", profile=None):
    year = int(code)
    period = Period(
        code=code,
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        status="open",
        profile_name=profile_name,
        profile=profile or preset(profile_name),
    )
    db.session.add(period)
    db.session.flush()
    return period


def rate(period, rater, ratee, relation, items, submitted=True):
    assignment = Assignment(
        period_id=period.id,
        rater_id=rater,
        ratee_id=ratee,
        relation=relation,
        submitted_at=SUBMITTED if submitted else None,
    )
    db.session.add(assignment)
    db.session.flush()
    for butir, nilai in enumerate(items, start=1):
        db.session.add(Rating(assignment_id=assignment.id, butir=butir, nilai=nilai))


def load_tiny(app, institution, profile_name="Permenpan 3/2020"):
    """The dataset of the module docstring; returns the period id."""
    u = institution.users
    with app.app_context():
        period = make_period(profile_name=profile_name)
        db.session.add_all(
            [
                Skp(user_id=u["tu1"], tahun=2026, predikat="Baik"),
                Skp(user_id=u["tu2"], tahun=2025, predikat="Sangat Baik"),
                Skp(user_id=u["tu3"], tahun=2026, predikat="Sangat Kurang"),
                Skp(user_id=u["kabag_tu"], tahun=2026, predikat="Sangat Baik"),
                EKinerja(user_id=u["tu1"], periode="2026", nilai=87.5),
                EKinerja(user_id=u["tu2"], periode="2025", nilai=90),
                Attendance(
                    user_id=u["tu1"], periode="2026", persen_hadir=95, jam_lembur=10,
                    persen_rapat=80, menit_terlambat=0,
                ),
                Attendance(
                    user_id=u["tu2"], periode="2026", persen_hadir=90, jam_lembur=30,
                    persen_rapat=None, menit_terlambat=300,
                ),
                Attendance(
                    user_id=u["tu3"], periode="2026", persen_hadir=None, jam_lembur=30,
                    persen_rapat=70, menit_terlambat=900,
                ),
                Attendance(
                    user_id=u["tu4"], periode="2026", persen_hadir=100, jam_lembur=0,
                    persen_rapat=100, menit_terlambat=60,
                ),
                Attendance(
                    user_id=u["tu5"], periode="2025", persen_hadir=50, jam_lembur=99,
                    persen_rapat=50, menit_terlambat=10,
                ),
                Competency(user_id=u["tu1"], tanggal=dt.date(2025, 6, 1), jpm=70, skor_potensi=60),
                Competency(user_id=u["tu1"], tanggal=dt.date(2026, 6, 1), jpm=85, skor_potensi=75),
                Competency(user_id=u["tu1"], tanggal=dt.date(2027, 1, 15), jpm=99, skor_potensi=99),
                Competency(user_id=u["tu2"], tanggal=dt.date(2026, 3, 1), jpm=80),
                Competency(
                    user_id=u["kabag_tu"], tanggal=dt.date(2026, 1, 10), jpm=95, skor_potensi=92
                ),
                Competency(user_id=u["tu3"], tanggal=dt.date(2027, 2, 1), jpm=90, skor_potensi=90),
                Employee(user_id=u["tu1"], pendidikan="S1", golongan="III/a"),
                Employee(user_id=u["tu2"], pendidikan="S2", golongan="III/b"),
                Employee(user_id=u["tu3"], pendidikan=None, golongan="II/c"),
                Employee(user_id=u["tu4"], pendidikan="SMA", golongan="II/c"),
                Employee(user_id=u["kabag_tu"], pendidikan="S3", golongan="IV/a"),
                Training(user_id=u["tu1"], tanggal=dt.date(2026, 3, 1), nama="A", jp=8),
                Training(user_id=u["tu1"], tanggal=dt.date(2026, 10, 1), nama="B", jp=4),
                Training(user_id=u["tu1"], tanggal=dt.date(2025, 12, 31), nama="C", jp=40),
                Training(user_id=u["tu4"], tanggal=dt.date(2026, 5, 1), nama="D", jp=30),
                Training(user_id=u["kabag_tu"], tanggal=dt.date(2027, 1, 1), nama="E", jp=20),
                Discipline(user_id=u["tu1"], tanggal=dt.date(2025, 5, 1), tingkat="ringan"),
                Discipline(user_id=u["tu1"], tanggal=dt.date(2024, 12, 31), tingkat="berat"),
                Discipline(user_id=u["tu2"], tanggal=dt.date(2026, 2, 1), tingkat="sedang"),
                Discipline(user_id=u["tu2"], tanggal=dt.date(2025, 1, 1), tingkat="ringan"),
                Discipline(user_id=u["kabag_tu"], tanggal=dt.date(2027, 1, 5), tingkat="berat"),
            ]
        )  # fmt: skip
        rate(period, u["kabag_tu"], u["tu1"], "atasan", [4] * 7)
        rate(period, u["tu2"], u["tu1"], "rekan", [3] * 7)
        rate(period, u["tu3"], u["tu1"], "rekan", [5, 5, 5, 5, 5, 5, 2])
        rate(period, u["tu4"], u["tu1"], "rekan", [4] * 7)
        rate(period, u["tu5"], u["tu1"], "rekan", [1] * 7, submitted=False)
        rate(period, u["tu1"], u["tu1"], "diri", [5] * 7)
        rate(period, u["kabag_tu"], u["tu2"], "atasan", [5] * 7, submitted=False)
        rate(period, u["tu1"], u["tu2"], "rekan", [5] * 7)
        rate(period, u["tu3"], u["tu2"], "rekan", [5] * 7)
        rate(period, u["kabiro"], u["kabag_tu"], "atasan", [2] * 7)
        rate(period, u["tu1"], u["kabag_tu"], "bawahan", [5] * 7)
        rate(period, u["tu2"], u["kabag_tu"], "bawahan", [5] * 7)
        for peer in ("tu1", "tu2", "tu4"):
            rate(period, u[peer], u["tu3"], "rekan", [5] * 7)
        db.session.commit()
        return period.id


@pytest.fixture
def tiny(app, institution):
    return load_tiny(app, institution)


def values_of(app, period_id, source):
    with app.app_context():
        period = db.session.get(Period, period_id)
        return source.values(runs.period_view(period, period.profile))


def test_skp_counts_the_period_year_only(app, institution, tiny):
    u = institution.users
    assert values_of(app, tiny, SkpSource()) == {
        "skp": {u["tu1"]: 80.0, u["tu3"]: 20.0, u["kabag_tu"]: 100.0}
    }


def test_ekinerja_of_the_period_code(app, institution, tiny):
    assert values_of(app, tiny, EKinerjaSource()) == {"ekinerja": {institution.users["tu1"]: 87.5}}


def test_attendance_overtime_percentile_and_lateness(app, institution, tiny):
    u = institution.users
    found = values_of(app, tiny, AttendanceSource())
    assert found["kehadiran"] == {u["tu1"]: 95.0, u["tu2"]: 90.0, u["tu4"]: 100.0}
    assert found["lembur"] == {u["tu4"]: 25.0, u["tu1"]: 50.0, u["tu2"]: 100.0, u["tu3"]: 100.0}
    assert found["rapat"] == {u["tu1"]: 80.0, u["tu3"]: 70.0, u["tu4"]: 100.0}
    assert found["terlambat"] == {u["tu1"]: 100.0, u["tu2"]: 50.0, u["tu3"]: 0.0, u["tu4"]: 90.0}


def test_360_from_raw_items_groups_under_k_dropped_superior_always(app, institution, tiny):
    u = institution.users
    found = values_of(app, tiny, ThreeSixtySource())["penilaian360"]
    assert set(found) == {u["tu1"], u["kabag_tu"], u["tu3"]}  # tu2: nothing left
    assert found[u["tu1"]] == pytest.approx(73.469387755)
    assert found[u["kabag_tu"]] == pytest.approx(25.0)
    assert found[u["tu3"]] == pytest.approx(100.0)


def test_360_k_and_group_weights_come_from_the_profile(app, institution, tiny):
    u = institution.users
    with app.app_context():
        period = db.session.get(Period, tiny)
        profile = dict(period.profile, k=2, groups={"atasan": 0, "rekan": 1, "bawahan": 1})
        found = ThreeSixtySource().values(runs.period_view(period, profile))["penilaian360"]
    assert found[u["tu2"]] == pytest.approx(100.0)  # two rekan now enough
    assert found[u["kabag_tu"]] == pytest.approx(100.0)  # atasan weighs 0, bawahan counts
    assert found[u["tu1"]] == pytest.approx(1 / 4 * 100 * (27 / 7 - 1))


def test_competency_latest_on_or_before_the_reference_date(app, institution, tiny):
    u = institution.users
    found = values_of(app, tiny, CompetencySource())
    assert found["kompetensi"] == {u["tu1"]: 85.0, u["tu2"]: 80.0, u["kabag_tu"]: 95.0}
    assert found["potensi"] == {u["tu1"]: 75.0, u["kabag_tu"]: 92.0}


def test_track_record_training_window_and_worst_discipline(app, institution, tiny):
    u = institution.users
    found = values_of(app, tiny, TrackRecordSource())["rekam_jejak"]
    assert set(found) == {u["tu1"], u["tu2"], u["tu4"], u["kabag_tu"]}
    assert found[u["tu1"]] == pytest.approx(70.0)
    assert found[u["tu2"]] == pytest.approx(40.0)
    assert found[u["tu4"]] == pytest.approx(260 / 3)
    assert found[u["kabag_tu"]] == pytest.approx(200 / 3)


def test_plugin_sources_join_the_built_ins_and_vanish_when_disabled(app, enabled_plugins):
    with app.app_context():
        found = {(p.plugin, i) for p in all_sources() for i in p.source.indicators}
    assert ("simantap", "skp") in found and ("archive", "beban_kerja") in found
    enabled_plugins("simantap")
    with app.app_context():
        found = {(p.plugin, i) for p in all_sources() for i in p.source.indicators}
    assert ("simantap", "rekam_jejak") in found
    assert not {i for plugin, i in found if plugin == "archive"}


indicator_values = st.dictionaries(
    st.sampled_from(sorted(INDICATORS)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False)),
)


@given(indicator_values, st.sampled_from(sorted(PRESETS)))
def test_property_the_fast_placer_agrees_with_mapping_place(values, name):
    profile = preset(name)
    placement = mapping.place(values, profile)
    placed = Placer(profile)(values)
    assert placed.kinerja == placement.kinerja.score
    assert placed.potensial == placement.potensial.score
    assert placed.coverage_kinerja == placement.kinerja.coverage
    assert placed.coverage_potensial == placement.potensial.coverage
    assert (placed.kinerja_band, placed.potensial_band, placed.box) == (
        placement.kinerja_band,
        placement.potensial_band,
        placement.box,
    )
    assert placed.missing == tuple(
        sorted(set(placement.kinerja.missing + placement.potensial.missing))
    )


@given(st.floats(min_value=-1000, max_value=1000, allow_nan=False))
def test_property_fast_round2_is_round2(value):
    assert fast_round2(value) == round2(value)
    assert fast_round2(round(value, 3)) == round2(round(value, 3))


rater_lists = st.lists(st.floats(min_value=1, max_value=5), max_size=5)


@given(
    st.fixed_dictionaries({r: rater_lists for r in ("atasan", "rekan", "bawahan", "diri")}),
    st.integers(min_value=1, max_value=4),
)
def test_property_360_from_group_aggregates_agrees_with_the_rule(raters, k):
    weights = {"atasan": 40, "rekan": 30, "bawahan": 30, "diri": 0}
    groups = {r: (sum(s) / len(s), len(s)) for r, s in raters.items() if s}
    expected = three_sixty(raters, weights, k)
    found = three_sixty_groups(groups, weights, k)
    assert (found is None) == (expected is None)
    if found is not None:
        assert found == pytest.approx(expected)
