"""An employee's result page: the explanation (each indicator with value, weight, share and
contribution; coverage and missing sources; band thresholds; box and follow-up) and who sees
what. Data: ``test_sources.load_tiny``, Permenpan preset (see test_scoring_run)."""

import pytest
from sikd_simantap import runs
from sikd_simantap.models import Period, Run
from simantap_helpers import client_for
from test_sources import load_tiny

from sikd_host.extensions import db


@pytest.fixture
def scored(app, institution):
    period_id = load_tiny(app, institution)
    with app.app_context():
        run = runs.score(db.session.get(Period, period_id), None)
        return run.id


def publish(app, run_id):
    with app.app_context():
        runs.publish(db.session.get(Run, run_id), None)


def test_the_page_explains_every_indicator_and_the_box(app, institution, scored):
    publish(app, scored)
    page = client_for(app, "tu1").get(f"/simantap/hasil/{scored}/{institution.users['tu1']}")
    assert page.status_code == 200
    text = " ".join(page.get_data(as_text=True).split())
    assert "77.39" in text and "77.50" in text
    # SKP 80 x 60 / 100 = 48.00; 360 73.47 x 40 / 100 = 29.39
    cells = '80.00</td> <td class="text-end">60</td> <td class="text-end">60.0%</td>'
    assert cells + ' <td class="text-end">48.00' in text
    assert "29.39" in text and "73.47" in text
    # potensial: kompetensi 85 x 40 / 100 = 34.00, potensi 22.50, rekam jejak 21.00
    assert "34.00" in text and "22.50" in text and "21.00" in text
    assert "bimbingan kinerja; pengembangan kompetensi; penempatan yang sesuai" in text
    assert "&lt; 70 &le;" in text and "&lt; 78 &le;" in text  # band thresholds
    assert "individual ratings are never shown" in text
    # never an individual rater or rating
    assert "Tu2" not in text and "Kabag_Tu" not in text


def test_a_not_mapped_result_lists_its_missing_sources_and_coverage(app, institution, scored):
    hr = client_for(app, "hr")
    hr.set_cookie("sikd_locale", "en")
    page = hr.get(f"/simantap/hasil/{scored}/{institution.users['tu2']}")
    assert page.status_code == 200
    text = " ".join(page.get_data(as_text=True).split())
    assert "Not mapped: data incomplete" in text
    assert "Missing sources: 360 assessment, Potential (assessment centre), SKP" in text
    assert "Coverage: 0.00%" in text and "Coverage: 70.00%" in text
    assert "not published" in text


def test_who_sees_which_result(app, institution, scored):
    u = institution.users
    url = f"/simantap/hasil/{scored}/{u['tu1']}"
    tu1, tu2 = client_for(app, "tu1"), client_for(app, "tu2")
    kabag_tu, kabag_kp = client_for(app, "kabag_tu"), client_for(app, "kabag_kp")
    kabiro, hr = client_for(app, "kabiro"), client_for(app, "hr")
    # unpublished: HR only
    assert hr.get(url).status_code == 200
    for client in (tu1, kabag_tu, kabiro):
        assert client.get(url).status_code == 404
    assert tu1.get("/simantap/hasil").status_code == 404  # no published result yet
    publish(app, scored)
    assert tu1.get(url).status_code == 200  # own, published
    assert tu2.get(url).status_code == 404  # someone else's
    assert kabag_tu.get(url).status_code == 200  # leads BU.TU
    assert kabiro.get(url).status_code == 200  # leads BU and its subtree
    assert kabag_kp.get(url).status_code == 404  # leads another unit
    assert hr.get(url).status_code == 200
    assert tu1.get(f"/simantap/hasil/{scored}/999999").status_code == 404
    assert tu1.get(f"/simantap/hasil/999/{u['tu1']}").status_code == 404
    mine = tu1.get("/simantap/hasil")
    assert mine.status_code == 302 and mine.headers["Location"].endswith(url)
    home = tu1.get("/simantap/").get_data(as_text=True)
    assert "77.39" in home and "bimbingan kinerja" in home


def test_the_home_page_without_results(app, institution):
    page = client_for(app, "tu1").get("/simantap/")
    assert page.status_code == 200
    assert "No published result for you yet." in page.get_data(as_text=True)
