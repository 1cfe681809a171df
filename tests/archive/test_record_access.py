"""Who sees which record: in the SQL of the list and on every object URL (a guess is 404)."""

import io
import re

import pytest
from archive_helpers import client_for, make_pdf, query_plan
from test_dispositions import make_record, send

from sikd_host.testing import log_in


def listed(client, record_id):
    return f"/arsip/naskah/{record_id}" in client.get("/arsip/naskah").data.decode()


CSRF_TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')


def page_without(page, record_id):
    """The page without its address and its CSRF tokens (signed with the second they were
    made, so two pages a second apart carry different ones)."""
    return CSRF_TOKEN.sub("csrf", page.replace(f"/{record_id}", "/ID"))


def test_own_unit_and_leaders_subtree(app, org):
    in_a = make_record(app, org, perihal="Surat Bagian A", unit="B.A")
    in_b = make_record(app, org, perihal="Surat Bagian B", unit="B.B")
    staf1, staf3, kabiro = (client_for(app, n) for n in ("staf1", "staf3", "kabiro"))
    assert staf1.get(f"/arsip/naskah/{in_a}").status_code == 200 and listed(staf1, in_a)
    assert staf1.get(f"/arsip/naskah/{in_b}").status_code == 404 and not listed(staf1, in_b)
    assert staf3.get(f"/arsip/naskah/{in_a}").status_code == 404 and not listed(staf3, in_a)
    for record_id in (in_a, in_b):  # the head of the Biro leads the whole subtree
        assert kabiro.get(f"/arsip/naskah/{record_id}").status_code == 200
        assert listed(kabiro, record_id)


def test_a_pegawai_cannot_open_a_rahasia_record_by_guessing_its_id(app, org, make_user):
    """IDOR: users who hold the permission of each URL (proved by a plain record of the same
    unit answering 200) get for the Rahasia record exactly what an id that does not exist
    gets, 404, on every object URL; the named recipient gets 200."""
    secret = make_record(
        app, org, perihal="Hasil pemeriksaan", keamanan="R", unit="B.A", by="kabag"
    )
    plain = make_record(app, org, perihal="Undangan biasa", unit="B.A")
    unknown = 999_999
    staf2 = client_for(app, "staf2")  # archive.use, same unit, not named on the secret one
    assert staf2.get(f"/arsip/naskah/{plain}").status_code == 200  # the permission holds
    hidden = staf2.get(f"/arsip/naskah/{secret}")
    missing = staf2.get(f"/arsip/naskah/{unknown}")
    assert hidden.status_code == missing.status_code == 404
    same = page_without(hidden.text, secret) == page_without(missing.text, unknown)
    assert same  # apart from the address itself, not a byte tells them apart
    assert not listed(staf2, secret) and listed(staf2, plain)

    make_user("arsip_a", roles=["pegawai", "arsiparis"], position_id=org.positions["P-SA"])
    clerk = client_for(app, "arsip_a")  # archive.register in the same unit, not named
    assert clerk.get(f"/arsip/naskah/{plain}/ubah").status_code == 200  # may edit records
    for url in ("/arsip/naskah/{}", "/arsip/naskah/{}/ubah"):
        assert clerk.get(url.format(secret)).status_code == 404
        assert clerk.get(url.format(unknown)).status_code == 404
    for record_id in (secret, unknown):
        upload = {"file": (io.BytesIO(make_pdf("sisipan")), "sisipan.pdf")}
        response = clerk.post(
            f"/arsip/naskah/{record_id}/lampiran", data=upload, content_type="multipart/form-data"
        )
        assert response.status_code == 404
    kabiro = client_for(app, "kabiro")  # leads the whole Biro, still not named: no
    assert kabiro.get(f"/arsip/naskah/{secret}").status_code == 404

    kabag = client_for(app, "kabag")  # registered it: named; sends it to staf1
    assert kabag.get(f"/arsip/naskah/{secret}").status_code == 200
    assert send(kabag, secret, [org.users["staf1"]]).status_code == 302
    staf1 = client_for(app, "staf1")  # the named recipient
    assert staf1.get(f"/arsip/naskah/{secret}").status_code == 200 and listed(staf1, secret)
    assert staf2.get(f"/arsip/naskah/{secret}").status_code == 404  # still not staf2


def test_a_named_recipient_and_view_secret_holders_see_a_secret_record(app, org, make_user):
    secret = make_record(app, org, perihal="Hasil pemeriksaan", keamanan="SR", unit="B")
    kabiro = client_for(app, "kabiro")
    assert kabiro.get(f"/arsip/naskah/{secret}").status_code == 404

    add_role(app, "pengawas", ["archive.use", "archive.view_all", "archive.view_secret"])
    make_user("inspektur", roles=["pengawas"])
    inspektur = app.test_client()
    log_in(inspektur, "inspektur")
    assert inspektur.get(f"/arsip/naskah/{secret}").status_code == 200
    assert listed(inspektur, secret)
    with app.app_context():  # a holder of archive.view_secret copies it to the kabiro
        from sikd_archive import disposition
        from sikd_archive.models import Record
        from test_dispositions import user

        from sikd_host.extensions import db

        disposition.send(
            user("inspektur"), db.session.get(Record, secret), [org.users["kabiro"]], "tembusan"
        )
        db.session.commit()
    assert kabiro.get(f"/arsip/naskah/{secret}").status_code == 200


def test_view_all_sees_every_unit_but_not_secrets(app, org, make_user):
    plain = make_record(app, org, perihal="Surat biasa", unit="B.B")
    secret = make_record(app, org, perihal="Surat rahasia", keamanan="R", unit="B.B")
    add_role(app, "auditor", ["archive.use", "archive.view_all"])
    make_user("auditor1", roles=["auditor"])
    client = app.test_client()
    log_in(client, "auditor1")
    assert client.get(f"/arsip/naskah/{plain}").status_code == 200
    assert client.get(f"/arsip/naskah/{secret}").status_code == 404
    assert listed(client, plain) and not listed(client, secret)


