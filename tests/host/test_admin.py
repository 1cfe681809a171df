"""Admin pages for users, roles and the organisation, through HTTP."""

import pytest
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.auth.models import Role, User
from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit

USER = {
    "username": "dewi",
    "full_name": "Dewi Lestari",
    "email": "dewi@example.go.id",
    "nip": "19900101 201503 2 001",
    "position_id": "0",
    "active": "y",
    "password": "a good password",
}


def role_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Role.id).where(Role.name == name))


def test_admin_creates_and_edits_a_user(app, client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={**USER, "roles": [role_id(app, "pegawai")]})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "dewi"))
        assert user.nip == "199001012015032001" and user.role_names == {"pegawai"}
        user_id = user.id
    response = client.post(
        f"/admin/users/{user_id}",
        data={**USER, "password": "", "active": "", "roles": [role_id(app, "sdm")]},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert not user.active and user.role_names == {"sdm"}
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"user.created", "user.changed", "user.disabled"} <= actions


def test_invalid_nip_and_duplicate_username_are_refused(app, client, login_as):
    admin = login_as("admin")
    client.post("/language", data={"language": "en"})
    response = client.post("/admin/users/new", data={**USER, "nip": "199002302015031001"})
    assert response.status_code == 422 and b"birth date" in response.data
    response = client.post("/admin/users/new", data={**USER, "nip": "", "username": admin})
    assert response.status_code == 422 and b"already taken" in response.data
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "dewi")) is None


def test_messages_are_indonesian_by_default(app, client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={**USER, "nip": "123"})
    assert response.status_code == 422 and b"18 digit" in response.data
    assert b'lang="id"' in response.data


def test_role_with_ticked_permissions_grants_access(app, client, login_as, make_user):
    login_as("admin")
    response = client.post(
        "/admin/roles/new",
        data={
            "name": "auditor",
            "description": "Reads the audit log",
            "permissions": ["admin.audit"],
        },
    )
    assert response.status_code == 302
    make_user("rina", roles=["auditor"])
    other = app.test_client()
    from sikd_host.testing import log_in

    log_in(other, "rina")
    assert other.get("/admin/audit/").status_code == 200
    assert other.get("/admin/users").status_code == 403
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.created"))
        assert "admin.audit" in event.details


@pytest.mark.parametrize("name", ["viewer\nadmin", "auditor\n", "audi tor"])
def test_a_role_name_with_a_newline_or_space_is_refused(app, client, login_as, name):
    """Role names are read back joined by newlines with every session (one statement)."""
    login_as("admin")
    response = client.post("/admin/roles/new", data={"name": name, "permissions": []})
    assert response.status_code == 422 and "Gunakan huruf" in response.text
    with app.app_context():
        assert db.session.scalar(select(Role).where(Role.name.like("%audi%"))) is None
        assert (
            db.session.scalar(
                select(func.count()).select_from(Role).where(Role.name.contains("\n"))
            )
            == 0
        )


def test_units_and_positions_pages(app, client, login_as):
    login_as("admin")
    assert (
        client.post(
            "/admin/org/units/new", data={"code": "A", "name": "Unit A", "parent_id": "0"}
        ).status_code
        == 302
    )
    with app.app_context():
        a = db.session.scalar(select(Unit.id).where(Unit.code == "A"))
    assert (
        client.post(
            "/admin/org/units/new", data={"code": "B", "name": "Unit B", "parent_id": str(a)}
        ).status_code
        == 302
    )
    with app.app_context():
        b = db.session.scalar(select(Unit.id).where(Unit.code == "B"))
    cycle = client.post(
        f"/admin/org/units/{a}", data={"code": "A", "name": "Unit A", "parent_id": str(b)}
    )
    assert cycle.status_code == 422
    duplicate = client.post(
        "/admin/org/units/new", data={"code": "A", "name": "X", "parent_id": "0"}
    )
    assert duplicate.status_code == 422
    response = client.post(
        "/admin/org/positions/new",
        data={
            "code": "P1",
            "name": "Kepala Unit A",
            "unit_id": str(a),
            "kind": "struktural",
            "eselon": "II.a",
            "jenjang": "",
            "superior_id": "0",
            "critical": "y",
        },
    )
    assert response.status_code == 302
    no_eselon = client.post(
        "/admin/org/positions/new",
        data={
            "code": "P2",
            "name": "Kepala",
            "unit_id": str(a),
            "kind": "struktural",
            "eselon": "",
            "jenjang": "",
            "superior_id": "0",
        },
    )
    assert no_eselon.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Position.critical).where(Position.code == "P1"))
        assert db.session.scalar(select(Position).where(Position.code == "P2")) is None
    assert client.get("/admin/org/units/99999").status_code == 404
    assert b"Kepala Unit A" in client.get("/admin/org/positions").data


def test_language_switch_for_the_user(app, client, login_as):
    login_as("pegawai")
    assert b'lang="id"' in client.get("/").data
    response = client.post("/language", data={"language": "en", "next": "/profile"})
    assert response.status_code == 302 and response.location == "/profile"
    assert b'lang="en"' in client.get("/").data
    assert client.post("/language", data={"language": "fr"}).status_code == 400


def test_built_in_form_messages_are_translated(client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={"username": "", "full_name": ""})
    assert response.status_code == 422
    assert "Kolom ini wajib diisi." in response.data.decode()


def test_seeded_role_descriptions_are_shown_in_the_users_language(app, client, login_as):
    login_as("admin")
    page = client.get("/admin/roles").data.decode()
    assert "Pegawai: seluruh pegawai" in page and "Pegawai: every employee" not in page
    assert "Administrator: semua hak akses" in page
    client.post("/admin/roles/new", data={"name": "auditor", "description": "Reads 100% of it"})
    client.post("/language", data={"language": "en"})
    page = client.get("/admin/roles").data.decode()
    assert "Pegawai: every employee" in page and "Reads 100% of it" in page  # as written
