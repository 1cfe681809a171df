"""Work-unit performance (kinerja unit kerja): figures per unit and subtree computed by hand,
the exact merged median, the archive's figures through the hook (and without it), access,
bad input, the exports and the CLI.

The institution (conftest): SJ > BU > BU.TU and BU.KP. Published run of 2026 (scores
kinerja/potensial, box; - is not mapped):

- BU.TU: kabag_tu 80/90 box 8, tu1 70/80 box 5, tu2 60/95 box 6, tu4 95/95 box 9, tu3 and
  tu5 not mapped -> staff 6, mapped 4, mean kinerja 305/4 = 76.25, mean potensial 360/4 =
  90.00, composite 83.125 -> 83.13, pool 2/6 = 33.3 %.
- BU.KP: kabag_kp 92/79 box 7, kp1 65/70 box 1, kp2 75/85 box 5, hr 88/77 box 2, kp3 not
  mapped -> staff 5, mapped 4, kinerja 320/4 = 80.00, potensial 311/4 = 77.75, composite
  78.875 -> 78.88, pool 1/5 = 20.0 %.
- BU: kabiro 85/92 box 8. Subtree BU: staff 12, mapped 9, kinerja 710/9 = 78.89, potensial
  763/9 = 84.78, composite 81.835 -> 81.84, pool 4/12 = 33.3 %.
- SJ: sekretaris not mapped. Subtree SJ: staff 13, pool 4/13 = 30.8 %.
- Ranks at depth 2: BU.TU 1, BU.KP 2.
- 360 (rater's unit): TU raters 4 assignments, 2 submitted (50.0 %); KP 2 of 2; BU (kabiro)
  1 of 1 -> subtree BU 5 of 7 = 71.4 %.
- Dispositions 2026: tu1 1 h (due 2026-03-10, done that day: on time) and 3 h (due
  2026-03-10, done 2026-03-12: late); kp1 10 h, no due date, done -> BU.TU received 2, on
  time 1 of 2 = 50.0 %, median 2 h; BU.KP received 1, nothing judged, median 10 h; subtree
  BU: median of [1, 3, 10] = 3 h (medians do not add up: the histograms do).
- 2025: tu1 72/80 box 5, kp1 90/90 box 9; tu1 5 h -> subtree BU: kinerja 81.00, potensial
  85.00, composite 83.00, pool 1/2 = 50.0 %, median 5 h.
"""

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sikd_simantap import runs, units
from sikd_simantap.models import Assignment, Period, Result, Run
from sikd_simantap.scoring.numbers import median
from simantap_helpers import client_for
from sqlalchemy import event, select
from test_sources import load_tiny, make_period

from sikd_host.extensions import db
from sikd_host.org.models import Unit

R2026 = {
    "kabag_tu": (80, 90, 8), "tu1": (70, 80, 5), "tu2": (60, 95, 6), "tu4": (95, 95, 9),
    "tu3": (50, None, None), "tu5": (None, None, None),
    "kabag_kp": (92, 79, 7), "kp1": (65, 70, 1), "kp2": (75, 85, 5), "hr": (88, 77, 2),
    "kp3": (None, 60, None), "kabiro": (85, 92, 8), "sekretaris": (None, None, None),
}  # fmt: skip
R2025 = {"tu1": (72, 80, 5), "kp1": (90, 90, 9)}
UNIT_OF = {
    **{name: "BU.TU" for name in ("kabag_tu", "tu1", "tu2", "tu3", "tu4", "tu5")},
    **{name: "BU.KP" for name in ("kabag_kp", "kp1", "kp2", "kp3", "hr")},
    "kabiro": "BU",
    "sekretaris": "SJ",
}


def publish(institution, period, scores):
    run = Run(period_id=period.id, status="done", profile=period.profile, published=True)
    db.session.add(run)
    db.session.flush()
    for name, (kinerja, potensial, box) in scores.items():
        db.session.add(
            Result(
                run_id=run.id,
                user_id=institution.users[name],
                unit_id=institution.units[UNIT_OF[name]],
                kinerja=kinerja,
                potensial=potensial,
                box=box,
            )
        )
    return run


