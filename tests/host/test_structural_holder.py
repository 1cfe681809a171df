"""DOMAIN.md section 2: a structural position has at most one holder; a functional or staff
position may be held by several employees. Refused on every path that assigns positions."""

import io

import pytest
from sqlalchemy import select

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit

FORM = {"full_name": "New Person", "email": "", "nip": "", "active": "y", "password": ""}


@pytest.fixture
def org(app):
    """A unit with a structural and a functional position; ids by kind."""
    with app.app_context():
        unit = Unit(code="U", name="Biro Umum")
        kabiro = Position(code="J-KABIRO", name="Kepala Biro Umum", unit=unit, eselon="II.a")
        kabiro.kind = "struktural"
        analis = Position(code="J-ANALIS", name="Analis", unit=unit, kind="fungsional")
        db.session.add_all([unit, kabiro, analis])
        db.session.commit()
        return {"struktural": kabiro.id, "fungsional": analis.id}


@pytest.fixture
def admin(client, login_as):
    login_as("admin")
    client.post("/language", data={"language": "en"})
    return client


def holder_of(app, position_id):
    with app.app_context():
        return sorted(
            db.session.scalars(select(User.username).where(User.position_id == position_id))
        )


def test_the_user_form_refuses_a_second_holder_naming_the_first(app, admin, org, make_user):
    make_user("ani", full_name="Ani Lestari", position_id=org["struktural"])
    response = admin.post(
        "/admin/users/new", data={**FORM, "username": "budi", "position_id": org["struktural"]}
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert "already held by Ani Lestari (ani)" in page and "J-KABIRO" in page
    budi = make_user("budi")
    response = admin.post(
        f"/admin/users/{budi}", data={**FORM, "username": "budi", "position_id": org["struktural"]}
    )
    assert response.status_code == 422 and "already held by Ani Lestari" in response.data.decode()
    assert holder_of(app, org["struktural"]) == ["ani"]
    with app.app_context():
        ani = db.session.scalar(select(User.id).where(User.username == "ani"))
    keep = {**FORM, "username": "ani", "full_name": "Ani L.", "position_id": org["struktural"]}
    assert admin.post(f"/admin/users/{ani}", data=keep).status_code == 302  # the holder herself


def test_a_functional_position_takes_several_holders(app, admin, org, make_user):
    make_user("ani", position_id=org["fungsional"])
    response = admin.post(
        "/admin/users/new", data={**FORM, "username": "budi", "position_id": org["fungsional"]}
    )
    assert response.status_code == 302
    assert holder_of(app, org["fungsional"]) == ["ani", "budi"]


def test_a_disabled_account_holds_nothing(app, admin, org, make_user, runner):
    make_user("ani", position_id=org["struktural"])
    assert runner.invoke(args=["users", "disable", "ani"]).exit_code == 0
    response = admin.post(
        "/admin/users/new", data={**FORM, "username": "budi", "position_id": org["struktural"]}
    )
    assert response.status_code == 302


def test_sikd_users_create_refuses_a_second_holder(app, org, make_user, runner):
    make_user("ani", full_name="Ani Lestari", position_id=org["struktural"])
    args = ["users", "create", "budi", "--name", "Budi", "--password", "a good password"]
    refused = runner.invoke(args=[*args, "--position", "J-KABIRO"])
    assert refused.exit_code == 1 and "Ani Lestari (ani)" in refused.output, refused.output
    assert holder_of(app, org["struktural"]) == ["ani"]
    assert runner.invoke(args=[*args, "--position", "J-ANALIS"]).exit_code == 0
    assert holder_of(app, org["fungsional"]) == ["budi"]
    unknown = runner.invoke(args=["users", "create", "citra", "--name", "C", "--position", "NO"])
    assert unknown.exit_code == 1 and "no position" in unknown.output


def test_import_and_position_form_refuse_making_a_shared_position_structural(
    app, admin, org, make_user
):
    make_user("ani", full_name="Ani Lestari", position_id=org["fungsional"])
    make_user("budi", full_name="Budi Santoso", position_id=org["fungsional"])
    text = (
        "kode,nama,kode_unit,eselon,kode_atasan,jenis,jenjang,kritikal\n"
        "J-ANALIS,Kepala Bagian,U,III.a,,struktural,,tidak\n"
    )
    response = admin.post(
        "/admin/org/import",
        data={"kind": "positions", "file": (io.BytesIO(text.encode()), "jabatan.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert "at most one holder" in page and "Ani Lestari (ani), Budi Santoso (budi)" in page
    response = admin.post(
        f"/admin/org/positions/{org['fungsional']}",
        data={
            "code": "J-ANALIS",
            "name": "Kepala Bagian",
            "unit_id": _unit_id(app),
            "kind": "struktural",
            "eselon": "III.a",
            "jenjang": "",
            "superior_id": "0",
        },
    )
    assert response.status_code == 422 and "at most one holder" in response.data.decode()
    with app.app_context():
        assert db.session.get(Position, org["fungsional"]).kind == "fungsional"


def _unit_id(app):
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == "U"))
