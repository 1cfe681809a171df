"""The archive feeds SIKD workload and response time to Simantap through Simantap's hook."""

import datetime as dt
from types import SimpleNamespace

import pytest
from sikd_archive.models import Disposition
from sikd_archive.score_source import response_score, workload_scores
from test_dispositions import make_record

from sikd_host.extensions import db
from sikd_host.plugin_api import collect_hook

PERIOD = SimpleNamespace(code="2026", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))


def test_rules_of_section_6_item_7():
    assert workload_scores({1: 4, 2: 1, 3: 1, 4: 0}) == pytest.approx(
        {1: 100.0, 2: 200 / 3, 3: 200 / 3}
    )
    assert response_score(8) == 100.0 and response_score(120) == 0.0
    assert response_score(64) == 50.0 and response_score(200) == 0.0


def sources(app):
    with app.app_context(), app.test_request_context():
        return [
            source for _plugin, found in collect_hook("simantap_score_sources") for source in found
        ]


def test_values_come_through_the_hook_for_the_whole_period(app, org):
    record_id = make_record(app, org)
    staf1, staf2, kabag = org.users["staf1"], org.users["staf2"], org.users["kabag"]
    with app.app_context():
        start = dt.datetime(2026, 2, 1, 8)
        for recipient, hours in [(staf1, 8), (staf1, 64), (staf1, 200), (staf2, None)]:
            db.session.add(
                Disposition(
                    record_id=record_id,
                    sender_id=kabag,
                    recipient_id=recipient,
                    sent_at=start,
                    response_hours=hours,
                )
            )
        db.session.add(  # before the period: not counted
            Disposition(
                record_id=record_id,
                sender_id=kabag,
                recipient_id=staf2,
                sent_at=dt.datetime(2025, 12, 31, 23),
                response_hours=1,
            )
        )
        db.session.commit()
    [source] = [s for s in sources(app) if "respons" in s.indicators]
    with app.app_context():
        values = source.values(PERIOD)
    assert values["beban_kerja"] == {staf1: 100.0, staf2: 50.0}
    assert values["respons"] == {staf1: pytest.approx(50.0)}  # median of 8, 64, 200 is 64
    assert staf2 not in values["respons"]  # never acted: missing, not zero


def test_with_the_archive_disabled_its_indicators_are_absent(app, org, enabled_plugins):
    record_id = make_record(app, org)
    enabled_plugins("simantap")
    assert not any("respons" in s.indicators for s in sources(app))
    enabled_plugins("archive")  # and the archive works without Simantap
    from archive_helpers import client_for

    client = client_for(app, "arsiparis")
    assert client.get(f"/arsip/naskah/{record_id}").status_code == 200
    assert client.get("/simantap/").status_code == 404
