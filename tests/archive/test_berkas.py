"""Berkas (case files) are access-filtered in the SQL of every list and on their object URL;
counts of records (per berkas, per classification code) count only what the user may see."""

import re

import pytest
from archive_helpers import client_for
from sikd_archive.models import Berkas, Record
from sqlalchemy import select
from test_records import code_id, form

from sikd_host.extensions import db


def open_berkas(client, org, number, unit):
    response = client.post(
        "/arsip/berkas",
        data={
            "number": number,
            "title": f"Berkas {number}",
            "klasifikasi_id": "0",
            "unit_id": str(org.units[unit]),
            "opened_on": "2026-01-01",
        },
    )
    assert response.status_code == 302, response.data.decode()[:2000]
    with client.application.app_context():
        return db.session.scalar(select(Berkas.id).where(Berkas.number == number))


def register(client, org, unit, berkas_id=0, **values):
    response = client.post(
        "/arsip/naskah/baru",
        data=form(org.units, unit_id=str(org.units[unit]), berkas_id=str(berkas_id), **values),
    )
    assert response.status_code == 302, response.data.decode()[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def listed(client):
    """Berkas numbers on the berkas page, with their record counts."""
    page = client.get("/arsip/berkas").data.decode()
    return {
        number: int(count)
        for number, count in re.findall(
            r'<td class="sikd-mono">([^<]+)</td><td>[^<]*</td><td>(\d+)</td>', page
        )
    }


@pytest.fixture
def files(app, org, make_user):
    """Berkas A (Bagian A, opened by the arsiparis: a plain and a Rahasia record) and
    berkas B (Bagian B, opened by its head, an admin: one record); a clerk in each Bagian."""
    make_user("admin_b", roles=["admin"])  # sees every unit (a Kepala Bagian B is taken)
    make_user("arsip_a", roles=["pegawai", "arsiparis"], position_id=org.positions["P-SA"])
    make_user("arsip_b", roles=["pegawai", "arsiparis"], position_id=org.positions["P-SB"])
    arsiparis, admin_b = client_for(app, "arsiparis"), client_for(app, "admin_b")
    a = open_berkas(arsiparis, org, "BK-A", "B.A")
    b = open_berkas(admin_b, org, "BK-B", "B.B")
    records = {
        "plain_a": register(arsiparis, org, "B.A", a),
        "secret_a": register(arsiparis, org, "B.A", a, keamanan="R"),
        "plain_b": register(admin_b, org, "B.B", b),
        "biro_in_b": register(admin_b, org, "B", b),  # a Biro record filed in berkas B
    }
    return {"a": a, "b": b, **records}


def test_the_berkas_list_shows_only_berkas_the_user_may_see_with_visible_counts(app, org, files):
    # Bagian B's clerk: berkas B only, counting Bagian B's record, not the Biro's one in it
    assert listed(client_for(app, "arsip_b")) == {"BK-B": 1}
    assert listed(client_for(app, "arsip_a")) == {"BK-A": 1}  # the Rahasia one is not counted
    assert listed(client_for(app, "arsiparis")) == {"BK-A": 2}  # opened it, registered both
    assert listed(client_for(app, "admin_b")) == {"BK-A": 2, "BK-B": 2}  # view_all, secret


def test_closing_a_berkas_the_user_may_not_see_is_404_and_changes_nothing(app, org, files):
    arsip_b = client_for(app, "arsip_b")
    response = arsip_b.post(f"/arsip/berkas/{files['a']}/tutup", data={"closed_on": "2026-06-30"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Berkas, files["a"]).closed_on is None
    arsip_a = client_for(app, "arsip_a")  # Bagian A's clerk may close Bagian A's berkas
    closed = arsip_a.post(f"/arsip/berkas/{files['a']}/tutup", data={"closed_on": "2026-06-30"})
    assert closed.status_code == 302
    with app.app_context():
        assert db.session.get(Berkas, files["a"]).closed_on is not None


def test_the_record_form_offers_only_open_berkas_the_user_may_see(app, org, files):
    arsip_b = client_for(app, "arsip_b")
    page = arsip_b.get("/arsip/naskah/baru").data.decode()
    assert f'value="{files["b"]}"' in page and "BK-B" in page and "BK-A" not in page
    refused = arsip_b.post(
        "/arsip/naskah/baru",
        data=form(org.units, unit_id=str(org.units["B.B"]), berkas_id=str(files["a"])),
    )
    assert refused.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(select(Record).where(Record.unit_id == org.units["B.B"])).id
            == (files["plain_b"])
        )


def test_editing_keeps_a_berkas_the_editor_may_not_see(app, org, files):
    """The arsiparis sees the Biro's record but not berkas B it is filed in: the edit form
    still offers that berkas, so saving does not take the record out of it."""
    arsiparis = client_for(app, "arsiparis")
    record_id = files["biro_in_b"]
    page = arsiparis.get(f"/arsip/naskah/{record_id}/ubah").data.decode()
    assert "BK-B" in page
    response = arsiparis.post(
        f"/arsip/naskah/{record_id}/ubah",
        data=form(
            org.units, unit_id=str(org.units["B"]), berkas_id=str(files["b"]), perihal="Revisi"
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        record = db.session.get(Record, record_id)
        assert record.berkas_id == files["b"] and record.perihal == "Revisi"


def test_classification_counts_count_only_visible_records(app, org):
    arsiparis = client_for(app, "arsiparis")
    code = str(code_id(app, "UM.01.01"))
    register(arsiparis, org, "B.A", klasifikasi_id=code)
    register(arsiparis, org, "B.A", klasifikasi_id=code, keamanan="SR")
    register(arsiparis, org, "B.B", klasifikasi_id=code)

    def count(client):
        page = client.get("/arsip/klasifikasi").data.decode()
        return int(re.search(r">UM\.01\.01</td>.*?<td>(\d+)</td></tr>", page).group(1))

    assert count(client_for(app, "staf1")) == 1  # Bagian A's plain record only
    assert count(client_for(app, "staf3")) == 1  # Bagian B's
    assert count(arsiparis) == 3  # registered all three: named on each
