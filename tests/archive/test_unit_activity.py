"""The archive feeds disposition figures per work unit to Simantap's unit performance page
through Simantap's ``simantap_unit_activity`` hook.

Data (org fixture: Biro B > Bagian A (kabag, staf1, staf2) and Bagian B (kabag_b, staf3)),
period 2026 judged on 2026-06-01:

- staf1 (B.A): 1 h, due 2026-03-10, done 2026-03-10 23:00 -> on time; 3 h, due 2026-03-10,
  done 2026-03-11 01:00 -> late; 0.0125 h (45 s -> minute 1), no due date, not done; a
  tembusan (not counted); one sent on 2025-12-31 23:00 (period 2025 only).
- staf2 (B.A): never acted on; due 2026-04-01 (past: judged, late) and due 2026-07-01 (still
  ahead, not done: not judged).
- staf3 (B.B): 10 h, no due date, done (done, but neither on time nor late); 1.5 h -> 90 min,
  due 2026-05-02, done that day -> on time.
"""

import datetime as dt
from types import SimpleNamespace

from sikd_archive.models import Disposition
from sikd_archive.unit_activity import unit_activity
from test_dispositions import make_record

from sikd_host.extensions import db
from sikd_host.plugin_api import collect_hook

P2025 = SimpleNamespace(code="2025", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))
P2026 = SimpleNamespace(code="2026", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
JUDGED_ON = dt.date(2026, 6, 1)


def load(app, org):
    record_id = make_record(app, org)
    u = org.users
    sent = dt.datetime(2026, 3, 1, 8)

    def item(recipient, hours=None, due=None, done=None, kind="disposisi", at=sent):
        return Disposition(
            record_id=record_id,
            sender_id=u["kabag"] if recipient != u["staf3"] else u["kabag_b"],
            recipient_id=recipient,
            kind=kind,
            sent_at=at,
            first_action_at=at + dt.timedelta(hours=hours) if hours is not None else None,
            response_hours=hours,
            due_on=due,
            done_at=done,
        )

    with app.app_context():
        db.session.add_all(
            [
                item(u["staf1"], 1, dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 23)),
                item(u["staf1"], 3, dt.date(2026, 3, 10), dt.datetime(2026, 3, 11, 1)),
                item(u["staf1"], 0.0125),
                item(u["staf1"], 0.5, kind="tembusan"),
                item(u["staf1"], 2, at=dt.datetime(2025, 12, 31, 23)),
                item(u["staf2"], due=dt.date(2026, 4, 1)),
                item(u["staf2"], due=dt.date(2026, 7, 1)),
                item(u["staf3"], 10, done=dt.datetime(2026, 3, 2, 9)),
                item(u["staf3"], 1.5, dt.date(2026, 5, 2), dt.datetime(2026, 5, 2, 16)),
            ]
        )
        db.session.commit()


def test_figures_per_unit_of_the_recipient_hand_computed(app, org):
    load(app, org)
    with app.app_context():
        found = unit_activity([P2026, P2025], today=JUDGED_ON)
    a, b = found["2026"][org.units["B.A"]], found["2026"][org.units["B.B"]]
    assert (a.received, a.with_due_date, a.due, a.done_on_time, a.done) == (5, 4, 3, 1, 2)
    assert a.response_minutes == {1: 1, 60: 1, 180: 1}
    assert (b.received, b.with_due_date, b.due, b.done_on_time, b.done) == (2, 1, 1, 1, 2)
    assert b.response_minutes == {90: 1, 600: 1}
    assert org.units["B"] not in found["2026"]  # nobody of the Biro itself received any
    assert set(found["2025"]) == {org.units["B.A"]}
    old = found["2025"][org.units["B.A"]]
    assert (old.received, old.due, old.response_minutes) == (1, 0, {120: 1})


def test_a_due_date_still_ahead_is_judged_once_it_has_passed(app, org):
    load(app, org)
    with app.app_context():
        later = unit_activity([P2026], today=dt.date(2026, 7, 2))
    assert later["2026"][org.units["B.A"]].due == 4  # staf2's 2026-07-01 item is now late
    with app.app_context():
        assert unit_activity([]) == {}


def test_figures_come_through_simantaps_hook_and_vanish_with_the_archive(app, org, enabled_plugins):
    load(app, org)
    with app.app_context(), app.test_request_context():
        answers = dict(collect_hook("simantap_unit_activity", periods=[P2026]))
    assert set(answers) == {"archive"}
    assert answers["archive"]["2026"][org.units["B.B"]].received == 2
    enabled_plugins("simantap")
    with app.app_context(), app.test_request_context():
        assert collect_hook("simantap_unit_activity", periods=[P2026]) == []
