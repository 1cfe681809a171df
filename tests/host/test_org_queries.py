"""Superior, subordinates, peers and subtrees, on a small hand-built organisation."""

import pytest
from sqlalchemy import select

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.org import queries
from sikd_host.org.models import Position, Unit


@pytest.fixture
def org(app, make_user):
    """Biro (Kabiro) > Bagian (Kabag) > two staff positions; a second bagian with its own head."""
    with app.app_context():
        biro = Unit(code="B", name="Biro")
        bagian = Unit(code="B.1", name="Bagian 1", parent=biro)
        bagian2 = Unit(code="B.2", name="Bagian 2", parent=biro)
        sub = Unit(code="B.1.1", name="Subbagian", parent=bagian)
        kabiro = Position(code="P0", name="Kabiro", unit=biro, kind="struktural", eselon="II.a")
        kabag = Position(
            code="P1", name="Kabag", unit=bagian, superior=kabiro, kind="struktural", eselon="III.a"
        )
        kabag2 = Position(
            code="P2",
            name="Kabag 2",
            unit=bagian2,
            superior=kabiro,
            kind="struktural",
            eselon="III.a",
        )
        staff = Position(code="P3", name="Staf", unit=bagian, superior=kabag, kind="pelaksana")
        analis = Position(code="P4", name="Analis", unit=bagian, superior=kabag, kind="fungsional")
        kasub = Position(
            code="P5", name="Kasubbag", unit=sub, superior=kabag, kind="struktural", eselon="IV.a"
        )
        db.session.add_all(
            [biro, bagian, bagian2, sub, kabiro, kabag, kabag2, staff, analis, kasub]
        )
        db.session.commit()
        ids = {p.code: p.id for p in (kabiro, kabag, kabag2, staff, analis, kasub)}
        units = {u.code: u.id for u in (biro, bagian, bagian2, sub)}
    for name, code in [
        ("kabiro", "P0"),
        ("kabag", "P1"),
        ("kabag2", "P2"),
        ("s1", "P3"),
        ("s2", "P3"),
        ("a1", "P4"),
        ("kasub", "P5"),
    ]:
        make_user(name, position_id=ids[code])
    return units


def user(name):
    return db.session.scalar(select(User).where(User.username == name))


def names(users):
    return sorted(u.username for u in users)


def test_superior(app, org):
    with app.app_context():
        assert queries.superior_of(user("s1")).username == "kabag"
        assert queries.superior_of(user("kabag")).username == "kabiro"
        assert queries.superior_of(user("kabiro")) is None


def test_subordinates_direct_and_all_levels(app, org):
    with app.app_context():
        assert names(queries.subordinates_of(user("kabiro"))) == ["kabag", "kabag2"]
        assert names(queries.subordinates_of(user("kabiro"), all_levels=True)) == [
            "a1",
            "kabag",
            "kabag2",
            "kasub",
            "s1",
            "s2",
        ]
        assert names(queries.subordinates_of(user("s1"))) == []


def test_peers_share_unit_and_superior_position(app, org):
    with app.app_context():
        assert names(queries.peers_of(user("s1"))) == ["a1", "s2"]  # kasub is in another unit
        assert names(queries.peers_of(user("kabag"))) == []  # kabag2 is in another unit


def test_unit_subtree(app, org):
    with app.app_context():
        ids = set(db.session.scalars(queries.unit_subtree_ids(org["B.1"])))
        assert ids == {org["B.1"], org["B.1.1"]}
        assert len(set(db.session.scalars(queries.unit_subtree_ids(org["B"])))) == 4


def test_leads_unit(app, org):
    with app.app_context():
        assert queries.leads_unit(user("kabag")) and queries.leads_unit(user("kasub"))
        assert not queries.leads_unit(user("s1"))
