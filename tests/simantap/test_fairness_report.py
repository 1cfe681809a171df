"""The fairness view and the printable "Laporan Pemetaan Talenta" on a hand-built run
whose counts are known, their access control and their answers to bad input.

The run of period 2026 (published, results written by hand) places the 13 employees of the
test institution and ``lain`` (no NIP, no position):

    name        gender  unit    golongan pendidikan box
    sekretaris  pria    SJ      IV/d     S3         9
    kabiro      pria    BU      IV/c     S2         8
    kabag_tu    wanita  BU.TU   IV/a     S2         9
    kabag_kp    pria    BU.KP   IV/a     S1         5
    tu1         pria    BU.TU   III/a    S1         7
    tu2         wanita  BU.TU   III/a    D3         5
    tu3         pria    BU.TU   II/c     SMA        1
    tu4         wanita  BU.TU   II/c     SMA        -  (kinerja coverage 40: skp missing)
    tu5         pria    BU.TU   -        -          2
    kp1         pria    BU.KP   III/b    S1         4
    kp2         wanita  BU.KP   III/b    S2         8
    kp3         pria    BU.KP   -        -          -  (no data at all)
    hr          pria    BU.KP   -        -          6
    lain        -       -       -        -          3

By gender: pria 9 employees, 8 mapped, boxes 1-3: 2 (25.0%), 4-6: 3 (37.5%), pool 3
(37.5%); wanita 4, 3 mapped, 1 not mapped (25.0%), 4-6: 1 (33.3%), pool 2 (66.7%);
not derivable: lain. 14 scored, 12 mapped, pool 5.
"""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from sikd_simantap import charts, fairness, report
from sikd_simantap.models import Employee, Period, Result, Run
from sikd_simantap.scoring.profile import preset
from simantap_helpers import client_for

from sikd_host.auth.models import Role, RolePermission
from sikd_host.extensions import db
from sikd_host.org.models import Unit

PEOPLE = {
    # name: (unit code or None, golongan, pendidikan, box, kinerja, potensial)
    "sekretaris": ("SJ", "IV/d", "S3", 9, 95.0, 93.0),
    "kabiro": ("BU", "IV/c", "S2", 8, 80.0, 92.0),
    "kabag_tu": ("BU.TU", "IV/a", "S2", 9, 92.0, 95.0),
    "kabag_kp": ("BU.KP", "IV/a", "S1", 5, 75.0, 80.0),
    "tu1": ("BU.TU", "III/a", "S1", 7, 91.0, 85.0),
    "tu2": ("BU.TU", "III/a", "D3", 5, 72.0, 79.0),
    "tu3": ("BU.TU", "II/c", "SMA", 1, 50.0, 60.0),
    "tu4": ("BU.TU", "II/c", "SMA", None, 50.0, 80.0),
    "tu5": ("BU.TU", None, None, 2, 75.0, 70.0),
    "kp1": ("BU.KP", "III/b", "S1", 4, 95.0, 60.0),
    "kp2": ("BU.KP", "III/b", "S2", 8, 85.0, 91.0),
    "kp3": ("BU.KP", None, None, None, None, None),
    "hr": ("BU.KP", None, None, 6, 60.0, 95.0),
    "lain": (None, None, None, 3, 60.0, 85.0),
}
NOT_MAPPED = {
    # name: (coverage kinerja, coverage potensial, missing)
    "tu4": (40.0, 100.0, ["skp"]),
    "kp3": (0.0, 0.0, ["kompetensi", "penilaian360", "potensi", "rekam_jejak", "skp"]),
}
BANDS = {
    1: ("di_bawah", "rendah"), 2: ("sesuai", "rendah"), 3: ("di_bawah", "menengah"),
    4: ("di_atas", "rendah"), 5: ("sesuai", "menengah"), 6: ("di_bawah", "tinggi"),
    7: ("di_atas", "menengah"), 8: ("sesuai", "tinggi"), 9: ("di_atas", "tinggi"),
}  # fmt: skip
FINGERPRINT = "f" * 8 + "0123456789abcdef" * 3 + "e" * 8