def assign(institution, period, rater, ratees, submitted):
    u = institution.users
    for ratee in ratees:
        db.session.add(
            Assignment(
                period_id=period.id,
                rater_id=u[rater],
                ratee_id=u[ratee],
                relation="rekan",
                submitted_at=dt.datetime(2026, 11, 1) if submitted.pop(0) else None,
            )
        )


def disposition(record_id, sender, recipient, sent, hours, due=None, done=None):
    from sikd_archive.models import Disposition

    db.session.add(
        Disposition(
            record_id=record_id,
            sender_id=sender,
            recipient_id=recipient,
            sent_at=sent,
            first_action_at=sent + dt.timedelta(hours=hours),
            response_hours=hours,
            due_on=due,
            done_at=done,
        )
    )


def make_record(unit_id, user_id):
    from sikd_archive.models import Record

    record = Record(
        kind="surat_masuk", agenda_year=2026, agenda_seq=1, agenda_number="00001/BU/2026",
        nomor="1/UM/2026", tanggal=dt.date(2026, 3, 1), perihal="Undangan rapat",
        unit_id=unit_id, created_by_id=user_id,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    return record.id


@pytest.fixture
def data(app, institution):
    """The dataset of the module docstring; returns the period ids."""
    u = institution.users
    with app.app_context():
        p2025, p2026 = make_period("2025"), make_period("2026")
        publish(institution, p2025, R2025)
        publish(institution, p2026, R2026)
        assign(institution, p2026, "tu1", ["tu2", "tu3", "tu4"], [True, True, False])
        assign(institution, p2026, "tu2", ["tu1"], [False])
        assign(institution, p2026, "kp1", ["kp2", "kp3"], [True, True])
        assign(institution, p2026, "kabiro", ["kabag_tu"], [True])
        record = make_record(institution.units["BU"], u["hr"])
        march = dt.datetime(2026, 3, 1, 8)
        due = dt.date(2026, 3, 10)
        disposition(record, u["kabag_tu"], u["tu1"], march, 1, due, dt.datetime(2026, 3, 10, 9))
        disposition(record, u["kabag_tu"], u["tu1"], march, 3, due, dt.datetime(2026, 3, 12, 9))
        disposition(record, u["kabag_kp"], u["kp1"], march, 10, None, dt.datetime(2026, 3, 2))
        disposition(record, u["kabag_tu"], u["tu1"], dt.datetime(2025, 5, 1, 8), 5)
        db.session.commit()
        return SimpleNamespace(p2025=p2025.id, p2026=p2026.id)


class HR:
    is_authenticated = True
    position = None

    def __init__(self, *permissions):
        self.permissions = set(permissions) or {"simantap.view_all"}

    def has_permission(self, name):
        return name in self.permissions


def report(app, period_id=None, unit=None, trend=False, viewer=None):
    with app.app_context():
        period = db.session.get(Period, period_id) if period_id else None
        found = units.performance(viewer or HR(), period, unit, trend=trend)
        lines = {line.node.code: line for line in found.lines}
        return found, lines


# --- pure parts ----------------------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=40))
def test_the_median_of_a_spread_histogram_is_the_exact_median(values):
    histogram = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    assert units.spread(histogram) == sorted(values)
    assert units.sorted_median(units.spread(histogram)) == median(values)


def test_the_median_of_nothing_and_the_merged_example():
    assert units.sorted_median([]) is None and units.spread({5: 0}) == []
    one, other = units.Figures(minutes=[60, 180]), units.Figures(minutes=[600])
    assert (one.median_response_hours, other.median_response_hours) == (2.0, 10.0)
    one.add(other)
    assert one.median_response_hours == 3.0  # not the mean of the medians (6)
    assert other.minutes == [600]  # the parts are left as they were


def test_ranks_by_depth_share_ties_and_skip_units_without_a_composite():
    ranks = units.rank_by_depth(
        {1: (0, 70.0), 2: (1, 80.0), 3: (1, 90.0), 4: (1, 80.0), 5: (1, 60.0), 6: (1, None)}
    )
    assert ranks == {1: 1, 3: 1, 2: 2, 4: 2, 5: 4}


def test_the_tree_survives_orphans_and_cycles():
    tree = units.Tree([(1, None, "A", "a"), (2, 1, "A.1", "b"), (3, 99, "X", "x"), (4, 5, "C", "c"),
                       (5, 4, "D", "d")])  # fmt: skip
    assert tree.subtree(1) == [1, 2] and tree.nodes[2].depth == 1
    assert tree.nodes[3].depth == 0  # a missing parent makes a root
    assert set(tree.order) == {1, 2, 3, 4, 5} and tree.subtree(4) == [4, 5]


# --- the figures ---------------------------------------------------------------------------


def test_figures_of_each_unit_and_subtree_by_hand(app, data):
    found, lines = report(app, data.p2026)
    assert found.period.code == "2026" and found.activity
    assert [line.node.code for line in found.lines] == ["SJ", "BU", "BU.KP", "BU.TU"]
    tu, kp, bu, sj = (lines[c].figures for c in ("BU.TU", "BU.KP", "BU", "SJ"))
    assert (tu.staff, tu.mapped, tu.mean_kinerja, tu.mean_potensial, tu.composite) == (
        6, 4, 76.25, 90.0, 83.13,
    )  # fmt: skip
    assert (tu.talent_pool, tu.talent_pool_percent) == (2, 33.3)
    assert (kp.mean_kinerja, kp.mean_potensial, kp.composite, kp.talent_pool_percent) == (
        80.0, 77.75, 78.88, 20.0,
    )  # fmt: skip
    assert (bu.staff, bu.mapped, bu.mean_kinerja, bu.mean_potensial, bu.composite) == (
        12, 9, 78.89, 84.78, 81.84,
    )  # fmt: skip
    assert (bu.talent_pool_percent, sj.staff, sj.talent_pool_percent) == (33.3, 13, 30.8)
    assert sj.boxes == {1: 1, 2: 1, 5: 2, 6: 1, 7: 1, 8: 2, 9: 1} and sj.not_mapped == 4
    assert (tu.assignments, tu.submitted, tu.completion_percent) == (4, 2, 50.0)
    assert (kp.completion_percent, bu.assignments, bu.completion_percent) == (100.0, 7, 71.4)
    assert [(lines[c].rank, lines[c].ranked_at_depth) for c in ("SJ", "BU", "BU.TU", "BU.KP")] == [
        (1, 1), (1, 1), (1, 2), (2, 2),
    ]  # fmt: skip


def test_disposition_figures_and_the_exact_merged_median(app, data):
    _found, lines = report(app, data.p2026)
    tu, kp, bu, sj = (lines[c].figures for c in ("BU.TU", "BU.KP", "BU", "SJ"))
    assert (tu.received, tu.due, tu.done_on_time, tu.on_time_percent) == (2, 2, 1, 50.0)
    assert tu.median_response_hours == 2.0
    assert (kp.received, kp.due, kp.on_time_percent, kp.median_response_hours) == (
        1, 0, None, 10.0,
    )  # fmt: skip
    assert (bu.received, bu.on_time_percent, bu.median_response_hours) == (3, 50.0, 3.0)
    assert sj.median_response_hours == 3.0


def test_trend_across_periods_with_a_published_run(app, data, institution):
    found, _lines = report(app, data.p2026, institution.units["BU"], trend=True)
    assert [point.period.code for point in found.trend] == ["2025", "2026"]
    old, new = (point.figures for point in found.trend)
    assert (old.staff, old.mean_kinerja, old.mean_potensial, old.composite) == (2, 81.0, 85.0, 83.0)
    assert (old.talent_pool_percent, old.median_response_hours) == (50.0, 5.0)
    assert (new.composite, new.median_response_hours) == (81.84, 3.0)
    assert [child.node.code for child in found.children] == ["BU.KP", "BU.TU"]
    # the default period is the latest with a published run
    assert report(app)[0].period.code == "2026"


def test_without_the_archive_there_are_no_disposition_figures(app, data, enabled_plugins):
    enabled_plugins("simantap")
    found, lines = report(app, data.p2026)
    assert not found.activity
    assert lines["BU"].figures.received == 0 and lines["BU"].figures.median_response_hours is None
    assert lines["BU"].figures.composite == 81.84  # the rest is unchanged
    page = client_for(app, "hr").get("/simantap/unit-kerja?period=2026")
    assert page.status_code == 200
    assert "Dispositions received" not in page.text and "records plugin is enabled" in page.text
    exported = client_for(app, "hr").get("/simantap/unit-kerja/export?period=2026&format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[0]["disposisi_diterima"] == "" and rows[0]["median_respons_jam"] == ""


def test_the_real_scoring_run_means_round_half_up_from_the_published_scores(app, institution):
    period_id = load_tiny(app, institution)
    with app.app_context():
        run = runs.score(db.session.get(Period, period_id), None)
        runs.publish(run, None)
    _found, lines = report(app, period_id)
    tu = lines["BU.TU"].figures
    # tu1 77.39 / 77.5 (box 2) and kabag_tu 70.00 / 85.6 (box 5): (77.39 + 70) / 2 = 73.695
    assert (tu.mapped, tu.mean_kinerja, tu.mean_potensial, tu.composite) == (2, 73.7, 81.55, 77.63)
    assert tu.boxes == {2: 1, 5: 1} and tu.staff == 6


def test_a_period_without_a_published_run_shows_no_figures(app, data, institution):
    with app.app_context():
        make_period("2027")
        db.session.commit()
    page = client_for(app, "hr").get("/simantap/unit-kerja?period=2027")
    assert page.status_code == 200 and "no published run" in page.text
    assert client_for(app, "hr").get("/simantap/unit-kerja/export?period=2027").status_code == 404
    one = client_for(app, "hr").get(f"/simantap/unit-kerja/{institution.units['BU']}?period=2027")
    assert one.status_code == 200 and "no published run" in one.text


def test_before_any_published_run_the_pages_say_so(app, institution):
    client = client_for(app, "hr")
    assert "No published run yet." in client.get("/simantap/unit-kerja").text
    one = client.get(f"/simantap/unit-kerja/{institution.units['SJ']}")
    assert one.status_code == 200 and "No published run yet." in one.text
    assert client.get("/simantap/unit-kerja/export").status_code == 404


def test_a_handful_of_queries_whatever_the_number_of_units(app, data, institution):
    def count_queries():
        with app.app_context():
            seen = []
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                period = db.session.get(Period, data.p2026)
                units.performance(HR(), period, institution.units["BU"], trend=True)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen)

    before = count_queries()
    with app.app_context():
        parent = db.session.get(Unit, institution.units["BU.TU"])
        for i in range(30):
            db.session.add(Unit(code=f"BU.TU.{i:02d}", name=f"Subbagian {i}", parent=parent))
        db.session.commit()
    assert count_queries() == before <= 8


# --- pages and access ----------------------------------------------------------------------


def test_hr_sees_every_unit_with_the_ranking(app, data, institution):
    client = client_for(app, "hr")
    page = client.get("/simantap/unit-kerja")
    assert page.status_code == 200
    for text in ("Sekretariat Jenderal", "Bagian Tata Usaha", "Bagian Kepegawaian", "83.13"):
        assert text in page.text
    assert "style=" not in page.text.split("<main", 1)[-1] and "<script>" not in page.text
    ranked = client.get("/simantap/unit-kerja?sort=rank&period=2026").text
    ranked = ranked.split('id="units-title"', 1)[1]  # the table, not the unit filter
    assert ranked.index("Bagian Tata Usaha") < ranked.index("Bagian Kepegawaian")
    chosen = client.get(f"/simantap/unit-kerja?unit={institution.units['BU']}").text
    assert "Trend across periods" in chosen and "2025" in chosen
    one = client.get(f"/simantap/unit-kerja/{institution.units['BU']}?period=2026")
    assert one.status_code == 200
    assert "81.84" in one.text and "3.00" in one.text and "Units below" in one.text
    assert "1 of 1 units at this level" in one.text
    assert one.text.count('role="img"') == 2  # the trend as two charts, beside the table
    assert "Scores of BU Biro Umum across periods" in one.text


def test_a_leader_sees_their_own_subtree_only(app, data, institution):
    client = client_for(app, "kabag_tu")
    page = client.get("/simantap/unit-kerja")
    assert page.status_code == 200
    main = page.text.split("<main", 1)[1]  # the header names the user's own units
    assert "Bagian Tata Usaha" in main and "Bagian Kepegawaian" not in main
    assert "Sekretariat Jenderal" not in main and "Biro Umum" not in main
    assert client.get(f"/simantap/unit-kerja/{institution.units['BU.TU']}").status_code == 200
    for other in ("BU", "BU.KP", "SJ"):
        assert client.get(f"/simantap/unit-kerja/{institution.units[other]}").status_code == 404
        assert (
            client.get(f"/simantap/unit-kerja?unit={institution.units[other]}").status_code == 404
        )
        export = client.get(f"/simantap/unit-kerja/export?unit={institution.units[other]}")
        assert export.status_code == 404
    rows = list(csv.DictReader(io.StringIO(client.get("/simantap/unit-kerja/export").text)))
    assert [row["kode_unit"] for row in rows] == ["BU.TU"]
    kabiro = client_for(app, "kabiro").get("/simantap/unit-kerja").text.split("<main", 1)[1]
    assert "Bagian Kepegawaian" in kabiro and "Sekretariat Jenderal" not in kabiro


def test_pegawai_are_refused_and_the_committee_sees_everything(app, data, institution):
    client = client_for(app, "tu1")
    assert client.get("/simantap/unit-kerja").status_code == 403
    assert client.get(f"/simantap/unit-kerja/{institution.units['BU.TU']}").status_code == 403
    assert client.get("/simantap/unit-kerja/export").status_code == 403
    assert "/simantap/unit-kerja" not in client.get("/simantap/").text
    assert "/simantap/unit-kerja" in client_for(app, "hr").get("/simantap/").text
    committee = HR("simantap.succession")
    found, lines = report(app, data.p2026, viewer=committee)
    assert set(lines) == {"SJ", "BU", "BU.TU", "BU.KP"}
    with app.app_context(), pytest.raises(units.UnitsError) as refused:
        units.performance(HR("simantap.use"), None)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "url",
    [
        "/simantap/unit-kerja?period=1999",
        "/simantap/unit-kerja?period=%3Cscript%3E",
        "/simantap/unit-kerja?period=" + "9" * 300,
        "/simantap/unit-kerja?unit=abc",
        "/simantap/unit-kerja?unit=-1",
        "/simantap/unit-kerja?unit=99999999999999999999999",
        "/simantap/unit-kerja?unit=424242",
        "/simantap/unit-kerja/424242",
        "/simantap/unit-kerja/99999999999999999999999",
        "/simantap/unit-kerja/abc",
        "/simantap/unit-kerja/-3",
        "/simantap/unit-kerja/1?period=nope",
        "/simantap/unit-kerja/export?format=pdf",
        "/simantap/unit-kerja/export?period=1999",
        "/simantap/unit-kerja/export?unit=x1",
    ],
)
def test_bad_input_is_404_never_500(app, data, url):
    assert client_for(app, "hr").get(url).status_code == 404


