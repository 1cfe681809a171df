"""The admin page of the disposition instructions, through HTTP: add, rename, reorder,
deactivate and delete (never one in use), with CSRF, audit and translated messages."""

import re

import pytest
from archive_helpers import client_for
from sikd_archive.instructions import DEFAULT_INSTRUCTIONS
from sikd_archive.models import Instruction
from sqlalchemy import select
from test_dispositions import make_record, only_disposition, send

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db

PAGE = "/arsip/instruksi"


def english(client):
    client.post("/language", data={"language": "en", "next": "/"})
    return client


def ids(app):
    with app.app_context():
        return dict(db.session.execute(select(Instruction.text, Instruction.id)).all())


def offered(client, record_id):
    """The instructions the record page offers, in order."""
    page = client.get(f"/arsip/naskah/{record_id}").data.decode()
    select_html = re.search(r'<select[^>]*name="instruction".*?</select>', page, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


def flashed(client, response):
    assert response.status_code in (302, 303), response.status_code
    return client.get(response.headers["Location"]).data.decode()


@pytest.fixture
def admin(app, org):
    return english(client_for(app, "arsiparis"))  # the arsiparis role holds archive.manage


def test_only_holders_of_archive_manage_open_the_page(app, org, admin, make_user):
    assert client_for(app, "staf1").get(PAGE).status_code == 403
    assert client_for(app, "staf1").post(PAGE, data={"text": "Baru"}).status_code == 403
    page = admin.get(PAGE).data.decode()
    assert all(text in page for text in DEFAULT_INSTRUCTIONS) and "Edit this list" in page
    make_user("arsip2", roles=["pegawai", "arsiparis"], position_id=org.positions["P-AR"])
    indonesian = client_for(app, "arsip2").get(PAGE).data.decode()  # the default language
    assert "Instruksi disposisi" in indonesian  # the page is translated


def test_add_rename_reorder_deactivate_and_delete(app, org, admin):
    record_id = make_record(app, org)
    kabag = client_for(app, "kabag")
    assert offered(kabag, record_id) == list(DEFAULT_INSTRUCTIONS)
    assert send(kabag, record_id, [org.users["staf1"]], instruction="Pelajari").status_code == 302
    assert send(kabag, record_id, [org.users["staf2"]], instruction="Hadiri").status_code == 302

    shown = flashed(admin, admin.post(PAGE, data={"text": "  Hadiri   rapat "}))
    assert "Instruction Hadiri rapat added." in shown
    assert offered(kabag, record_id) == [*DEFAULT_INSTRUCTIONS, "Hadiri rapat"]
    rows = ids(app)

    renamed = admin.post(f"{PAGE}/{rows['Pelajari']}/ubah", data={"text": "Pelajari dan laporkan"})
    assert "renamed to Pelajari dan laporkan" in flashed(admin, renamed)
    [sent] = only_disposition(app, record_id=record_id, recipient_id=org.users["staf1"])
    assert sent.instruction == "Pelajari"  # what was sent keeps its text
    assert "Pelajari" not in offered(kabag, record_id)
    refused = send(kabag, record_id, [org.users["staf2"]], instruction="Pelajari")
    assert refused.status_code == 422  # the old text is no longer a choice

    for _ in range(2):
        admin.post(f"{PAGE}/{rows['Hadiri rapat']}/pindah", data={"direction": "up"})
    order = offered(kabag, record_id)
    assert order.index("Hadiri rapat") == len(DEFAULT_INSTRUCTIONS) - 2
    top = admin.post(f"{PAGE}/{rows['Tindak lanjuti']}/pindah", data={"direction": "up"})
    assert "already at that end" in flashed(admin, top)

    off = admin.post(f"{PAGE}/{rows['Arsipkan']}/status", data={"action": "deactivate"})
    assert "Arsipkan is no longer offered" in flashed(admin, off)
    assert "Arsipkan" not in offered(kabag, record_id)
    again = admin.post(f"{PAGE}/{rows['Arsipkan']}/status", data={"action": "deactivate"})
    assert again.status_code == 303 and "already inactive" in flashed(admin, again)
    on = admin.post(f"{PAGE}/{rows['Arsipkan']}/status", data={"action": "activate"})
    assert on.status_code == 302 and "Arsipkan" in offered(kabag, record_id)

    page = admin.get(PAGE).data.decode()
    used_row = re.search(rf'<tr data-instruction="{rows["Hadiri"]}".*?</tr>', page, re.S)
    assert "in use" in used_row.group(0) and "/hapus" not in used_row.group(0)
    refused = admin.post(f"{PAGE}/{rows['Hadiri']}/hapus")  # a disposition carries it
    assert refused.status_code == 303
    assert "used by dispositions; deactivate it instead" in flashed(admin, refused)
    assert "Hadiri" in ids(app)
    gone = admin.post(f"{PAGE}/{rows['Koordinasikan']}/hapus")
    assert "Koordinasikan deleted" in flashed(admin, gone) and "Koordinasikan" not in ids(app)

    with app.app_context():
        done = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "archive.instructions_saved",
        "archive.instruction_added",
        "archive.instruction_renamed",
        "archive.instruction_moved",
        "archive.instruction_deactivated",
        "archive.instruction_activated",
        "archive.instruction_deleted",
    } <= done


def test_bad_changes_are_refused_with_a_message(app, org, admin):
    admin.post(f"{PAGE}/bawaan")
    rows = ids(app)
    for text, message in (
        ("", "This field is required."),
        ("tindak LANJUTI", "already in the list"),
        ("x" * 121, "Field cannot be longer than 120 characters."),
    ):
        response = admin.post(PAGE, data={"text": text})
        assert response.status_code == 303 and message in flashed(admin, response), text
    assert admin.post(f"{PAGE}/{rows['Hadiri']}/pindah", data={"direction": "x"}).status_code == 303
    assert admin.post(f"{PAGE}/{2**40}/ubah", data={"text": "a"}).status_code == 404
    assert admin.post(f"{PAGE}/999999/ubah", data={"text": "a"}).status_code == 303
    for text in DEFAULT_INSTRUCTIONS[1:]:
        admin.post(f"{PAGE}/{rows[text]}/status", data={"action": "deactivate"})
    last = admin.post(f"{PAGE}/{rows['Tindak lanjuti']}/status", data={"action": "deactivate"})
    assert "At least one instruction must stay active." in flashed(admin, last)
    assert offered(client_for(app, "kabag"), make_record(app, org)) == ["Tindak lanjuti"]
    assert len(ids(app)) == len(DEFAULT_INSTRUCTIONS)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_changes_need_the_csrf_token(app, org, admin):
    assert admin.post(PAGE, data={"text": "Tanpa token"}).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', admin.get(PAGE).text)
    response = admin.post(PAGE, data={"text": "Dengan token", "csrf_token": token.group(1)})
    assert response.status_code == 302 and set(ids(app)) == {*DEFAULT_INSTRUCTIONS, "Dengan token"}
