"""The nine-box page draws the grid as an SVG heat map beside its table (the table keeps
the numbers and the links to each box), with no inline style. With ``load_tiny``: tu1 in
box 2, kabag_tu in box 5, 11 employees not mapped."""

import re
import xml.etree.ElementTree as ET

import pytest
from sikd_simantap import charts, runs
from sikd_simantap.models import Period
from simantap_helpers import client_for
from test_sources import load_tiny

from sikd_host.extensions import db

NS = {"svg": charts.SVG_NS}


@pytest.fixture
def published(app, institution):
    period_id = load_tiny(app, institution)
    with app.app_context():
        runs.publish(runs.score(db.session.get(Period, period_id), None), None)


def heat_map(html):
    match = re.search(r'<svg [^>]*id="ninebox-chart".*?</svg>', html, re.S)
    assert match
    return ET.fromstring(match.group(0))


def test_the_heat_map_sits_beside_the_table_with_the_same_numbers(app, institution, published):
    hr = client_for(app, "hr")
    html = hr.get("/simantap/ninebox?period=2026").get_data(as_text=True)
    assert 'style="' not in html and "simantap-ninebox-table" in html
    assert "/plugins/simantap/static/simantap.css" in html
    root = heat_map(html)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "ninebox-chart-title ninebox-chart-desc"
    assert root.find("svg:title", NS).text == "Nine-box of period 2026 (run 1)"
    assert "2 mapped employees" in root.find("svg:desc", NS).text
    cells = {
        g.get("data-box"): (g.get("data-count"), g.get("data-percent"))
        for g in root.iterfind(".//svg:g[@class='cell']", NS)
    }
    assert cells["2"] == ("1", "50.0") and cells["5"] == ("1", "50.0")
    assert cells["9"] == ("0", "0.0") and len(cells) == 9
    assert "Box 2: 1 employees" in html and "Box 5: 1 employees" in html  # the table's links
    chosen = hr.get("/simantap/ninebox?period=2026&box=5").get_data(as_text=True)
    outline = heat_map(chosen).find(".//svg:g[@data-box='5']/svg:rect", NS)
    assert outline.get("stroke-width") == "4"
    leader = client_for(app, "kabag_kp").get("/simantap/ninebox").get_data(as_text=True)
    assert heat_map(leader).find(".//svg:g[@data-box='2']", NS).get("data-count") == "0"


def test_an_id_no_column_can_hold_is_a_bad_request(app, institution, published):
    hr = client_for(app, "hr")
    assert hr.get("/simantap/ninebox?unit=" + "9" * 40).status_code == 400
    assert hr.get("/simantap/ninebox?page=" + "9" * 40).status_code == 400
    assert hr.get("/simantap/ninebox?unit=%D9%A3").status_code == 400  # an Arabic-Indic 3
