"""The nine-box page: the grid as section 5 draws it, counts and percentages, filters, the
members of a box, distribution per unit, not-mapped count, access and the export.

With ``test_sources.load_tiny`` (Permenpan): tu1 in box 2 (BU.TU, pelaksana, III/a),
kabag_tu in box 5 (BU.TU, III.a, struktural, IV/a), the 11 others not mapped.
"""

import csv
import io
import re

import pytest
from sikd_simantap import results, runs
from sikd_simantap.models import Period, Run
from simantap_helpers import client_for
from sqlalchemy import select
from test_sources import load_tiny

from sikd_host.extensions import db

HEADER = (
    "nip,nama,unit,jabatan,skor_kinerja,skor_potensial,"
    "kategori_kinerja,kategori_potensial,kotak,cakupan"
)


@pytest.fixture
def published(app, institution):
    period_id = load_tiny(app, institution)
    with app.app_context():
        run = runs.score(db.session.get(Period, period_id), None)
        runs.publish(run, None)
        return run.id


class HR:
    is_authenticated = True
    id = -1
    position = None

    def has_permission(self, name):
        return True


def grid_for(app, run_id, **filters):
    with app.app_context():
        return results.grid(db.session.get(Run, run_id), HR(), results.Filters(**filters))


def test_counts_percentages_and_filters(app, institution, published):
    grid = grid_for(app, published)
    assert grid.counts == {2: 1, 5: 1} and grid.not_mapped == 11
    assert grid.percent(2) == 50.0 and grid.percent(9) == 0.0
    assert grid.rows() == [("di_atas", [4, 7, 9]), ("sesuai", [2, 5, 8]), ("di_bawah", [1, 3, 6])]
    units = institution.units
    assert grid_for(app, published, unit_id=units["BU.TU"]).counts == {2: 1, 5: 1}
    kp = grid_for(app, published, unit_id=units["BU.KP"])
    assert kp.counts == {} and kp.not_mapped == 5
    assert grid_for(app, published, unit_id=units["SJ"]).total == 13
    assert grid_for(app, published, eselon="III.a").counts == {5: 1}
    assert grid_for(app, published, kind="pelaksana").counts == {2: 1}
    assert grid_for(app, published, golongan="III/a").counts == {2: 1}
    assert grid_for(app, published, golongan="IV/e").total == 0
    with app.app_context():
        lines = results.distribution(db.session.get(Run, published), HR())
        by_code = {line.code: line for line in lines}
        assert by_code["BU.TU"].counts == {2: 1, 5: 1} and by_code["BU.TU"].not_mapped == 4
        assert by_code["BU.KP"].total == 5 and by_code["SJ"].not_mapped == 1


def cell(text, box):
    match = re.search(rf"Box {box}: (\d+) employees", text)
    return int(match.group(1))


def test_the_page_for_hr_and_leaders_filters_in_sql(app, institution, published):
    hr = client_for(app, "hr").get("/simantap/ninebox?period=2026")
    assert hr.status_code == 200
    text = hr.get_data(as_text=True)
    assert cell(text, 2) == 1 and cell(text, 5) == 1 and "Not mapped</a>" not in text
    assert "2 employees mapped, 11 not mapped" in text and "50.0%" in text
    # rows top to bottom: di atas (4 7 9), sesuai (2 5 8), di bawah (1 3 6)
    order = [int(b) for b in re.findall(r"Box (\d): \d+ employees", text)]
    assert order == [4, 7, 9, 2, 5, 8, 1, 3, 6]
    assert "<caption" in text and '<script src="http' not in text
    leader = client_for(app, "kabag_kp").get("/simantap/ninebox").get_data(as_text=True)
    assert cell(leader, 2) == 0 and "0 employees mapped, 5 not mapped" in leader
    tu_leader = client_for(app, "kabag_tu").get("/simantap/ninebox").get_data(as_text=True)
    assert "2 employees mapped, 4 not mapped" in tu_leader
    members = client_for(app, "kabag_tu").get("/simantap/ninebox?box=2").get_data(as_text=True)
    assert "Tu1" in members
    not_mapped = client_for(app, "hr").get("/simantap/ninebox?box=none").get_data(as_text=True)
    assert "Not mapped (11)" in not_mapped
    filtered = client_for(app, "hr").get("/simantap/ninebox?eselon=III.a").get_data(as_text=True)
    assert cell(filtered, 5) == 1 and cell(filtered, 2) == 0


def test_access_and_bad_input(app, institution, published):
    assert client_for(app, "tu1").get("/simantap/ninebox").status_code == 403
    hr = client_for(app, "hr")
    assert hr.get("/simantap/ninebox?unit=abc").status_code == 400
    assert hr.get("/simantap/ninebox?box=12").status_code == 400
    assert hr.get("/simantap/ninebox?period=1999").status_code == 404
    assert hr.get("/simantap/ninebox?run=999").status_code == 404
    assert hr.get("/simantap/ninebox/export?format=pdf").status_code == 400
    assert client_for(app, "tu1").get("/simantap/ninebox/export").status_code == 403


def test_export_csv_and_xlsx_with_exactly_the_columns(app, institution, published):
    hr = client_for(app, "hr")
    response = hr.get("/simantap/ninebox/export?format=csv&period=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert ",".join(rows[0]) == HEADER and len(rows) == 14
    leader = client_for(app, "kabag_tu").get("/simantap/ninebox/export?format=csv")
    assert len(list(csv.reader(io.StringIO(leader.get_data(as_text=True))))) == 1 + 6
    xlsx = hr.get("/simantap/ninebox/export?format=xlsx&eselon=III.a")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ",".join(values[0]) == HEADER and len(values) == 3  # kabag_tu and kabag_kp
    kabag = next(v for v in values if v[0] == institution.nips["kabag_tu"])
    assert kabag[4:] == [70, 85.6, "sesuai ekspektasi", "menengah", 5, 100]


def test_csv_cells_cannot_run_as_formulas():
    assert results.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert results.csv_cell("-1") == "'-1" and results.csv_cell(-1.5) == "-1.5"
    assert results.csv_cell(None) == ""


def test_the_demo_fills_the_nine_box_on_first_start(app):
    from sikd_simantap.demo import load_demo

    from sikd_host.demo import SEED
    from sikd_host.demo import load_demo as load_institution

    with app.app_context():
        assert load_demo(SEED) is None  # no demo institution yet
        load_institution(admin_password="demo password 123")
        summary = load_demo(SEED)
        db.session.commit()
        assert summary and "published" in summary
        assert load_demo(SEED) is None  # only once
        run = db.session.scalar(select(Run).where(Run.published.is_(True)))
        grid = results.grid(run, HR())
        assert grid.total >= 140 and grid.not_mapped < grid.total * 0.2
        assert len(grid.counts) >= 6, grid.counts  # spread over the grid
        print(summary, grid.counts, grid.not_mapped)