def test_an_odd_sort_is_ignored(app, data):
    assert client_for(app, "hr").get("/simantap/unit-kerja?sort=%27;drop").status_code == 200


# --- exports and the CLI -------------------------------------------------------------------


def test_csv_and_xlsx_have_the_columns_and_the_figures(app, data, institution):
    with app.app_context():  # a name a spreadsheet would run as a formula
        db.session.get(Unit, institution.units["BU.KP"]).name = "=HYPERLINK(1)"
        db.session.commit()
    client = client_for(app, "hr")
    response = client.get("/simantap/unit-kerja/export?period=2026&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="unit-kerja-2026-run' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == units.EXPORT_COLUMNS
    by_code = {row["kode_unit"]: row for row in rows}
    assert [row["kode_unit"] for row in rows] == ["SJ", "BU", "BU.KP", "BU.TU"]
    bu = by_code["BU"]
    assert (bu["kode_induk"], bu["tingkat"], bu["pegawai"], bu["skor_gabungan"]) == (
        "SJ", "1", "12", "81.84",
    )  # fmt: skip
    assert (bu["persen_penilaian_360"], bu["median_respons_jam"], bu["peringkat"]) == (
        "71.4", "3.0", "1",
    )  # fmt: skip
    assert by_code["BU.KP"]["nama_unit"] == "'=HYPERLINK(1)"
    assert by_code["BU.TU"]["kotak_8"] == "1" and by_code["BU.TU"]["belum_dipetakan"] == "2"
    assert by_code["BU.KP"]["persen_tepat_waktu"] == ""  # nothing judged
    response = client.get(
        f"/simantap/unit-kerja/export?period=2026&format=xlsx&unit={institution.units['BU']}"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == units.EXPORT_COLUMNS
    assert [row[0] for row in table[1:]] == ["BU", "BU.KP", "BU.TU"]
    kp = table[2]
    assert kp[1] == "=HYPERLINK(1)" and sheet.cell(row=3, column=2).data_type == "s"
    assert table[1][units.EXPORT_COLUMNS.index("median_respons_jam")] == 3.0


def test_cli_exports_units_and_still_the_ninebox(app, data, tmp_path):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["simantap", "export", "units", "--period", "2026"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [row["kode_unit"] for row in rows] == ["SJ", "BU", "BU.KP", "BU.TU"]
    assert rows[1]["skor_gabungan"] == "81.84" and rows[1]["disposisi_diterima"] == "3"
    target = tmp_path / "units.xlsx"
    out = runner.invoke(
        args=["simantap", "export", "units", "--period", "2026", "--format", "xlsx",
              "--output", str(target)]
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert load_workbook(target).active.cell(row=1, column=1).value == "kode_unit"
    missing = runner.invoke(args=["simantap", "export", "units", "--period", "1999"])
    assert missing.exit_code != 0 and "no period 1999" in missing.output
    with app.app_context():
        make_period("2027")
        db.session.commit()
    unpublished = runner.invoke(args=["simantap", "export", "units", "--period", "2027"])
    assert unpublished.exit_code != 0 and "no published run" in unpublished.output
    ninebox = runner.invoke(args=["simantap", "export", "ninebox", "--period", "2026"])
    assert ninebox.exit_code == 0 and ninebox.stdout.startswith("nip,nama,unit")


def test_results_without_a_unit_are_left_out(app, data, institution):
    with app.app_context():
        run = db.session.scalar(select(Run).where(Run.period_id == data.p2026))
        result = db.session.get(Result, (run.id, institution.users["tu5"]))
        result.unit_id = None
        db.session.commit()
    _found, lines = report(app, data.p2026)
    assert lines["BU.TU"].figures.staff == 5 and lines["SJ"].figures.staff == 12
