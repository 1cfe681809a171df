"""A small institution for the Simantap tests, built through the host's real services.

Sekretariat (SJ, Sekretaris, I.a) > Biro Umum (BU, Kepala Biro, II.a) > Bagian Tata Usaha
(BU.TU: kabag_tu III.a, five pelaksana tu1..tu5 reporting to her) and Bagian Kepegawaian
(BU.KP: kabag_kp III.a, three pelaksana kp1..kp3, and hr, an SDM admin). Every employee has
a valid NIP. Use the ``institution`` fixture; helpers for tests live in simantap_helpers.py.
"""

from types import SimpleNamespace

import pytest

from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit

NIPS = {
    "sekretaris": "196608011988031001",
    "kabiro": "197001152000031002",
    "kabag_tu": "197505102002122001",
    "kabag_kp": "197803202003121003",
    "tu1": "198501012010011001",
    "tu2": "198602022010012002",
    "tu3": "198703032011011003",
    "tu4": "198804042012012004",
    "tu5": "198905052013011005",
    "kp1": "199001012015011006",
    "kp2": "199102022016012007",
    "kp3": "199203032017011008",
    "hr": "198001012005011009",
}


@pytest.fixture
def app_config():
    """English messages, so that assertions on page text do not depend on the translations
    (test_language.py checks the Indonesian pages)."""
    return {"DEFAULT_LOCALE": "en"}


@pytest.fixture
def institution(app, make_user):
    with app.app_context():
        sj = Unit(code="SJ", name="Sekretariat Jenderal")
        bu = Unit(code="BU", name="Biro Umum", parent=sj)
        tu = Unit(code="BU.TU", name="Bagian Tata Usaha", parent=bu)
        kp = Unit(code="BU.KP", name="Bagian Kepegawaian", parent=bu)
        sekretaris = Position(
            code="J-SJ",
            name="Sekretaris Jenderal",
            unit=sj,
            kind="struktural",
            eselon="I.a",
            critical=True,
        )
        kabiro = Position(
            code="J-BU",
            name="Kepala Biro Umum",
            unit=bu,
            superior=sekretaris,
            kind="struktural",
            eselon="II.a",
            critical=True,
        )
        kabag_tu = Position(
            code="J-TU",
            name="Kepala Bagian Tata Usaha",
            unit=tu,
            superior=kabiro,
            kind="struktural",
            eselon="III.a",
            critical=True,
        )
        kabag_kp = Position(
            code="J-KP",
            name="Kepala Bagian Kepegawaian",
            unit=kp,
            superior=kabiro,
            kind="struktural",
            eselon="III.a",
        )
        staf_tu = Position(
            code="P-TU",
            name="Pengadministrasi Umum",
            unit=tu,
            superior=kabag_tu,
            kind="pelaksana",
        )
        staf_kp = Position(
            code="P-KP", name="Analis Kepegawaian", unit=kp, superior=kabag_kp,
            kind="fungsional", jenjang="ahli muda",
        )  # fmt: skip
        db.session.add_all(
            [sj, bu, tu, kp, sekretaris, kabiro, kabag_tu, kabag_kp, staf_tu, staf_kp]
        )
        db.session.commit()
        positions = {
            p.code: p.id for p in (sekretaris, kabiro, kabag_tu, kabag_kp, staf_tu, staf_kp)
        }
        units = {u.code: u.id for u in (sj, bu, tu, kp)}
    people = {
        "sekretaris": ("J-SJ", ["pegawai", "pimpinan"]),
        "kabiro": ("J-BU", ["pegawai", "pimpinan"]),
        "kabag_tu": ("J-TU", ["pegawai", "pimpinan"]),
        "kabag_kp": ("J-KP", ["pegawai", "pimpinan"]),
        **{f"tu{i}": ("P-TU", ["pegawai"]) for i in range(1, 6)},
        **{f"kp{i}": ("P-KP", ["pegawai"]) for i in range(1, 4)},
        "hr": ("P-KP", ["pegawai", "sdm"]),
    }
    users = {
        name: make_user(name, roles=roles, position_id=positions[code], nip=NIPS[name])
        for name, (code, roles) in people.items()
    }
    return SimpleNamespace(users=users, units=units, positions=positions, nips=NIPS)
