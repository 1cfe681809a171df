"""Whom the routing forms offer: everyone allowed when few, else whom a search finds; a
tembusan from anyone; a form checked against the ids it sends, never the whole list."""

import re

import pytest
from archive_helpers import client_for
from sikd_archive import recipients
from test_dispositions import english, make_record, only_disposition, send

from sikd_host.extensions import db


def options(page: str, name: str = "recipients") -> dict[int | str, str]:
    """The choices of the field called ``name`` on a page, {value: text}: the options of a
    select, or the checkboxes of a list (the recipients)."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    if select is not None:
        found = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
    else:
        boxes = re.findall(rf'<input[^>]*id="([^"]+)"[^>]*name="{name}"[^>]*value="([^"]*)"', page)
        labels = dict(re.findall(r'<label[^>]*for="([^"]+)"[^>]*>([^<]*)</label>', page))
        found = [(value, labels.get(box_id, "")) for box_id, value in boxes]
    return {int(value) if value.isdigit() else value: text for value, text in found}


def selected(page: str) -> set[int]:
    boxes = re.findall(r'<input([^>]*)name="recipients"[^>]*value="(\d+)"', page)
    return {int(value) for before, value in boxes if "checked" in before}


def find(client, record_id, text, **fields):
    data = {"kind": "disposisi", "recipient_search": text, "find": "1", **fields}
    return client.post(f"/arsip/naskah/{record_id}/disposisi", data=data)


@pytest.fixture
def few(monkeypatch):
    """Lists of more than one person count as too long to show whole."""
    monkeypatch.setattr(recipients, "LIST_ALL_UP_TO", 1)


def test_a_short_list_is_offered_whole_with_each_position(app, org):
    record_id = make_record(app, org)
    page = client_for(app, "kabag").get(f"/arsip/naskah/{record_id}").data.decode()
    assert options(page) == {
        org.users["staf1"]: "Staf1 · Staf A",
        org.users["staf2"]: "Staf2 · Staf A",
    }
    assert "Semua yang dapat menerimanya tercantum di bawah." in page
    assert options(page, "kind") == {"disposisi": "Disposisi", "tembusan": "Tembusan"}


def test_a_long_list_asks_for_a_search_and_find_keeps_what_was_typed(app, org, few):
    record_id = make_record(app, org, unit="B")
    kabiro = english(client_for(app, "kabiro"))
    page = kabiro.get(f"/arsip/naskah/{record_id}").data.decode()
    assert options(page) == {}  # 6 people below the Kepala Biro: too many to list
    assert "Too many people to list: find them by name, NIP or position." in page

    found = find(kabiro, record_id, "  staf ", note="Mohon dipelajari")
    page = found.data.decode()
    assert found.status_code == 200
    assert set(options(page)) == {org.users[n] for n in ("staf1", "staf2", "staf3")}
    assert "The first" not in page and "3 found." in page
    assert re.search(r'<textarea[^>]*name="note"[^>]*>\s*Mohon dipelajari</textarea>', page)
    assert (
        'name="recipient_search" placeholder="Name, NIP or position" type="search" value="staf"'
        in page
    )
    assert only_disposition(app, record_id=record_id) == []  # finding sends nothing
    assert "Not sent yet: choose the recipients, then press Send." in page
    assert 'id="not-sent"' not in kabiro.get(f"/arsip/naskah/{record_id}").data.decode()

    by_position = find(kabiro, record_id, "kepala bagian b").data.decode()
    assert set(options(by_position)) == {org.users["kabag_b"]}
    nobody = find(kabiro, record_id, "50%").data.decode()
    assert options(nobody) == {} and "Nobody found for “50%”." in nobody


def test_find_keeps_the_people_chosen_and_the_form_then_sends_to_them(app, org, few):
    record_id = make_record(app, org, unit="B")
    kabiro = client_for(app, "kabiro")
    first = find(kabiro, record_id, "staf3").data.decode()
    assert set(options(first)) == {org.users["staf3"]}
    again = find(kabiro, record_id, "kepala", recipients=[str(org.users["staf3"])]).data.decode()
    assert set(options(again)) == {org.users[n] for n in ("staf3", "kabag", "kabag_b")}
    assert selected(again) == {org.users["staf3"]}
    sent = send(kabiro, record_id, [org.users["staf3"], org.users["kabag"]])
    assert sent.status_code == 302
    routed = only_disposition(app, record_id=record_id)
    assert {d.recipient_id for d in routed} == {org.users["staf3"], org.users["kabag"]}


def test_a_search_caps_what_it_shows(app, org, few, monkeypatch):
    monkeypatch.setattr(recipients, "MATCHES", 2)
    record_id = make_record(app, org, unit="B")
    page = find(english(client_for(app, "kabiro")), record_id, "staf").data.decode()
    assert len(options(page)) == 2
    assert "The first 2 found are shown: narrow the search to see the others." in page


def test_a_search_by_nip_finds_the_person(app, org):
    with app.app_context():
        from sikd_host.auth.models import User

        nip = "199001012015031001"
        db.session.get(User, org.users["staf2"]).nip = nip
        db.session.commit()
    record_id = make_record(app, org)
    page = find(client_for(app, "kabag"), record_id, "20150310").data.decode()
    assert set(options(page)) == {org.users["staf2"]}


def test_someone_with_nobody_below_sends_a_tembusan_to_anyone(app, org):
    record_id = make_record(app, org, unit="B.A")
    staf = client_for(app, "staf1")
    page = staf.get(f"/arsip/naskah/{record_id}").data.decode()
    assert options(page, "kind") == {"tembusan": "Tembusan"}
    offered = options(page)
    assert org.users["kabag_b"] in offered and org.users["staf1"] not in offered
    assert send(staf, record_id, [org.users["kabag"]]).status_code == 422  # no disposisi
    assert only_disposition(app, record_id=record_id) == []
    copy = send(staf, record_id, [org.users["kabag_b"]], kind="tembusan", instruction="")
    assert copy.status_code == 302
    [routed] = only_disposition(app, record_id=record_id)
    assert routed.kind == "tembusan" and routed.recipient_id == org.users["kabag_b"]


def test_a_secret_record_offers_its_copy_only_to_people_named_on_it(app, org, make_user):
    from test_record_access import add_role

    record_id = make_record(app, org, perihal="Hasil audit", keamanan="R", unit="B.A")
    arsiparis = client_for(app, "arsiparis")  # registered it, no view_secret, nobody below
    page = arsiparis.get(f"/arsip/naskah/{record_id}").data.decode()
    assert "Tidak ada orang yang dapat Anda kirimi naskah ini." in page
    assert options(page, "kind") == {} and options(page) == {}
    add_role(app, "sekretaris", ["archive.use", "archive.view_all", "archive.view_secret"])
    make_user("sekretaris", roles=["sekretaris"], position_id=org.positions["P-AR"])
    sekretaris = client_for(app, "sekretaris")  # may copy it to anyone: names kabag on it
    assert org.users["staf3"] in options(sekretaris.get(f"/arsip/naskah/{record_id}").data.decode())
    copy = {"kind": "tembusan", "instruction": ""}
    assert send(sekretaris, record_id, [org.users["kabag"]], **copy).status_code == 302
    page = arsiparis.get(f"/arsip/naskah/{record_id}").data.decode()
    assert options(page, "kind") == {"tembusan": "Tembusan"}
    assert set(options(page)) == {org.users["kabag"]}  # named: its recipients, registrar


def test_forwarding_finds_people_below_and_keeps_the_action(app, org, few):
    record_id = make_record(app, org, unit="B")
    kabiro = client_for(app, "kabiro")
    send(kabiro, record_id, [org.users["kabag"]])
    [item] = only_disposition(app, record_id=record_id)
    kabag = english(client_for(app, "kabag"))
    page = kabag.get(f"/arsip/disposisi/{item.id}").data.decode()
    assert options(page) == {} and "Too many people to list" in page
    found = kabag.post(
        f"/arsip/disposisi/{item.id}",
        data={"action": "teruskan", "note": "Pelajari", "recipient_search": "staf2", "find": "1"},
    )
    page = found.data.decode()
    assert found.status_code == 200 and set(options(page)) == {org.users["staf2"]}
    assert '<option selected value="teruskan">' in page
    assert "Not saved yet: choose the recipients, then press Save." in page
    assert only_disposition(app, record_id=record_id, parent_id=item.id) == []
    forward = kabag.post(
        f"/arsip/disposisi/{item.id}",
        data={"action": "teruskan", "note": "Pelajari", "recipients": [str(org.users["staf2"])]},
    )
    assert forward.status_code == 302
    [child] = only_disposition(app, record_id=record_id, parent_id=item.id)
    assert child.recipient_id == org.users["staf2"]


def test_a_form_naming_someone_not_allowed_is_refused_whatever_the_list(app, org, few):
    record_id = make_record(app, org)
    kabag = english(client_for(app, "kabag"))
    outside = send(kabag, record_id, [str(org.users["staf3"])])
    assert outside.status_code == 422
    page = outside.data.decode()
    assert "You may only send a disposition to people below you in the organisation." in page
    assert selected(page) == set()  # not kept: staf3 is not below kabag
    assert 'value="Tindak lanjuti" selected' in page or 'selected value="Tindak lanjuti"' in page
    for value in ("abc", "²", "9" * 40, "-1", "0"):
        response = send(kabag, record_id, [value])
        assert response.status_code == 422, value
        assert 'id="recipients-errors"' in response.data.decode(), value
    assert only_disposition(app, record_id=record_id) == []


def test_find_on_a_secret_record_keeps_only_people_its_copy_may_reach(app, org, make_user):
    from test_record_access import add_role

    record_id = make_record(app, org, perihal="Hasil audit", keamanan="R", unit="B.A")
    add_role(app, "sekretaris", ["archive.use", "archive.view_all", "archive.view_secret"])
    make_user("sekretaris", roles=["sekretaris"], position_id=org.positions["P-AR"])
    copy = {"kind": "tembusan", "instruction": ""}
    assert (
        send(client_for(app, "sekretaris"), record_id, [org.users["kabag"]], **copy).status_code
        == 302
    )
    kabag = client_for(app, "kabag")  # named on it now, without view_secret
    kept = [str(org.users[n]) for n in ("staf1", "staf3", "kabiro")]
    page = find(kabag, record_id, "", kind="tembusan", recipients=kept).data.decode()
    # named on it: kabag (its recipient: himself) and the arsiparis (its registrar)
    assert org.users["staf3"] not in options(page) and org.users["staf1"] not in options(page)
    assert selected(page) == set()
    assert set(options(page)) == {org.users["arsiparis"]}


def test_a_one_letter_search_asks_for_more(app, org, few):
    record_id = make_record(app, org, unit="B")
    page = find(client_for(app, "kabiro"), record_id, "s").data.decode()
    assert "Ketik minimal 2 karakter untuk mencari." in page and options(page) == {}
    assert "Tidak ada yang ditemukan" not in page


def test_the_result_lines_speak_indonesian_by_default(app, org, few):
    record_id = make_record(app, org, unit="B")
    kabiro = client_for(app, "kabiro")
    assert "3 ditemukan." in find(kabiro, record_id, "staf").data.decode()
    page = kabiro.get(f"/arsip/naskah/{record_id}").data.decode()
    assert "Terlalu banyak untuk didaftar: cari berdasarkan nama, NIP atau jabatan." in page


def test_a_refused_forward_keeps_the_form(app, org):
    record_id = make_record(app, org, unit="B")
    send(client_for(app, "kabiro"), record_id, [org.users["kabag"]])
    [item] = only_disposition(app, record_id=record_id)
    kabag = client_for(app, "kabag")
    refused = kabag.post(
        f"/arsip/disposisi/{item.id}",
        data={"action": "teruskan", "note": "Pelajari", "recipients": [str(org.users["staf3"])]},
    )
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "Pelajari</textarea>" in page and '<option selected value="teruskan">' in page
    assert only_disposition(app, record_id=record_id, parent_id=item.id) == []


@pytest.mark.parametrize(
    ("text", "pattern"),
    [("Budi", "%budi%"), ("50%", "%50\\%%"), ("a_b", "%a\\_b%"), ("c\\d", "%c\\\\d%")],
)
def test_like_pattern_takes_wildcards_literally(text, pattern):
    assert recipients.like_pattern(text) == pattern


def test_label_names_the_position_when_there_is_one():
    assert recipients.label("Budi", "Kepala Bagian") == "Budi · Kepala Bagian"
    assert recipients.label("Budi", None) == "Budi"


def test_a_missing_recipient_is_marked_on_the_list_for_assistive_technology(app, org):
    record_id = make_record(app, org)
    response = send(english(client_for(app, "kabag")), record_id, [])
    page = response.data.decode()
    assert response.status_code == 422
    group = re.search(r'<fieldset[^>]*id="recipients-choices"[^>]*>', page).group(0)
    assert 'aria-describedby="recipients-errors"' in group
    boxes = re.findall(r'<input[^>]*name="recipients"[^>]*>', page)
    assert len(boxes) == 2 and all('aria-invalid="true"' in box for box in boxes)
    assert re.search(r'id="recipients-errors"><div[^>]*>This field is required.', page)
