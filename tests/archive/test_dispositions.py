"""Disposisi through HTTP: sending down the tree, the inbox, actions, tracking, figures."""

import datetime as dt
import re

from archive_helpers import client_for
from sikd_archive import disposition, records
from sikd_archive.models import Disposition, DispositionAction
from sqlalchemy import select

from sikd_host.auth.models import User
from sikd_host.extensions import db

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def make_record(app, org, perihal="Undangan rapat", keamanan="B", unit="B.A", by="arsiparis"):
    with app.app_context():
        record = records.register(
            user(by),
            org.units[unit],
            {
                "kind": "surat_masuk",
                "nomor": f"B-{perihal[:10]}/2026",
                "tanggal": dt.date(2026, 3, 2),
                "perihal": perihal,
                "asal": "Kementerian Keuangan",
                "keamanan": keamanan,
            },
        )
        db.session.commit()
        return record.id


def send(client, record_id, recipients, **fields):
    data = {
        "kind": "disposisi",
        "recipients": [str(r) for r in recipients],
        "instruction": "Tindak lanjuti",
        "note": "Mohon ditindaklanjuti",
        "due_on": TOMORROW,
    }
    data.update(fields)
    return client.post(f"/arsip/naskah/{record_id}/disposisi", data=data)


def only_disposition(app, **where):
    with app.app_context():
        return db.session.scalars(select(Disposition).filter_by(**where)).all()


def test_a_pegawai_reads_and_completes_a_disposition(app, org):
    record_id = make_record(app, org)
    kabag = client_for(app, "kabag")
    assert send(kabag, record_id, [org.users["staf1"]]).status_code == 302
    [item] = only_disposition(app, record_id=record_id)
    assert item.sent_at is not None and item.read_at is None

    staf = client_for(app, "staf1")
    inbox = staf.get("/arsip/kotak-masuk").data.decode()
    assert 'data-count="unread">1<' in inbox and "Undangan rapat" in inbox
    assert "<td>Kabag</td>" in inbox and "<td>Tindak lanjuti</td>" in inbox  # from, instruction
    assert f'href="/arsip/disposisi/{item.id}"' in inbox
    page = staf.get(f"/arsip/disposisi/{item.id}")
    assert page.status_code == 200 and "Mohon ditindaklanjuti" in page.data.decode()
    [item] = only_disposition(app, record_id=record_id)
    assert item.read_at is not None and item.first_action_at is None
    assert 'data-count="unread">0<' in staf.get("/arsip/kotak-masuk").data.decode()

    done = staf.post(f"/arsip/disposisi/{item.id}", data={"action": "selesai", "note": "Sudah"})
    assert done.status_code == 302
    [item] = only_disposition(app, record_id=record_id)
    assert item.done_at is not None and item.first_action_at is not None
    assert item.response_hours is not None and item.response_hours >= 0
    again = staf.post(f"/arsip/disposisi/{item.id}", data={"action": "selesai"})
    assert again.status_code == 422
    with app.app_context():
        assert db.session.query(DispositionAction).count() == 1


def test_sending_outside_the_subtree_is_refused_and_saves_nothing(app, org):
    record_id = make_record(app, org)
    kabag = client_for(app, "kabag")
    response = send(kabag, record_id, [org.users["staf1"], org.users["staf3"]])
    assert response.status_code == 422  # the form again, with its reason and what was typed
    assert only_disposition(app, record_id=record_id) == []
    page = response.data.decode()
    assert 'id="routing-error"' in page and "Mohon ditindaklanjuti</textarea>" in page

    staf = client_for(app, "staf1")  # a pegawai without subordinates cannot dispose upward
    assert send(staf, record_id, [org.users["kabag"]]).status_code == 422
    assert only_disposition(app, record_id=record_id) == []


