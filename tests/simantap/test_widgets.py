"""Simantap's dashboard cards: 360 forms still to fill in, the latest published result, and
the red flags of the critical positions for HR and the committee only."""

import datetime as dt

from sikd_simantap import runs
from sikd_simantap.models import Assignment, Period
from simantap_helpers import client_for
from test_sources import load_tiny

from sikd_host.extensions import db


def test_the_dashboard_shows_my_forms_my_result_and_red_flags(app, institution):
    u = institution.users
    period_id = load_tiny(app, institution)
    with app.app_context():
        run = runs.score(db.session.get(Period, period_id), None)
        runs.publish(run, None)
        db.session.add_all([
            Assignment(period_id=period_id, rater_id=u["kp1"], ratee_id=u["kp2"], relation="rekan"),
            Assignment(period_id=period_id, rater_id=u["kp1"], ratee_id=u["kp3"], relation="rekan",
                       submitted_at=dt.datetime(2026, 11, 1)),
        ])  # fmt: skip
        db.session.commit()
    html = client_for(app, "kp1").get("/").get_data(as_text=True)
    assert "My 360 assessment" in html and 'data-count="todo">1<' in html
    assert 'data-count="total">2<' in html
    assert "Critical positions" not in html  # not for a pegawai
    tu1 = client_for(app, "tu1").get("/").get_data(as_text=True)
    assert 'data-box="2"' in tu1  # tu1 is in box 2 of the tiny dataset
    hr = client_for(app, "hr").get("/").get_data(as_text=True)
    assert 'data-count="critical">3<' in hr  # J-SJ, J-BU and J-TU are flagged
    assert "Not mapped (data incomplete)" in hr  # hr lacks data in the tiny dataset