def make_period(code):
    year = int(code)
    period = Period(
        code=code,
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        status="closed",
        profile_name="Permenpan 3/2020",
        profile=preset("Permenpan 3/2020"),
    )
    db.session.add(period)
    db.session.flush()
    return period


@pytest.fixture
def hand_built(app, institution, make_user):
    """The run of the module docstring; also period 2025 with no published run, and a
    committee member (``komite``: only simantap.succession)."""
    with app.app_context():
        db.session.add(
            Role(name="komite", grants=[RolePermission(permission="simantap.succession")])
        )
        db.session.commit()
    users = dict(institution.users)
    users["lain"] = make_user("lain", roles=["pegawai"])
    make_user("komite", roles=["komite"])
    with app.app_context():
        period = make_period("2026")
        unpublished = make_period("2025")
        db.session.add(Run(period_id=unpublished.id, status="done", profile=unpublished.profile))
        run = Run(
            period_id=period.id,
            status="done",
            profile=period.profile,
            fingerprint=FINGERPRINT,
            employees=len(PEOPLE),
            published=True,
            published_at=dt.datetime(2027, 1, 20, 9, 30),
        )
        db.session.add(run)
        db.session.flush()
        units = {u.code: u.id for u in db.session.query(Unit)}
        for name, (unit, golongan, pendidikan, box, kinerja, potensial) in PEOPLE.items():
            coverage_k, coverage_p, missing = NOT_MAPPED.get(name, (100.0, 100.0, []))
            k_band, p_band = BANDS[box] if box else (None, None)
            db.session.add(
                Result(
                    run_id=run.id, user_id=users[name], unit_id=units.get(unit),
                    kinerja=kinerja, potensial=potensial, coverage_kinerja=coverage_k,
                    coverage_potensial=coverage_p, kinerja_band=k_band, potensial_band=p_band,
                    box=box, missing=missing,
                )
            )  # fmt: skip
            if golongan or pendidikan:
                db.session.add(
                    Employee(user_id=users[name], golongan=golongan, pendidikan=pendidikan)
                )
        db.session.commit()
        return run.id


