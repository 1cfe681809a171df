"""A small institution for the archive tests, built through the real services."""

from types import SimpleNamespace

import pytest

from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit


@pytest.fixture
def org(app, make_user):
    """Biro > Bagian A (kabag, staf1, staf2) and Bagian B (kabag_b, staf3); an arsiparis in
    the Biro; the default classification scheme."""
    with app.app_context():
        biro = Unit(code="B", name="Biro Umum")
        bagian_a = Unit(code="B.A", name="Bagian A", parent=biro)
        bagian_b = Unit(code="B.B", name="Bagian B", parent=biro)
        kabiro = Position(
            code="P-KB", name="Kepala Biro", unit=biro, kind="struktural", eselon="II.a"
        )
        kabag = Position(
            code="P-KA",
            name="Kepala Bagian A",
            unit=bagian_a,
            superior=kabiro,
            kind="struktural",
            eselon="III.a",
        )
        kabag_b = Position(
            code="P-KBB",
            name="Kepala Bagian B",
            unit=bagian_b,
            superior=kabiro,
            kind="struktural",
            eselon="III.a",
        )
        staf = Position(code="P-SA", name="Staf A", unit=bagian_a, superior=kabag, kind="pelaksana")
        staf_b = Position(
            code="P-SB", name="Staf B", unit=bagian_b, superior=kabag_b, kind="pelaksana"
        )
        arsip = Position(
            code="P-AR", name="Arsiparis", unit=biro, superior=kabiro, kind="fungsional"
        )
        db.session.add_all([biro, bagian_a, bagian_b, kabiro, kabag, kabag_b, staf, staf_b, arsip])
        db.session.commit()
        from sikd_archive.klasifikasi import load_default_scheme

        load_default_scheme()
        db.session.commit()
        positions = {p.code: p.id for p in (kabiro, kabag, kabag_b, staf, staf_b, arsip)}
        units = {u.code: u.id for u in (biro, bagian_a, bagian_b)}
    people = {
        "kabiro": ("P-KB", ["pegawai", "pimpinan"]),
        "kabag": ("P-KA", ["pegawai", "pimpinan"]),
        "kabag_b": ("P-KBB", ["pegawai", "pimpinan"]),
        "staf1": ("P-SA", ["pegawai"]),
        "staf2": ("P-SA", ["pegawai"]),
        "staf3": ("P-SB", ["pegawai"]),
        "arsiparis": ("P-AR", ["pegawai", "arsiparis"]),
    }
    ids = {
        name: make_user(name, roles=roles, position_id=positions[code])
        for name, (code, roles) in people.items()
    }
    return SimpleNamespace(users=ids, units=units, positions=positions)