def test_a_reply_needs_a_note_and_a_past_due_date_is_refused(app, org):
    record_id = make_record(app, org)
    kabag = client_for(app, "kabag")
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert send(kabag, record_id, [org.users["staf1"]], due_on=yesterday).status_code == 422
    assert only_disposition(app, record_id=record_id) == []
    send(kabag, record_id, [org.users["staf1"]])
    [item] = only_disposition(app, record_id=record_id)
    staf = client_for(app, "staf1")
    assert staf.post(f"/arsip/disposisi/{item.id}", data={"action": "balasan"}).status_code == 422
    reply = staf.post(f"/arsip/disposisi/{item.id}", data={"action": "balasan", "note": "Siap"})
    assert reply.status_code == 302
    [item] = only_disposition(app, record_id=record_id)
    assert item.first_action_at is not None and item.done_at is None


def test_forwarding_builds_the_tracking_tree_and_overdue_stands_out(app, org):
    record_id = make_record(app, org, unit="B")
    kabiro = client_for(app, "kabiro")
    assert send(kabiro, record_id, [org.users["kabag"]]).status_code == 302
    [first] = only_disposition(app, record_id=record_id)
    kabag = client_for(app, "kabag")
    forward = kabag.post(
        f"/arsip/disposisi/{first.id}",
        data={
            "action": "teruskan",
            "recipients": [str(org.users["staf1"]), str(org.users["staf2"])],
            "instruction": "Pelajari",
            "note": "Pelajari dan laporkan",
        },
    )
    assert forward.status_code == 302
    children = only_disposition(app, record_id=record_id, parent_id=first.id)
    assert {c.recipient_id for c in children} == {org.users["staf1"], org.users["staf2"]}
    assert all(c.kind == "teruskan" for c in children)
    with app.app_context():  # make one forward overdue
        row = db.session.get(Disposition, children[0].id)
        row.due_on = dt.date.today() - dt.timedelta(days=3)
        db.session.commit()

    page = kabiro.get(f"/arsip/naskah/{record_id}").data.decode()
    tree = page[page.index(f'data-disposition="{first.id}"') :]
    for child in children:
        assert f'data-disposition="{child.id}"' in tree
    overdue = re.search(rf'<li class="mb-2 text-danger" data-disposition="{children[0].id}"', page)
    assert overdue, "the overdue forward is not marked"
    staf = client_for(app, "staf1" if children[0].recipient_id == org.users["staf1"] else "staf2")
    inbox = staf.get("/arsip/kotak-masuk").data.decode()
    assert 'data-count="overdue">1<' in inbox
    row = inbox[inbox.index('<tr class="fw-semibold table-danger">') :].split("</tr>")[0]
    assert '<span class="badge text-bg-danger">terlambat</span>' in row  # late, and unread
    assert "<td>belum dibaca</td>" in row
    dashboard = staf.get("/").data.decode()  # the inbox widget counts it too
    assert 'data-widget-id="archive.inbox"' in dashboard
    assert 'data-count="overdue">1<' in dashboard
    sender = kabag.get("/").data.decode()  # the sender's widget lists what is late
    assert 'data-count="overdue-sent">1<' in sender and "Undangan rapat" in sender
    assert 'data-widget-id="archive.overdue"' not in staf.get("/").data.decode()


def test_tembusan_reaches_anyone_and_makes_the_record_visible(app, org):
    record_id = make_record(app, org, unit="B.A")
    staf3 = client_for(app, "staf3")
    assert staf3.get(f"/arsip/naskah/{record_id}").status_code == 404
    kabag = client_for(app, "kabag")
    response = send(kabag, record_id, [org.users["staf3"]], kind="tembusan", instruction="")
    assert response.status_code == 302
    assert staf3.get(f"/arsip/naskah/{record_id}").status_code == 200


