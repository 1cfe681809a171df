"""Recomputing retention dates in set-based SQL agrees with the pure rule, through the
routes that trigger it: importing a changed JRA and closing a berkas."""

import datetime as dt
import io

from archive_helpers import client_for
from sikd_archive import records
from sikd_archive.klasifikasi import effective_schedules, schedules
from sikd_archive.models import Berkas, Change, Klasifikasi, Record
from sikd_archive.rules.retention import retention, schedule_for
from sqlalchemy import event, select
from test_dispositions import user

from sikd_host.extensions import db

SCHEME = (
    "kode,nama,retensi_aktif,retensi_inaktif,nasib_akhir\n"
    "XR,Uji retensi,,,\n"
    "XR.01,Induk,{parent},permanen\n"
    "XR.01.01,Anak tanpa jadwal,,,\n"
    "XR.02,Sendiri,1,2,musnah\n"
)
DATES = [dt.date(2020, 2, 29), dt.date(2019, 12, 31), dt.date(2021, 3, 1), dt.date(2024, 2, 29)]


def import_scheme(client, parent):
    body = SCHEME.format(parent=parent).encode()
    response = client.post(
        "/arsip/klasifikasi",
        data={"file": (io.BytesIO(body), "jra.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data.decode()[:2000]


def expected(record):
    """The pure rule's answer for a record, from the scheme now in the database."""
    own, parents = schedules()
    schedule = schedule_for(record.klasifikasi_id, own, parents) if record.klasifikasi_id else None
    berkas = db.session.get(Berkas, record.berkas_id) if record.berkas_id else None
    result = retention(
        schedule, record.tanggal, berkas is not None, berkas.closed_on if berkas else None
    )
    return result.active_until, result.final_due_on, result.final


def state(record):
    return record.active_until, record.final_due_on, record.final


def test_importing_a_changed_jra_recomputes_every_live_record_like_the_rule(app, org):
    arsiparis = client_for(app, "arsiparis")
    import_scheme(arsiparis, "2,3")
    with app.app_context():
        codes = dict(db.session.execute(select(Klasifikasi.code, Klasifikasi.id)).all())
        actor = user("arsiparis")
        open_berkas = Berkas(
            number="BO", title="Terbuka", unit_id=org.units["B"], opened_on=DATES[0]
        )
        closed_berkas = Berkas(
            number="BC", title="Tertutup", unit_id=org.units["B"], opened_on=DATES[0]
        )
        db.session.add_all([open_berkas, closed_berkas])
        db.session.flush()
        ids = []
        for code in ("XR.01", "XR.01.01", "XR.02", None):
            for day in DATES:
                for berkas in (None, open_berkas, closed_berkas):
                    data = {
                        "kind": "memo",
                        "nomor": f"M/{code}/{day}",
                        "tanggal": day,
                        "perihal": "Uji",
                        "klasifikasi_id": codes.get(code),
                        "berkas_id": berkas.id if berkas else None,
                    }
                    ids.append(records.register(actor, org.units["B"], data).id)
        closed_berkas.closed_on = dt.date(2024, 2, 29)
        db.session.flush()
        frozen, gone = ids[0], ids[1]
        db.session.add(Change(record_id=frozen, user_id=actor.id, field="final", old="", new="x"))
        db.session.get(Record, gone).status = "musnah"
        db.session.commit()
        kept = {i: state(db.session.get(Record, i)) for i in (frozen, gone)}

    loaded, updates = [], []

    def on_load(target, _context):
        loaded.append(target.id)

    def on_execute(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE ARCHIVE_RECORD"):
            updates.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(Record, "load", on_load)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        import_scheme(arsiparis, "4,10")  # the parent's schedule changes: its child inherits it
    finally:
        event.remove(Record, "load", on_load)
        event.remove(engine, "before_cursor_execute", on_execute)
    with app.app_context():
        distinct = len(effective_schedules())
    # set-based: no record was loaded, one UPDATE per distinct schedule and one for the rest
    assert loaded == [] and len(updates) == distinct + 1, (loaded, len(updates), distinct)
    with app.app_context():
        checked = 0
        for record in db.session.scalars(select(Record).where(Record.id.in_(ids))):
            if record.id in kept:
                assert state(record) == kept[record.id]  # re-assessed, or destroyed: left alone
                continue
            assert state(record) == expected(record), (record.id, record.tanggal)
            checked += 1
        assert checked == len(ids) - 2
        leap = db.session.scalar(
            select(Record).where(
                Record.klasifikasi_id == codes["XR.01.01"],
                Record.tanggal == dt.date(2020, 2, 29),
                Record.berkas_id.is_(None),
            )
        )
        assert state(leap) == (dt.date(2024, 2, 29), dt.date(2034, 2, 28), "permanen")


def test_closing_a_berkas_starts_the_clock_of_its_records_only(app, org):
    arsiparis = client_for(app, "arsiparis")
    import_scheme(arsiparis, "2,3")
    with app.app_context():
        code = db.session.scalar(select(Klasifikasi.id).where(Klasifikasi.code == "XR.02"))
        berkas = Berkas(number="BK", title="Kasus", unit_id=org.units["B"], opened_on=DATES[1])
        db.session.add(berkas)
        db.session.flush()
        data = {"kind": "memo", "nomor": "M", "perihal": "Uji", "klasifikasi_id": code}
        inside = records.register(
            user("arsiparis"), org.units["B"], {**data, "tanggal": DATES[1], "berkas_id": berkas.id}
        ).id
        outside = records.register(user("arsiparis"), org.units["B"], {**data, "tanggal": DATES[1]})
        db.session.commit()
        berkas_id, outside_id = berkas.id, outside.id
        assert state(db.session.get(Record, inside)) == (None, None, "musnah")
        before = state(db.session.get(Record, outside_id))
    closed = arsiparis.post(f"/arsip/berkas/{berkas_id}/tutup", data={"closed_on": "2024-02-29"})
    assert closed.status_code == 302
    with app.app_context():
        assert state(db.session.get(Record, inside)) == (
            dt.date(2025, 2, 28),
            dt.date(2027, 2, 28),
            "musnah",
        )
        assert state(db.session.get(Record, outside_id)) == before
