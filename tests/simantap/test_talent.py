"""The employee list and the talent page: NIP facts, rank, BUP and retirement, the imported
records, and who may see whom."""

import datetime as dt
import re

import pytest
from sikd_simantap import talent
from sikd_simantap.models import Discipline, Employee, Period, Skp, Training
from simantap_helpers import client_for

from sikd_host.extensions import db


@pytest.fixture
def app_config():
    """English messages, so the assertions below do not depend on the translations."""
    return {"DEFAULT_LOCALE": "en"}


def field(page, name):
    match = re.search(rf'data-field="{name}">(.*?)</dd>'.encode(), page, re.S)
    assert match, f"no field {name}"
    return match.group(1).decode().strip()


def add_talent(app, user_id, golongan="IV/c", pendidikan="S2", tmt=dt.date(2020, 1, 1)):
    with app.app_context():
        db.session.add(
            Employee(user_id=user_id, golongan=golongan, pendidikan=pendidikan, tmt_jabatan=tmt)
        )
        db.session.commit()


def test_the_talent_page_shows_nip_facts_rank_and_retirement(app, institution):
    kabiro = institution.users["kabiro"]
    add_talent(app, kabiro)
    with app.app_context():
        db.session.add(Skp(user_id=kabiro, tahun=2025, predikat="Sangat Baik"))
        db.session.add(
            Training(user_id=kabiro, tanggal=dt.date(2025, 3, 1), nama="Diklat PIM II", jp=40)
        )
        db.session.add(Discipline(user_id=kabiro, tanggal=dt.date(2024, 5, 1), tingkat="ringan"))
        db.session.add(
            Period(
                code="2026",
                starts_on=dt.date(2026, 1, 1),
                ends_on=dt.date(2026, 12, 31),
                profile_name="Permenpan 3/2020",
                profile={},
            )
        )
        db.session.commit()
    client = client_for(app, "kabiro")
    page = client.get(f"/simantap/pegawai/{kabiro}?period=2026")
    assert page.status_code == 200
    assert b"19700115 200003 1 002" in page.data  # the NIP, grouped
    assert field(page.data, "birth") == "1970-01-15"
    assert field(page.data, "gender") == "Male"
    assert field(page.data, "golongan") == "IV/c (Pembina Utama Muda)"
    assert field(page.data, "education") == "S2"
    assert field(page.data, "tmt") == "2020-01-01"
    assert "Kepala Biro Umum" in field(page.data, "position")
    assert "II.a" in field(page.data, "position")
    assert field(page.data, "unit") == "BU Biro Umum"
    # Kepala Biro (Eselon II.a, JPT) born 1970-01-15: BUP 60, retires 2030-02-01.
    assert field(page.data, "bup") == "60"
    assert field(page.data, "retires") == "2030-02-01"
    # From the period's reference date 2026-12-31: 1128 days / 365.25 = 3.09 years.
    assert field(page.data, "reference") == "2026-12-31"
    assert field(page.data, "years") == "3.09"
    assert b"Sangat Baik" in page.data and b"Diklat PIM II" in page.data
    assert b"ringan" in page.data


@pytest.mark.parametrize(
    "person, bup, retires, gender",
    [
        ("sekretaris", "60", "2026-09-01", "Male"),  # Eselon I.a, born 1966-08-01
        ("kabag_tu", "58", "2033-06-01", "Female"),  # Eselon III.a, born 1975-05-10
        ("tu1", "58", "2043-02-01", "Male"),  # pelaksana, born 1985-01-01
        ("kp1", "58", "2048-02-01", "Male"),  # fungsional ahli muda, born 1990-01-01
    ],
)
def test_bup_follows_the_position(app, institution, person, bup, retires, gender):
    client = client_for(app, person)
    page = client.get(f"/simantap/pegawai/{institution.users[person]}")
    assert page.status_code == 200
    assert field(page.data, "bup") == bup
    assert field(page.data, "retires") == retires
    assert field(page.data, "gender") == gender
    assert field(page.data, "golongan") == "-"  # no talent data imported yet


def test_retirement_rules_as_plain_functions():
    ahli_utama = talent.retirement(
        dt.date(1970, 12, 20), "fungsional", None, "ahli utama", dt.date(2030, 12, 31)
    )
    assert ahli_utama.bup == 65 and ahli_utama.retires_on == dt.date(2036, 1, 1)
    assert ahli_utama.years_left == round(
        (dt.date(2036, 1, 1) - dt.date(2030, 12, 31)).days / 365.25, 2
    )
    unknown = talent.retirement(None, None, None, None, dt.date(2026, 12, 31))
    assert unknown == talent.Retirement(58, None, None)
    assert talent.pangkat("III/d") == "Penata Tingkat I" and talent.pangkat(None) is None


def test_an_employee_sees_only_their_own_page(app, institution):
    u = institution.users
    tu2 = client_for(app, "tu2")
    assert tu2.get(f"/simantap/pegawai/{u['tu2']}").status_code == 200
    assert tu2.get(f"/simantap/pegawai/{u['tu1']}").status_code == 404
    assert tu2.get(f"/simantap/pegawai/{u['kabiro']}").status_code == 404
    assert tu2.get("/simantap/pegawai/99999").status_code == 404
    assert tu2.get("/simantap/pegawai").status_code == 403  # no list for a plain pegawai


def test_a_leader_sees_the_employees_of_their_unit_subtree(app, institution):
    u = institution.users
    kabag_tu = client_for(app, "kabag_tu")  # leads BU.TU
    assert kabag_tu.get(f"/simantap/pegawai/{u['tu1']}").status_code == 200
    assert kabag_tu.get(f"/simantap/pegawai/{u['kp1']}").status_code == 404
    assert kabag_tu.get(f"/simantap/pegawai/{u['kabiro']}").status_code == 404
    listing = kabag_tu.get("/simantap/pegawai")
    assert listing.status_code == 200
    assert b"Tu1" in listing.data and b"Kabag_Tu" in listing.data
    assert b"Kp1" not in listing.data and b"Kabiro" not in listing.data
    kabiro = client_for(app, "kabiro")  # leads BU, which holds BU.TU and BU.KP
    assert kabiro.get(f"/simantap/pegawai/{u['kp1']}").status_code == 200
    assert kabiro.get(f"/simantap/pegawai/{u['sekretaris']}").status_code == 404


def test_hr_lists_everyone_by_unit_and_page(app, institution, monkeypatch):
    hr = client_for(app, "hr")
    u = institution.users
    assert hr.get(f"/simantap/pegawai/{u['sekretaris']}").status_code == 200
    everyone = hr.get("/simantap/pegawai")
    assert everyone.status_code == 200
    assert all(name.title().encode() in everyone.data for name in u)
    assert b"19660801 198803 1 001" in everyone.data
    kp = hr.get(f"/simantap/pegawai?unit={institution.units['BU.KP']}")
    assert b"Kp1" in kp.data and b"Kabag_Kp" in kp.data and b"Hr" in kp.data
    assert b"Tu1" not in kp.data and b"Kabiro" not in kp.data
    monkeypatch.setattr(talent, "PAGE_SIZE", 5)
    first = hr.get("/simantap/pegawai?page=1")
    third = hr.get("/simantap/pegawai?page=3")
    assert len(re.findall(rb"/simantap/pegawai/\d+", first.data)) == 5
    assert b"page=2" in first.data
    assert b"Tu5" in third.data  # 13 people by name: the 11th to 13th are on page 3
    assert hr.get("/simantap/pegawai?page=99").status_code == 200
    assert hr.get("/simantap/pegawai?unit=abc&page=x").status_code == 200
