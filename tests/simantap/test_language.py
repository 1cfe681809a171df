"""Simantap pages speak Bahasa Indonesia by default and English on request."""

import pytest
from sikd_simantap import runs
from sikd_simantap.models import Period
from simantap_helpers import client_for
from test_sources import load_tiny

from sikd_host.extensions import db


@pytest.fixture
def app_config():
    return {"DEFAULT_LOCALE": "id"}


def test_pages_are_in_indonesian_and_switch_to_english(app, institution):
    period_id = load_tiny(app, institution)
    with app.app_context():
        runs.publish(runs.score(db.session.get(Period, period_id), None), None)
    hr = client_for(app, "hr")
    page = hr.get("/simantap/ninebox").get_data(as_text=True)
    assert "Kotak sembilan" in page and "Sebaran per unit kerja" in page
    assert "Distribution per unit" not in page
    runs_page = hr.get("/simantap/runs").get_data(as_text=True)
    assert "Perhitungan skor" in runs_page
    hr.post("/language", data={"language": "en", "next": "/simantap/ninebox"})
    english = hr.get("/simantap/ninebox").get_data(as_text=True)
    assert "Nine-box" in english and "Distribution per unit" in english