def test_nobody_else_can_open_or_act_on_a_disposition(app, org):
    record_id = make_record(app, org)
    send(client_for(app, "kabag"), record_id, [org.users["staf1"]])
    [item] = only_disposition(app, record_id=record_id)
    intruder = client_for(app, "staf2")
    assert intruder.get(f"/arsip/disposisi/{item.id}").status_code == 404
    assert (
        intruder.post(f"/arsip/disposisi/{item.id}", data={"action": "selesai"}).status_code == 404
    )
    [item] = only_disposition(app, record_id=record_id)
    assert item.read_at is None and item.done_at is None


def test_period_figures_give_count_and_median_hours_in_one_query(app, org):
    record_id = make_record(app, org)
    start = dt.datetime(2026, 1, 1)
    with app.app_context():
        staf1, staf2, kabag = org.users["staf1"], org.users["staf2"], org.users["kabag"]
        rows = []
        for recipient, hours in [
            (staf1, 1),
            (staf1, 3),
            (staf1, 10),
            (staf1, None),
            (staf2, 2),
            (staf2, 4),
        ]:
            sent = start + dt.timedelta(days=len(rows))
            rows.append(
                Disposition(
                    record_id=record_id,
                    sender_id=kabag,
                    recipient_id=recipient,
                    sent_at=sent,
                    response_hours=hours,
                    first_action_at=sent + dt.timedelta(hours=hours) if hours else None,
                )
            )
        rows.append(  # outside the period, and a copy: neither counts
            Disposition(
                record_id=record_id,
                sender_id=kabag,
                recipient_id=staf1,
                sent_at=dt.datetime(2025, 6, 1),
                response_hours=100,
            )
        )
        rows.append(
            Disposition(
                record_id=record_id,
                sender_id=kabag,
                recipient_id=staf2,
                kind="tembusan",
                sent_at=start,
                response_hours=100,
            )
        )
        db.session.add_all(rows)
        db.session.commit()
        figures = {
            row.user_id: (row.received, float(row.median_hours))
            for row in db.session.execute(
                disposition.period_figures(start, dt.datetime(2027, 1, 1))
            )
        }
    assert figures == {staf1: (4, 3.0), staf2: (2, 3.0)}


def test_a_tembusan_of_a_secret_record_never_widens_who_sees_it(app, org, make_user):
    """Without archive.view_secret, a Rahasia record is copied only to people already named
    on it (a notice); a holder of archive.view_secret may copy it to anyone."""
    from test_record_access import add_role

    secret = make_record(app, org, perihal="Hasil audit", keamanan="R", unit="B.A")
    arsiparis = client_for(app, "arsiparis")  # registered it: named, but no view_secret
    english(arsiparis)
    kabag, staf3 = client_for(app, "kabag"), client_for(app, "staf3")
    copy = {"kind": "tembusan", "instruction": ""}
    refused = send(arsiparis, secret, [org.users["kabag"]], **copy)
    assert refused.status_code == 422
    assert "may go only to people already named on it" in refused.data.decode()
    assert kabag.get(f"/arsip/naskah/{secret}").status_code == 404
    assert only_disposition(app, record_id=secret) == []

    add_role(app, "sekretaris", ["archive.use", "archive.view_all", "archive.view_secret"])
    make_user("sekretaris", roles=["sekretaris"], position_id=org.positions["P-AR"])
    sekretaris = client_for(app, "sekretaris")
    assert send(sekretaris, secret, [org.users["kabag"]], **copy).status_code == 302
    assert kabag.get(f"/arsip/naskah/{secret}").status_code == 200

    # kabag is named now, still without view_secret: no copy to someone new ...
    assert send(kabag, secret, [org.users["staf3"]], **copy).status_code == 422
    assert staf3.get(f"/arsip/naskah/{secret}").status_code == 404
    # ... but a notice to someone already named on it is fine
    assert send(kabag, secret, [org.users["arsiparis"]], **copy).status_code == 302
    assert len(only_disposition(app, record_id=secret, kind="tembusan")) == 2


def english(client):
    client.post("/language", data={"language": "en", "next": "/"})
    return client