class Tables(HTMLParser):
    """Every table of a page by id: rows of (data-group or data-* key, [cell texts])."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self.current = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self.current is not None:
            key = next((v for k, v in attrs.items() if k.startswith("data-")), None)
            self.row = (key, [])
            self.current.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row[1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.current = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data + " ")


def tables(html):
    parser = Tables()
    parser.feed(html)
    return {
        name: {key: cells for key, cells in rows if key} for name, rows in parser.tables.items()
    }


def svg(html, chart_id):
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match, chart_id
    return ET.fromstring(match.group(0))


def bars(root):
    ns = {"svg": charts.SVG_NS}
    return {
        bar.get("data-label"): [r.get("data-value") for r in bar.iterfind("svg:rect", ns)]
        for bar in root.iterfind(".//svg:g[@class='bar']", ns)
    }


# --- the queries ------------------------------------------------------------------------


def test_breakdowns_count_in_sql_what_the_table_says(app, hand_built):
    with app.app_context():
        run = db.session.get(Run, hand_built)
        gender = {g.key: g for g in fairness.by_gender(run).groups}
        assert list(gender) == ["pria", "wanita", None]
        pria, wanita, unknown = gender["pria"], gender["wanita"], gender[None]
        assert (pria.total, pria.mapped, pria.not_mapped, pria.pool) == (9, 8, 1, 3)
        assert pria.counts == {9: 1, 8: 1, 5: 1, 7: 1, 1: 1, 2: 1, 4: 1, 6: 1}
        assert pria.group_counts() == [2, 3, 3] and pria.group_percents() == [25.0, 37.5, 37.5]
        assert pria.pool_percent == 37.5 and pria.not_mapped_percent == 11.1
        assert (wanita.total, wanita.mapped, wanita.not_mapped_percent) == (4, 3, 25.0)
        assert wanita.group_percents() == [0.0, 33.3, 66.7] and wanita.pool_percent == 66.7
        assert unknown.counts == {3: 1} and unknown.total == 1
        total = fairness.by_gender(run).total
        assert (total.total, total.mapped, total.pool) == (14, 12, 5)

        golongan = fairness.by_golongan(run).groups
        assert [g.key for g in golongan] == ["II/c", "III/a", "III/b", "IV/a", "IV/c", "IV/d", None]
        by = {g.key: g for g in golongan}
        assert by["II/c"].counts == {1: 1} and by["II/c"].not_mapped == 1
        assert by["IV/a"].counts == {9: 1, 5: 1} and by["IV/a"].pool_percent == 50.0
        assert by[None].counts == {2: 1, 6: 1, 3: 1} and by[None].not_mapped == 1

        education = {g.key: g for g in fairness.by_pendidikan(run).groups}
        assert list(education) == ["S3", "S2", "S1", "D3", "SMA", None]
        assert education["S2"].pool == 3 and education["S2"].pool_percent == 100.0
        assert education["S1"].counts == {5: 1, 7: 1, 4: 1} and education["S1"].pool_percent == 33.3

        top = fairness.by_unit(run).groups
        assert [(g.code, g.key is None, g.total) for g in top] == [("SJ", False, 13), ("", True, 1)]
        sj = db.session.scalar(db.select(Unit).where(Unit.code == "SJ"))
        below_sj = fairness.by_unit(run, sj).groups
        assert [(g.code, g.own, g.total) for g in below_sj] == [("SJ", True, 1), ("BU", False, 12)]
        bu = db.session.scalar(db.select(Unit).where(Unit.code == "BU"))
        below_bu = {g.code: g for g in fairness.by_unit(run, bu).groups}
        assert list(below_bu) == ["BU", "BU.KP", "BU.TU"]
        assert below_bu["BU"].counts == {8: 1} and below_bu["BU"].own
        kp, tu = below_bu["BU.KP"], below_bu["BU.TU"]
        assert (kp.total, kp.mapped, kp.pool, kp.pool_percent) == (5, 4, 1, 25.0)
        assert (tu.total, tu.mapped, tu.pool, tu.pool_percent) == (6, 5, 2, 40.0)
        leaf = db.session.scalar(db.select(Unit).where(Unit.code == "BU.TU"))
        assert [(g.code, g.total) for g in fairness.by_unit(run, leaf).groups] == [("BU.TU", 6)]


def test_breakdowns_are_group_by_queries_not_loops(app, hand_built):
    from sqlalchemy import event

    statements = []
    with app.app_context():
        run = db.session.get(Run, hand_built)
        engine = db.engine

        def count(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            fairness.breakdowns(run)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 5, statements  # four GROUP BY and the unit labels
    assert sum("GROUP BY" in s for s in statements) == 4


def test_report_summary_and_follow_ups(app, hand_built):
    with app.app_context():
        run = db.session.get(Run, hand_built)
        summary = report.summary(run)
        assert (summary.employees, summary.mapped, summary.not_mapped) == (14, 12, 2)
        assert (summary.kinerja_only, summary.potensial_only, summary.both) == (1, 0, 1)
        assert summary.not_mapped_percent == 14.3 and summary.coverage_min == 60
        assert summary.missing[0] == ("skp", 2) and ("kompetensi", 1) in summary.missing
        assert len(summary.missing) == 5
        grid = report.whole_grid(run)
        assert grid.counts == {9: 2, 8: 2, 7: 1, 6: 1, 5: 2, 4: 1, 3: 1, 2: 1, 1: 1}
        follow = report.follow_ups(grid)
        assert [f.box for f in follow] == list(range(9, 0, -1))
        assert follow[0].employees == 2 and follow[0].talent_pool and not follow[3].talent_pool
        assert follow[-1].action.startswith("diproses sesuai ketentuan")


# --- the fairness page ------------------------------------------------------------------


def test_fairness_page_shows_charts_and_tables_with_the_numbers(app, institution, hand_built):
    response = client_for(app, "hr").get("/simantap/keadilan")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Fairness of the talent mapping 2026" in html and 'style="' not in html
    assert "simantap.css" in html and "<script>" not in html.replace("<script src=", "")
    found = tables(html)
    # group: employees, not mapped, boxes 1-9 (count and percent), 1-3, 4-6, pool
    pria = found["table-gender"]["pria"]
    assert pria[0] == "Male" and pria[1] == "9" and pria[2] == "1 (11.1%)"
    assert pria[3:12] == ["1 12.5%"] * 2 + ["0 0.0%"] + ["1 12.5%"] * 6
    assert pria[12:] == ["2 25.0%", "3 37.5%", "3 37.5%"]
    wanita = found["table-gender"]["wanita"]
    assert wanita[1:3] == ["4", "1 (25.0%)"] and wanita[-1] == "2 66.7%"
    assert found["table-gender"]["none"][0] == "Not derivable from the NIP"
    assert found["table-gender"]["total"][1:3] == ["14", "2 (14.3%)"]
    assert found["table-gender"]["total"][-1] == "5 41.7%"
    assert found["table-golongan"]["IV/a"][-1] == "1 50.0%"
    assert found["table-golongan"]["none"][0] == "Not recorded"
    assert found["table-pendidikan"]["S2"][-1] == "3 100.0%"
    units = found["table-unit"]
    assert units[str(institution.units["SJ"])][:2] == ["SJ Sekretariat Jenderal", "13"]
    assert units["none"][:2] == ["No unit", "1"]
    # the chart beside each table: box groups as percentages of the mapped employees
    gender = svg(html, "fairness-gender")
    assert gender.get("role") == "img" and gender.find(f"{{{charts.SVG_NS}}}title").text
    assert bars(gender) == {
        "Male": ["25", "37.5", "37.5"],
        "Female": ["0", "33.3", "66.7"],
        "Not derivable from the NIP": ["100", "0", "0"],
    }
    for key in ("golongan", "pendidikan", "unit"):
        assert svg(html, f"fairness-{key}") is not None


def test_fairness_page_for_a_unit_and_another_period(app, institution, hand_built):
    hr = client_for(app, "hr")
    html = hr.get(f"/simantap/keadilan?unit={institution.units['BU']}&period=2026").get_data(
        as_text=True
    )
    units = tables(html)["table-unit"]
    assert units[str(institution.units["BU"])][:2] == ["BU Biro Umum (its own staff)", "1"]
    assert units[str(institution.units["BU.TU"])][1] == "6"
    assert units[str(institution.units["BU.TU"])][-1] == "2 40.0%"
    assert units[str(institution.units["BU.KP"])][-1] == "1 25.0%"
    assert bars(svg(html, "fairness-unit"))["BU.KP Bagian Kepegawaian"] == ["0", "75", "25"]
    unpublished = hr.get("/simantap/keadilan?period=2025")
    assert unpublished.status_code == 200
    assert "No published run yet." in unpublished.get_data(as_text=True)


def test_fairness_access_and_bad_input(app, institution, hand_built):
    assert app.test_client().get("/simantap/keadilan").status_code in (302, 401)
    assert client_for(app, "tu1").get("/simantap/keadilan").status_code == 403
    assert client_for(app, "kabag_tu").get("/simantap/keadilan").status_code == 403  # a leader
    assert client_for(app, "komite").get("/simantap/keadilan").status_code == 200
    hr = client_for(app, "hr")
    assert hr.get("/simantap/keadilan?period=1999").status_code == 404
    assert hr.get("/simantap/keadilan?unit=99999").status_code == 404
    for bad in ("unit=abc", "unit=-1", "unit=1e3", "period=%3Cscript%3E", "period=" + "9" * 30,
                "unit=" + "9" * 40):  # fmt: skip
        response = hr.get(f"/simantap/keadilan?{bad}")
        assert response.status_code in (400, 404), bad
    assert hr.get("/simantap/keadilan?unit=abc").status_code == 400


# --- the report -------------------------------------------------------------------------


def test_report_has_every_section_with_the_numbers(app, institution, hand_built):
    response = client_for(app, "hr").get("/simantap/laporan/2026")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Laporan Pemetaan Talenta" in html and 'style="' not in html
    assert app.config["INSTITUTION_NAME"] in html
    assert FINGERPRINT in html and re.search(r'id="report-run">\s*' + str(hand_built), html)
    assert re.search(r'id="report-printed">\d{4}-\d\d-\d\d \d\d:\d\d UTC', html)
    assert "2026 (2026-01-01 – 2026-12-31)" in html
    found = tables(html)
    summary = found["report-summary"]
    assert summary["employees"][1] == "14" and summary["mapped"][1:] == ["12", "85.7%"]
    assert summary["not-mapped"][1:] == ["2", "14.3%"]
    assert summary["kinerja-only"][1] == "1" and summary["both"][1] == "1"
    assert summary["potensial-only"][1] == "0"
    assert found["report-missing"]["skp"] == ["SKP", "2"]
    # the heat map and its table agree
    heat = svg(html, "ninebox-chart")
    ns = {"svg": charts.SVG_NS}
    cells = {
        g.get("data-box"): (g.get("data-count"), g.get("data-percent"))
        for g in heat.iterfind(".//svg:g[@class='cell']", ns)
    }
    assert cells["9"] == ("2", "16.7") and cells["1"] == ("1", "8.3")
    assert re.search(r'data-box="9"><span[^>]*>Box 9</span><span[^>]*>2</span>', html)
    assert "12 employees mapped, 2 not mapped (data incomplete: 14.3%)" in html
    # distribution per top-level unit, pool list, fairness, follow-up
    assert found["table-unit"][str(institution.units["SJ"])][1] == "13"
    pool_rows = found["report-pool"]
    nips = institution.nips
    assert list(pool_rows) == [nips[n] for n in ("sekretaris", "kabag_tu", "kp2", "kabiro", "tu1")]
    assert pool_rows[nips["tu1"]][5] == "7" and "joined 2026" in pool_rows[nips["tu1"]][8]
    assert found["table-gender"]["wanita"][-1] == "2 66.7%"
    assert found["table-golongan"]["IV/a"][-1] == "1 50.0%"
    assert found["table-pendidikan"]["S2"][-1] == "3 100.0%"
    follow = found["report-follow-up"]
    assert follow["9"][0].startswith("9") and follow["9"][1] == "2"
    assert follow["9"][2].startswith("dipromosikan dan dipertahankan")
    assert follow["1"][2] == "diproses sesuai ketentuan peraturan perundang-undangan"
    for chart in ("ninebox-chart", "fairness-unit", "fairness-gender", "fairness-golongan"):
        assert svg(html, chart).get("aria-labelledby") == f"{chart}-title {chart}-desc"


def test_report_access_bad_input_and_the_list(app, institution, hand_built):
    assert client_for(app, "tu1").get("/simantap/laporan/2026").status_code == 403
    assert client_for(app, "tu1").get("/simantap/laporan").status_code == 403
    assert client_for(app, "kabag_kp").get("/simantap/laporan/2026").status_code == 403
    assert client_for(app, "komite").get("/simantap/laporan/2026").status_code == 200
    hr = client_for(app, "hr")
    assert hr.get("/simantap/laporan/1999").status_code == 404
    assert hr.get("/simantap/laporan/2025").status_code == 404  # no published run
    assert hr.get("/simantap/laporan/" + "9" * 30).status_code == 400
    assert hr.get("/simantap/laporan/a%3Cb").status_code == 400
    listing = hr.get("/simantap/laporan")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert "/simantap/laporan/2026" in text and "/simantap/laporan/2025" not in text


def test_print_css_hides_the_menu_and_sets_a4(app):
    client = app.test_client()
    css = client.get("/plugins/simantap/static/simantap.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    assert "@media print" in text and "size: A4" in text
    printed = text.split("@media print", 1)[1]
    assert "aside.sikd-sidebar" in printed and "nav.navbar" in printed
    assert "break-before: page" in printed


def test_menu_items_for_hr_and_the_committee_only(app, institution, hand_built):
    for name in ("hr", "komite"):
        html = client_for(app, name).get("/simantap/laporan").get_data(as_text=True)
        assert 'data-menu-id="simantap.fairness"' in html, name
        assert 'data-menu-id="simantap.reports"' in html, name
    html = client_for(app, "tu1").get("/").get_data(as_text=True)
    assert "simantap.fairness" not in html and "simantap.reports" not in html