def test_attachments_of_hidden_records_cannot_be_downloaded(app, org):
    arsiparis = client_for(app, "arsiparis")
    record_id = make_record(app, org, perihal="Nota rahasia", keamanan="R", unit="B.A")
    upload = arsiparis.post(
        f"/arsip/naskah/{record_id}/lampiran",
        data={"file": (io.BytesIO(make_pdf("isi rahasia")), "nota.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code in (302, 303)
    page = arsiparis.get(f"/arsip/naskah/{record_id}").data.decode()
    [download] = re.findall(r'href="(/arsip/lampiran/\d+[^"]*)"', page)[:1]
    assert arsiparis.get(download).status_code == 200
    staf1 = client_for(app, "staf1")
    assert staf1.get(download).status_code == 404


def test_disposition_sender_must_see_the_record(app, org):
    hidden = make_record(app, org, perihal="Surat Bagian B", unit="B.B")
    kabag = client_for(app, "kabag")
    assert send(kabag, hidden, [org.users["staf1"]]).status_code == 404


def add_role(app, name, permissions):
    from sikd_host.auth.models import Role, RolePermission
    from sikd_host.extensions import db

    with app.app_context():
        role = Role(name=name, grants=[RolePermission(permission=p) for p in permissions])
        db.session.add(role)
        db.session.commit()


def test_an_object_url_checks_the_records_own_routings_not_all_of_the_users(app, org):
    """The check of one record looks up that record's routings (by its index), rather than
    collecting every routing the user ever received, as a list does. SQLite only: the
    PostgreSQL planner may hash a correlated EXISTS too, and on a test's handful of rows it
    does; benchmarks/load.py's letter page shows its choice on a million records."""
    from sikd_archive import access
    from sikd_archive.models import Record
    from sqlalchemy import select

    from sikd_host.auth.models import User
    from sikd_host.extensions import db

    record_id = make_record(app, org, perihal="Surat", unit="B.A")
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's plan; PostgreSQL chooses by table statistics (see above)")
        staf1 = db.session.get(User, org.users["staf1"])
        plan = query_plan(
            select(Record.id).where(Record.id == record_id, access.visible(staf1, one_record=True))
        )
    assert "ix_archive_disposition_record_id" in plan, plan


def test_the_one_record_check_answers_as_the_list_does(app, org, make_user):
    """access.visible(user, one_record=True) (object URLs) and access.visible(user) (lists)
    agree for every user and record: units, secrecy, registrar and routings."""
    from sikd_archive import access, disposition
    from sikd_archive.models import Record
    from sqlalchemy import select

    from sikd_host.auth.models import User
    from sikd_host.extensions import db

    add_role(app, "auditor", ["archive.use", "archive.view_all"])
    add_role(app, "secrets", ["archive.use", "archive.view_secret"])
    make_user("auditor1", roles=["auditor"], position_id=org.positions["P-SB"])
    make_user("secrets1", roles=["pegawai", "secrets"], position_id=org.positions["P-SA"])
    made = [
        make_record(app, org, perihal=f"Surat {unit} {secrecy} {by}", keamanan=secrecy,
                    unit=unit, by=by)
        for unit in ("B.A", "B.B")
        for secrecy in ("B", "R", "SR")
        for by in ("arsiparis", "kabag")
    ]  # fmt: skip
    with app.app_context():
        routings = [  # a secret one by its registrar, and a plain one from above
            ("kabag", made[3], "staf1"),
            ("kabag", made[5], "staf2"),
            ("kabag", made[9], "staf1"),
            ("kabiro", made[6], "staf3"),
        ]
        for sender, record_id, to in routings:
            by = db.session.scalar(select(User).where(User.username == sender))
            disposition.send(by, db.session.get(Record, record_id), [org.users[to]],
                             instruction=disposition.instructions()[0])  # fmt: skip
        db.session.commit()
        for user in db.session.scalars(select(User)):
            listed = set(db.session.scalars(select(Record.id).where(access.visible(user))))
            one_by_one = {
                record_id
                for record_id in made
                if db.session.scalar(
                    select(Record.id).where(
                        Record.id == record_id, access.visible(user, one_record=True)
                    )
                )
            }
            assert one_by_one == listed & set(made), user.username


def test_opening_a_record_is_audited_and_a_refused_one_is_not(app, org):
    """Who viewed what: one audit event per page view of a record, with the viewer, in the
    verified chain; a guessed id (404) leaves none."""
    from sqlalchemy import select

    from sikd_host.audit.models import AuditEvent
    from sikd_host.audit.service import verify
    from sikd_host.extensions import db

    in_a = make_record(app, org, perihal="Surat Bagian A", unit="B.A")
    in_b = make_record(app, org, perihal="Surat Bagian B", unit="B.B")
    staf1 = client_for(app, "staf1")

    def views() -> list[tuple[str, str]]:
        with app.app_context():
            found = select(AuditEvent.actor_name, AuditEvent.object_id).where(
                AuditEvent.action == "archive.record_viewed"
            )
            return [tuple(row) for row in db.session.execute(found.order_by(AuditEvent.id))]

    before = views()
    page = staf1.get(f"/arsip/naskah/{in_a}")
    assert page.status_code == 200 and "Surat Bagian A" in page.text
    assert staf1.get(f"/arsip/naskah/{in_b}").status_code == 404
    assert views() == [*before, ("staf1", str(in_a))]
    with app.app_context():
        assert verify() is None  # the chain holds
