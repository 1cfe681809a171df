"""Penyusutan through HTTP: due lists, proposals, approval by someone else with the berita
acara and the deletion of unshared files, legal holds, hand-over, re-assessment, and proof
that no other page or command destroys anything."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from archive_helpers import client_for, make_pdf
from sikd_archive.models import Attachment, Change, Klasifikasi, Proposal, ProposalItem, Record
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db
from sikd_host.storage.models import StoredBlob

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date.today()


# --- helpers ---------------------------------------------------------------------------------


def english(client):
    """Switch the session to English, so messages can be asserted whatever the catalogue."""
    client.post("/language", data={"language": "en", "next": "/"})
    return client


def user_client(app, username):
    return english(client_for(app, username))


def register(client, org, code, tanggal, perihal="Surat dinas", unit="B", files=(), **extra):
    """Register a record through the form (with optional files); its id."""
    with client.application.app_context():
        code_id = db.session.scalar(select(Klasifikasi.id).where(Klasifikasi.code == code))
    data = {
        "kind": "surat_keluar",
        "nomor": f"B-{perihal[:10]}/{tanggal}",
        "tanggal": tanggal if isinstance(tanggal, str) else tanggal.isoformat(),
        "perihal": perihal,
        "asal": "",
        "tujuan": "Kementerian",
        "ringkasan": "",
        "klasifikasi_id": str(code_id),
        "sifat": "biasa",
        "keamanan": "B",
        "tingkat": "asli",
        "media": "elektronik",
        "berkas_id": "0",
        "unit_id": str(org.units[unit]),
        **extra,
    }
    response = client.post("/arsip/naskah/baru", data=data)
    assert response.status_code == 302, response.data.decode()[:3000]
    record_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    for name, content in files:
        attached = client.post(
            f"/arsip/naskah/{record_id}/lampiran",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert attached.status_code == 302, attached.data.decode()[:2000]
    return record_id


def due_musnah(client, org, perihal="Surat lama", files=(), **extra):
    """UM.01.01 (2 + 3 years, musnah), dated 2019: due for destruction since 2024."""
    return register(client, org, "UM.01.01", "2019-01-10", perihal, files=files, **extra)


def not_due(client, org, perihal="Surat baru", files=()):
    return register(client, org, "UM.01.01", "2025-06-01", perihal, files=files)


def propose(client, ids, note=""):
    return client.post("/arsip/penyusutan/usulan", data={"record_ids": ids, "note": note})


def proposal_id_of(response):
    return int(re.search(r"/usulan/(\d+)", response.headers["Location"]).group(1))


def blob_file(app, sha256):
    return Path(app.config["STORAGE_DIR"]) / sha256[:2] / sha256[2:4] / sha256


def shas_of(app, record_id):
    with app.app_context():
        return list(
            db.session.scalars(select(Attachment.sha256).where(Attachment.record_id == record_id))
        )


def record_state(app, record_id):
    with app.app_context():
        record = db.session.get(Record, record_id)
        return record.status, record.legal_hold, record.destroyed_at, record.proposal_id


def actions(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def assert_audit_chain_holds(runner):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def set_hold(app, make_user, record_id, reason="Perkara 12/Pdt.G/2026"):
    """Set the legal hold through its route, as a holder of archive.legal_hold."""
    from sikd_host.auth.models import User

    with app.app_context():
        exists = db.session.scalar(select(User.id).where(User.username == "hakim"))
    if exists is None:
        make_user("hakim", roles=["admin"])
    client = user_client(app, "hakim")
    response = hold(client, record_id, "set", reason)
    assert response.status_code == 302
    return client


def hold(client, record_id, action, reason="Perkara 12/Pdt.G/2026"):
    return client.post(
        f"/arsip/naskah/{record_id}/legal-hold", data={"action": action, "reason": reason}
    )


@pytest.fixture
def people(app, org, make_user):
    """The org of conftest plus a user holding both proposing and approving rights."""
    make_user(
        "ganda", roles=["pegawai", "arsiparis", "pimpinan"], position_id=org.positions["P-AR"]
    )
    return org


# --- the retention page -----------------------------------------------------------------------


def test_retention_page_lists_due_records_with_counts_per_code(app, people, make_user):
    arsiparis = user_client(app, "arsiparis")
    old = due_musnah(arsiparis, people, "Undangan lama")
    fresh = not_due(arsiparis, people, "Undangan baru")
    inactive = register(arsiparis, people, "UM.01.01", "2023-01-05", "Menunggu inaktif")
    permanent = register(arsiparis, people, "HK.01.02", "2010-02-01", "Keputusan lama")
    review = register(arsiparis, people, "KP.01.02", "2015-03-01", "Pengadaan CPNS")
    # a record of Bagian B registered by someone else: the arsiparis (Biro, not its head)
    # may not see it
    make_user("admin2", roles=["admin"])  # sees every unit; P-KBB has its holder
    hidden = due_musnah(user_client(app, "admin2"), people, "Rahasia bagian B", unit="B.B")

    page = arsiparis.get("/arsip/penyusutan")
    assert page.status_code == 200
    body = page.data.decode()

    def listed(name):
        table = re.search(rf'data-list="{name}".*?</table>', body, re.S).group(0)
        return {int(i) for i in re.findall(r'data-record-id="(\d+)"', table)}

    assert listed("musnah") == {old}
    # still "aktif" although past its active period: every one of these is due to move
    assert listed("inactive") == {old, inactive, permanent, review}
    assert listed("permanen") == {permanent}
    assert listed("dinilai_kembali") == {review}
    assert fresh not in listed("musnah") | listed("inactive") and hidden not in listed("musnah")
    codes = re.search(r'data-list="codes".*?</table>', body, re.S).group(0)
    row = re.search(r'data-code="UM.01.01">(.*?)</tr>', codes, re.S).group(1)
    assert re.search(r'data-count="inactive">2<', row) and re.search(r'data-count="final">1<', row)

    from sikd_archive.lifecycle import due_counts

    with app.test_request_context():
        from sikd_host.auth.models import User

        user = db.session.scalar(select(User).where(User.username == "arsiparis"))
        assert due_counts(user) == {
            "inactive": 4,
            "musnah": 1,
            "permanen": 1,
            "dinilai_kembali": 1,
            "final": 3,
        }
        from flask import render_template

        html = render_template(
            "archive/widget_retention.html",
            widget=type("W", (), {"context": {"counts": due_counts(user)}})(),
        )
        assert 'data-count="final">3<' in html


def test_retention_page_needs_a_retention_permission(app, people):
    assert user_client(app, "staf1").get("/arsip/penyusutan").status_code == 403
    assert user_client(app, "kabiro").get("/arsip/penyusutan").status_code == 200  # approver


def test_move_to_inactive_and_refuse_what_is_not_due(app, people):
    arsiparis = user_client(app, "arsiparis")
    due = register(arsiparis, people, "UM.01.01", "2023-01-05", "Menunggu inaktif")
    fresh = not_due(arsiparis, people)
    refused = arsiparis.post("/arsip/penyusutan/inaktif", data={"record_ids": [due, fresh]})
    assert refused.status_code == 409 and "active period has not ended" in refused.data.decode()
    assert record_state(app, due)[0] == "aktif"
    moved = arsiparis.post("/arsip/penyusutan/inaktif", data={"record_ids": [due]})
    assert moved.status_code == 303
    assert record_state(app, due)[0] == "inaktif"
    assert "archive.record_inactivated" in actions(app)


# --- destruction --------------------------------------------------------------------------------


def test_propose_and_approve_destroys_files_keeps_stubs_and_writes_berita_acara(
    app, people, runner
):
    arsiparis = user_client(app, "arsiparis")
    first = due_musnah(arsiparis, people, "Surat satu", files=[("satu.pdf", make_pdf("satu"))])
    second = due_musnah(
        arsiparis,
        people,
        "Surat dua",
        files=[("dua.pdf", make_pdf("dua")), ("dua-b.pdf", make_pdf("dua b"))],
    )
    shas = shas_of(app, first) + shas_of(app, second)
    assert len(set(shas)) == 3 and all(blob_file(app, s).is_file() for s in shas)

    response = propose(arsiparis, [first, second], "Usul tahun 2026")
    assert response.status_code == 303
    proposal_id = proposal_id_of(response)
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.status == "diusulkan"
        assert proposal.number == f"0001/PMS/{TODAY.year}"
        assert [i.record_id for i in proposal.items] == [first, second]

    kabiro = user_client(app, "kabiro")
    page = kabiro.get(f"/arsip/penyusutan/usulan/{proposal_id}")
    assert page.status_code == 200 and "Approve and destroy" in page.data.decode()
    approved = kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui")
    assert approved.status_code == 303, approved.data.decode()[:3000]
    assert approved.headers["Location"].endswith(f"/arsip/penyusutan/berita-acara/{proposal_id}")

    # the files are gone from the disk and from storage_blob
    assert not any(blob_file(app, s).exists() for s in shas)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(StoredBlob).where(StoredBlob.sha256.in_(shas))
            )
            == 0
        )
        # the stubs stay, linked to the proposal; the attachments keep name and size only
        for record_id in (first, second):
            record = db.session.get(Record, record_id)
            assert record.status == "musnah" and record.destroyed_at is not None
            assert record.proposal_id == proposal_id and record.perihal.startswith("Surat")
        attachments = db.session.scalars(select(Attachment)).all()
        assert {a.name for a in attachments} == {"satu.pdf", "dua.pdf", "dua-b.pdf"}
        assert all(a.sha256 is None and a.text == "" and a.size > 0 for a in attachments)
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.status == "disetujui"
        minutes = json.loads(proposal.minutes)
    assert minutes["kind"] == "pemusnahan" and minutes["number"] == proposal.number
    assert minutes["proposer"]["name"] == "Arsiparis" and minutes["decider"]["name"] == "Kabiro"
    assert minutes["institution"] and minutes["unit"] == "Biro Umum"
    assert sorted(minutes["blobs_destroyed"]) == sorted(shas)
    item = minutes["items"][0]
    assert item["code"] == "UM.01.01" and item["tanggal"] == "2019-01-10"
    assert item["active_until"] == "2021-01-10" and item["final_due_on"] == "2024-01-10"
    assert item["agenda_number"] and item["nomor"] and item["perihal"] == "Surat satu"

    berita = kabiro.get(f"/arsip/penyusutan/berita-acara/{proposal_id}")
    assert berita.status_code == 200
    body = berita.data.decode()
    assert all(s in body for s in shas) and "@media print" in body
    assert "Surat dua" in body and proposal.number in body

    # the stub page still opens, says so and links the berita acara; the file does not
    stub = arsiparis.get(f"/arsip/naskah/{first}")
    assert stub.status_code == 200 and "data-destroyed" in stub.data.decode()
    assert f"/arsip/penyusutan/berita-acara/{proposal_id}" in stub.data.decode()
    with app.app_context():
        attachment_id = db.session.scalar(
            select(Attachment.id).where(Attachment.record_id == first)
        )
    assert arsiparis.get(f"/arsip/lampiran/{attachment_id}").status_code == 404

    done = actions(app)
    assert "archive.destruction_proposed" in done and "archive.destruction_approved" in done
    assert done.count("archive.record_destroyed") == 2
    assert_audit_chain_holds(runner)

    again = kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui")
    assert again.status_code == 409  # decided already


def test_proposer_cannot_approve_own_proposal_even_with_both_permissions(app, people):
    ganda = user_client(app, "ganda")
    record_id = due_musnah(ganda, people, files=[("a.pdf", make_pdf("sendiri"))])
    response = propose(ganda, [record_id])
    assert response.status_code == 303
    proposal_id = proposal_id_of(response)
    page = ganda.get(f"/arsip/penyusutan/usulan/{proposal_id}").data.decode()
    assert "Approve and destroy" not in page
    refused = ganda.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui")
    assert refused.status_code == 403
    assert "someone else must approve it" in refused.data.decode()
    assert record_state(app, record_id)[0] == "aktif"
    assert blob_file(app, shas_of(app, record_id)[0]).is_file()
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).status == "diusulkan"
    assert "archive.destruction_approval_refused" in actions(app)


def test_staff_without_permission_cannot_propose_or_approve(app, people):
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people)
    proposal_id = proposal_id_of(propose(arsiparis, [record_id]))
    staf = user_client(app, "staf1")
    assert propose(staf, [record_id]).status_code == 403
    assert staf.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui").status_code == 403
    assert arsiparis.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui").status_code == 403


def test_legal_hold_refused_at_propose(app, people, make_user):
    arsiparis = user_client(app, "arsiparis")
    held = due_musnah(arsiparis, people, "Surat perkara")
    free = due_musnah(arsiparis, people, "Surat biasa")
    set_hold(app, make_user, held)
    assert record_state(app, held)[1] is True
    refused = propose(arsiparis, [free, held])
    assert refused.status_code == 409
    body = refused.data.decode()
    with app.app_context():
        agenda = db.session.get(Record, held).agenda_number
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0  # whole
    assert agenda in body and "on legal hold" in body


def test_legal_hold_set_after_proposing_blocks_approval_until_lifted(app, people, make_user):
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people, files=[("p.pdf", make_pdf("perkara"))])
    sha = shas_of(app, record_id)[0]
    proposal_id = proposal_id_of(propose(arsiparis, [record_id]))
    hakim = set_hold(app, make_user, record_id)

    kabiro = user_client(app, "kabiro")
    page = kabiro.get(f"/arsip/penyusutan/usulan/{proposal_id}").data.decode()
    assert "on legal hold" in page  # shown before anyone tries
    refused = kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui")
    assert refused.status_code == 409 and "on legal hold" in refused.data.decode()
    assert record_state(app, record_id)[:2] == ("aktif", True)
    assert blob_file(app, sha).is_file()
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).status == "diusulkan"
        assert db.session.get(Proposal, proposal_id).minutes == ""

    lifted = hold(hakim, record_id, "lift", "Perkara selesai")
    assert lifted.status_code == 302 and record_state(app, record_id)[1] is False
    assert kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui").status_code == 303
    assert record_state(app, record_id)[0] == "musnah" and not blob_file(app, sha).exists()
    done = actions(app)
    assert {"archive.legal_hold_set", "archive.legal_hold_lifted"} <= set(done)


def test_legal_hold_needs_its_permission_and_a_reason(app, people, make_user):
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people)
    assert hold(arsiparis, record_id, "set", "x").status_code == 403
    make_user("hakim", roles=["admin"])
    hakim = user_client(app, "hakim")
    refused = hold(hakim, record_id, "set", "")
    assert refused.status_code == 303
    assert "Write the reason." in hakim.get(refused.headers["Location"]).data.decode()
    assert record_state(app, record_id)[1] is False
    assert set_hold(app, make_user, record_id) and record_state(app, record_id)[1] is True
    refused = hold(hakim, record_id, "lift", "  ")  # lifting needs a reason too
    assert refused.status_code == 303 and record_state(app, record_id)[1] is True


def test_legal_hold_is_set_or_lifted_explicitly_never_toggled(app, people, make_user):
    """A form sent twice (a reload, a double click) is refused the second time with a
    message; nothing changes. The page's form says what it will do."""
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people)
    make_user("hakim", roles=["admin"])
    hakim = user_client(app, "hakim")
    page = hakim.get(f"/arsip/naskah/{record_id}").data.decode()
    assert 'name="action" type="hidden" value="set"' in page
    assert hold(hakim, record_id, "set", "Perkara 1").status_code == 302
    again = hold(hakim, record_id, "set", "Perkara 2")
    assert again.status_code == 303
    shown = hakim.get(again.headers["Location"]).data.decode()
    assert "already on legal hold; nothing was changed" in shown
    assert 'name="action" type="hidden" value="lift"' in shown
    with app.app_context():
        record = db.session.get(Record, record_id)
        assert record.legal_hold and record.legal_hold_reason == "Perkara 1"
    assert hold(hakim, record_id, "lift", "Perkara selesai").status_code == 302
    again = hold(hakim, record_id, "lift", "Perkara selesai")
    assert again.status_code == 303 and record_state(app, record_id)[1] is False
    shown = hakim.get(again.headers["Location"]).data.decode()
    assert "not on legal hold; nothing was changed" in shown
    for action in ("", "toggle", None):  # no action, or an unknown one: refused
        data = {"reason": "Perkara 3"} | ({} if action is None else {"action": action})
        refused = hakim.post(f"/arsip/naskah/{record_id}/legal-hold", data=data)
        assert refused.status_code == 303 and record_state(app, record_id)[1] is False
    done = [a for a in actions(app) if a.startswith("archive.legal_hold")]
    assert done == ["archive.legal_hold_set", "archive.legal_hold_lifted"]


def test_not_yet_due_and_wrong_disposition_are_refused(app, people):
    arsiparis = user_client(app, "arsiparis")
    fresh = not_due(arsiparis, people)
    permanent = register(arsiparis, people, "HK.01.02", "2010-02-01", "Keputusan lama")
    refused = propose(arsiparis, [fresh, permanent])
    assert refused.status_code == 409
    body = refused.data.decode()
    assert "not yet due" in body and "final disposition is not musnah" in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_record_already_in_an_open_proposal_is_refused(app, people):
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people)
    assert propose(arsiparis, [record_id]).status_code == 303
    refused = propose(arsiparis, [record_id])
    assert refused.status_code == 409 and "already in an open proposal" in refused.data.decode()


def test_records_the_proposer_cannot_see_are_refused_as_not_found(app, people, make_user):
    make_user("admin2", roles=["admin"])  # sees every unit; P-KBB has its holder
    hidden = due_musnah(user_client(app, "admin2"), people, "Bagian B", unit="B.B")
    arsiparis = user_client(app, "arsiparis")
    refused = propose(arsiparis, [hidden])
    assert refused.status_code == 404
    assert "Bagian B" not in refused.data.decode()


def test_bad_selection_input_is_a_400_not_a_500(app, people):
    arsiparis = user_client(app, "arsiparis")
    assert propose(arsiparis, []).status_code == 400
    assert propose(arsiparis, ["abc"]).status_code == 400
    assert propose(arsiparis, [str(2**70)]).status_code == 400
    assert arsiparis.get(f"/arsip/penyusutan/usulan/{2**70}").status_code == 404
    assert arsiparis.get(f"/arsip/penyusutan/berita-acara/{2**70}").status_code == 404
    assert arsiparis.post("/arsip/penyusutan/usulan/999/setujui").status_code == 403
    kabiro = user_client(app, "kabiro")
    assert kabiro.post("/arsip/penyusutan/usulan/999/setujui").status_code == 404
    assert kabiro.get("/arsip/penyusutan/berita-acara/999").status_code == 404


def test_shared_blob_is_kept_when_only_one_record_is_destroyed(app, people):
    arsiparis = user_client(app, "arsiparis")
    content = make_pdf("isi yang sama")
    destroyed = due_musnah(arsiparis, people, "Dimusnahkan", files=[("sama.pdf", content)])
    kept = not_due(arsiparis, people, "Tetap", files=[("salinan.pdf", content)])
    sha = shas_of(app, destroyed)[0]
    assert shas_of(app, kept) == [sha]
    proposal_id = proposal_id_of(propose(arsiparis, [destroyed]))
    kabiro = user_client(app, "kabiro")
    assert kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui").status_code == 303
    assert blob_file(app, sha).is_file()
    assert shas_of(app, destroyed) == [None] and shas_of(app, kept) == [sha]
    with app.app_context():
        minutes = json.loads(db.session.get(Proposal, proposal_id).minutes)
        attachment_id = db.session.scalar(select(Attachment.id).where(Attachment.record_id == kept))
    assert minutes["blobs_kept_shared"] == [sha] and minutes["blobs_destroyed"] == []
    assert minutes["items"][0]["attachments"][0]["sha256"] == sha
    download = arsiparis.get(f"/arsip/lampiran/{attachment_id}")
    assert download.status_code == 200 and download.data == content


def test_reject_with_reason_frees_the_records(app, people):
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people)
    proposal_id = proposal_id_of(propose(arsiparis, [record_id]))
    kabiro = user_client(app, "kabiro")
    no_reason = kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/tolak", data={"reason": ""})
    assert no_reason.status_code == 400
    rejected = kabiro.post(
        f"/arsip/penyusutan/usulan/{proposal_id}/tolak", data={"reason": "Masih dipakai"}
    )
    assert rejected.status_code == 303
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).status == "ditolak"
    assert kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui").status_code == 409
    assert record_state(app, record_id)[0] == "aktif"
    assert "archive.destruction_rejected" in actions(app)
    again = propose(arsiparis, [record_id])
    assert again.status_code == 303 and proposal_id_of(again) != proposal_id
    with app.app_context():
        assert db.session.get(Proposal, proposal_id_of(again)).number == f"0002/PMS/{TODAY.year}"


def test_berita_acara_is_shown_to_stub_readers_and_masks_what_they_may_not_see(
    app, people, make_user
):
    staf = user_client(app, "staf1")
    arsiparis = user_client(app, "arsiparis")
    mine = due_musnah(arsiparis, people, "Surat staf bagian A", unit="B.A")
    other = due_musnah(arsiparis, people, "Surat biro saja")
    proposal_id = proposal_id_of(propose(arsiparis, [mine, other]))
    kabiro = user_client(app, "kabiro")
    assert kabiro.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui").status_code == 303
    page = staf.get(f"/arsip/penyusutan/berita-acara/{proposal_id}")
    assert page.status_code == 200
    body = page.data.decode()
    assert "Surat staf bagian A" in body and "Surat biro saja" not in body
    staf3 = user_client(app, "staf3")  # sees neither record, holds no retention permission
    assert staf3.get(f"/arsip/penyusutan/berita-acara/{proposal_id}").status_code == 404


def test_approver_must_see_every_item(app, people):
    arsiparis = user_client(app, "arsiparis")
    record_id = due_musnah(arsiparis, people, "Surat biro")
    proposal_id = proposal_id_of(propose(arsiparis, [record_id]))
    kabag_b = user_client(app, "kabag_b")  # pimpinan of Bagian B: may approve, may not see
    refused = kabag_b.post(f"/arsip/penyusutan/usulan/{proposal_id}/setujui")
    assert refused.status_code == 403 and "Surat biro" not in refused.data.decode()
    assert record_state(app, record_id)[0] == "aktif"


# --- hand-over and re-assessment ------------------------------------------------------------


def test_hand_over_of_permanent_records(app, people, runner):
    arsiparis = user_client(app, "arsiparis")
    content = make_pdf("keputusan")
    permanent = register(
        arsiparis, people, "HK.01.02", "2010-02-01", "Keputusan lama", files=[("sk.pdf", content)]
    )
    musnah = due_musnah(arsiparis, people)
    refused = arsiparis.post(
        "/arsip/penyusutan/serah", data={"record_ids": [permanent, musnah], "receiver": "ANRI"}
    )
    assert refused.status_code == 409 and "not permanen" in refused.data.decode()
    no_receiver = arsiparis.post("/arsip/penyusutan/serah", data={"record_ids": [permanent]})
    assert no_receiver.status_code == 400
    assert record_state(app, permanent)[0] == "aktif"

    response = arsiparis.post(
        "/arsip/penyusutan/serah",
        data={"record_ids": [permanent], "receiver": "Drs. Budi, ANRI", "note": "Tahap 1"},
    )
    assert response.status_code == 303
    document_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        record = db.session.get(Record, permanent)
        assert record.status == "serah" and record.handed_over_at is not None
        assert record.proposal_id == document_id
        document = db.session.get(Proposal, document_id)
        assert document.status == "diserahkan" and document.number == f"0001/SRH/{TODAY.year}"
        minutes = json.loads(document.minutes)
    assert minutes["kind"] == "serah" and minutes["receiver"] == "Drs. Budi, ANRI"
    sha = shas_of(app, permanent)[0]
    assert blob_file(app, sha).is_file()  # handed over, not destroyed
    page = arsiparis.get(f"/arsip/penyusutan/berita-acara/{document_id}").data.decode()
    assert sha in page and "Drs. Budi, ANRI" in page
    again = arsiparis.post(
        "/arsip/penyusutan/serah", data={"record_ids": [permanent], "receiver": "ANRI"}
    )
    assert again.status_code == 409
    assert "archive.record_handed_over" in actions(app)
    assert_audit_chain_holds(runner)


def test_reassessment_extends_or_decides(app, people):
    arsiparis = user_client(app, "arsiparis")
    review = register(arsiparis, people, "KP.01.02", "2015-03-01", "Pengadaan CPNS")
    url = f"/arsip/penyusutan/naskah/{review}/nilai-kembali"
    assert arsiparis.post(url, data={"decision": "extend", "years": "2"}).status_code == 400
    assert (
        arsiparis.post(url, data={"decision": "extend", "reason": "Masih dipakai"}).status_code
        == 400
    )
    extended = arsiparis.post(
        url, data={"decision": "extend", "years": "2", "reason": "Masih dipakai"}
    )
    assert extended.status_code == 303
    with app.app_context():
        record = db.session.get(Record, review)
        assert record.final == "dinilai_kembali"
        assert record.final_due_on == TODAY.replace(year=TODAY.year + 2)
        change = db.session.scalar(select(Change).where(Change.record_id == review))
        assert change.field == "final_due_on" and change.new == record.final_due_on.isoformat()
    with app.app_context():  # recomputing from the JRA keeps the re-assessment
        from sikd_archive.klasifikasi import refresh_retention

        refresh_retention()
        db.session.commit()
        assert db.session.get(Record, review).final_due_on == TODAY.replace(year=TODAY.year + 2)
    with app.app_context():  # and so does editing the record
        from sikd_archive import records

        from sikd_host.auth.models import User

        actor = db.session.scalar(select(User).where(User.username == "arsiparis"))
        record = db.session.get(Record, review)
        assert records.edit(actor, record, {"perihal": "Pengadaan CPNS 2015"})
        db.session.commit()
        assert db.session.get(Record, review).final_due_on == TODAY.replace(year=TODAY.year + 2)
    # no longer due: a second re-assessment is refused
    assert arsiparis.post(url, data={"decision": "musnah", "reason": "x"}).status_code == 409
    assert "archive.record_reassessed" in actions(app)

    other = register(arsiparis, people, "KP.01.02", "2015-03-01", "Pengadaan lain")
    decided = arsiparis.post(
        f"/arsip/penyusutan/naskah/{other}/nilai-kembali",
        data={"decision": "musnah", "reason": "Tidak bernilai guna"},
    )
    assert decided.status_code == 303
    assert propose(arsiparis, [other]).status_code == 303  # now proposable
    assert (
        arsiparis.post(
            "/arsip/penyusutan/naskah/99999/nilai-kembali",
            data={"decision": "musnah", "reason": "x"},
        ).status_code
        == 404
    )


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_forms_need_their_csrf_token(app, people):
    arsiparis = client_for(app, "arsiparis")
    assert propose(arsiparis, [1]).status_code == 400  # no token: refused before any check
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


# --- nothing else destroys ------------------------------------------------------------------------


def _python_files():
    for base in (ROOT / "sikd_host", ROOT / "plugins"):
        yield from (p for p in base.rglob("*.py") if ".venv" not in p.parts)


def test_only_the_approval_calls_storage_destroy_in_the_source():
    """Static half of the proof: every call of a function named ``destroy`` or
    ``_destroy_blobs``, and every ORM/Core delete of records or attachments, in the host and
    the plugins."""
    callers = set()
    deletes = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    if name in ("destroy", "_destroy_blobs"):
                        callers.add((path.relative_to(ROOT).as_posix(), function.name, name))
        source = path.read_text(encoding="utf-8")
        if re.search(r"delete\(\s*(Record|Attachment|Proposal|ProposalItem)\b", source):
            deletes.append(path)
        if re.search(r"\b(archive_record|archive_attachment)\b[^\n]*\bDELETE\b", source, re.I):
            deletes.append(path)
    assert callers == {
        ("plugins/archive/sikd_archive/lifecycle.py", "approve", "_destroy_blobs"),
        ("plugins/archive/sikd_archive/lifecycle.py", "_destroy_blobs", "destroy"),
    }
    assert deletes == []


@pytest.fixture
def guarded(app, people, make_user, monkeypatch):
    """Records that must survive (on hold, not due) and one lawful proposal; a spy on
    ``storage.destroy`` noting who called it."""
    from flask import has_request_context, request

    from sikd_host.storage import service

    arsiparis = user_client(app, "arsiparis")
    held = due_musnah(arsiparis, people, "Ditahan", files=[("h.pdf", make_pdf("ditahan"))])
    fresh = not_due(arsiparis, people, "Belum", files=[("b.pdf", make_pdf("belum"))])
    lawful = due_musnah(arsiparis, people, "Sah", files=[("s.pdf", make_pdf("sah"))])
    lawful_proposal = proposal_id_of(propose(arsiparis, [lawful]))
    set_hold(app, make_user, held)
    with app.app_context():  # a tampered open proposal: items slipped in behind the checks
        proposer = db.session.get(Proposal, lawful_proposal).proposed_by_id
        tampered = Proposal(number="9999/PMS/2026", status="diusulkan", proposed_by_id=proposer)
        db.session.add(tampered)
        db.session.flush()
        db.session.add_all(
            [ProposalItem(proposal_id=tampered.id, record_id=i) for i in (held, fresh)]
        )
        db.session.commit()
        tampered_id = tampered.id
    calls = []
    original = service.destroy

    def spy(sha256):
        calls.append(request.endpoint if has_request_context() else "cli")
        return original(sha256)

    monkeypatch.setattr(service, "destroy", spy)
    return {
        "held": held,
        "fresh": fresh,
        "lawful": lawful,
        "proposals": [lawful_proposal, tampered_id],
        "shas": shas_of(app, held) + shas_of(app, fresh),
        "calls": calls,
    }


def _assert_guarded_intact(app, guarded):
    for record_id in (guarded["held"], guarded["fresh"]):
        assert record_state(app, record_id)[0] == "aktif"
    for sha in guarded["shas"]:
        assert blob_file(app, sha).is_file()
    with app.app_context():
        assert db.session.scalar(
            select(func.count())
            .select_from(StoredBlob)
            .where(StoredBlob.sha256.in_(guarded["shas"]))
        ) == len(guarded["shas"])


def test_no_route_but_approval_destroys_and_none_destroys_held_or_undue(app, guarded, make_user):
    """Dynamic half: every route of the app, GET and POST, with every id of interest and a
    form naming the guarded records, as a user holding every permission."""
    make_user("super", roles=["admin"])
    client = user_client(app, "super")
    ids = {guarded["held"], guarded["fresh"], guarded["lawful"], *guarded["proposals"], 1}
    with app.app_context():
        ids |= set(db.session.scalars(select(Attachment.id)))
    form = {
        "record_ids": [guarded["held"], guarded["fresh"], guarded["lawful"]],
        "reason": "uji",
        "note": "uji",
        "receiver": "ANRI",
        "decision": "musnah",
        "years": "1",
        "status": "musnah",
    }
    skip = {"static", "plugin_static", "auth.logout"}
    tried = set()
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint != "archive.proposal_approve")
    approve = [r for r in rules if r.endpoint == "archive.proposal_approve"]
    for rule in rules + approve:  # approval first (the lawful one) and again at the end
        if rule.endpoint in skip:
            continue
        numeric = [
            a
            for a in rule.arguments
            if rule._converters[a].__class__.__name__ == "IntegerConverter"
        ]
        others = {
            a: {"fmt": "csv", "kind": "aktif"}.get(a, "x")
            for a in rule.arguments
            if a not in numeric
        }
        choices = (
            [dict(others, **{a: i for a in numeric}) for i in sorted(ids)] if numeric else [others]
        )
        for values in choices:
            url = rule.build(values, append_unknown=False)[1]
            for method in {"GET", "POST"} & rule.methods:
                response = client.open(url, method=method, data=form if method == "POST" else None)
                assert response.status_code < 500, (method, url, response.status_code)
                tried.add(rule.endpoint)
    assert "archive.proposal_approve" in tried and "archive.proposal_new" in tried
    assert set(guarded["calls"]) <= {"archive.proposal_approve"}
    assert guarded["calls"], "the lawful proposal was approved through its route"
    assert record_state(app, guarded["lawful"])[0] == "musnah"
    _assert_guarded_intact(app, guarded)


def _leaf_commands(group, path=()):
    import click

    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


# values for required parameters, by name; the others get one by their type
KNOWN_VALUES = {
    "plugin": "archive",
    "name": "archive",
    "revision": "base",
    "username": "staf1",
    "full_name": "Uji Coba",
    "code": "2026",
}


def _value(param, path):
    import click

    if param.name in KNOWN_VALUES:
        return KNOWN_VALUES[param.name]
    kind = param.type
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, click.Path | click.File):
        return str(path)
    if isinstance(kind, click.DateTime):
        return TODAY.isoformat()
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return str(getattr(kind, "min", None) or 1)
    return "archive"


def _arguments(command, path):
    """Arguments for every required parameter, so the command really runs."""
    import click

    args = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            args.append(_value(param, path))
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[0], _value(param, path)]
    return args


def _archive_tables(app):
    with app.app_context():
        names = db.inspect(db.engine).get_table_names()
        count = db.session.scalar(select(func.count()).select_from(Record))
    return {n for n in names if n.startswith("archive_")}, count


def test_no_command_destroys(app, guarded, runner, tmp_path):
    """Every command of ``sikd`` (except those that serve or open a shell), each with real
    arguments for its required parameters (none may stop at a usage error, which would try
    nothing), then every downgrade of the archive's schema, with and without
    ``--drop-data``: the guarded records, their files and the archive's tables stay."""
    from sikd_host import migrations
    from sikd_host.pluginmanager import current_host

    serving = {"run", "shell", "demo", "serve", "worker", "work"}  # would block the test
    commands = [(p, c) for p, c in _leaf_commands(app.cli) if p[-1] not in serving]
    paths = [p for p, _c in commands]
    assert ("storage", "reconcile") in paths and ("db", "downgrade") in paths
    tables, count = _archive_tables(app)
    assert "archive_record" in tables and count >= 3
    data = tmp_path / "data.csv"
    data.write_text("kode,nama\n", encoding="utf-8")
    for path, command in commands:
        args = [*path, *_arguments(command, data)]
        result = runner.invoke(args=args, input="")
        assert result.exit_code != 2, (args, result.output)  # a usage error tries nothing
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.output,
        )
    for args in (["storage", "reconcile", "--grace", "0"], ["storage", "verify"]):
        runner.invoke(args=args)
    for revision in ("base", "archive_0001", "archive_0002", "-1"):
        for extra in ([], ["--drop-data"]):
            args = ["db", "downgrade", "--plugin", "archive", *extra, "--", revision]
            result = runner.invoke(args=args)
            assert result.exit_code == 1, (args, result.output)
            assert "may never be dropped" in result.output, (args, result.output)
            assert "UU 43/2009" in result.output and "archive_record" in result.output
    assert _archive_tables(app) == (tables, count)
    with app.app_context():
        track = migrations.all_tracks(current_host(app), only="archive")[0]
        assert migrations.current_revision(db.engine, track) == migrations.head_revision(track)
    assert guarded["calls"] == []
    _assert_guarded_intact(app, guarded)


def test_an_empty_archive_schema_still_goes_down_and_up(app, runner):
    """With no row in any archive table, a downgrade drops nothing, so it runs (and the
    migrations' downgrades stay tested); the schema then comes back."""
    from sikd_host import migrations
    from sikd_host.pluginmanager import current_host

    assert _archive_tables(app)[1] == 0
    try:
        result = runner.invoke(args=["db", "downgrade", "--plugin", "archive", "base"])
        assert result.exit_code == 0 and "archive: base" in result.output, result.output
        with app.app_context():
            assert not db.inspect(db.engine).has_table("archive_record")
    finally:
        result = runner.invoke(args=["db", "upgrade", "--plugin", "archive"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        track = migrations.all_tracks(current_host(app), only="archive")[0]
        assert migrations.current_revision(db.engine, track) == migrations.head_revision(track)
        assert db.inspect(db.engine).has_table("archive_record")


# --- pure rules -----------------------------------------------------------------------------


def test_rules_of_penyusutan():
    from sikd_archive.rules import lifecycle as rules

    due = {"status": "aktif", "final": "musnah", "final_due_on": dt.date(2024, 1, 1)}
    today = dt.date(2026, 1, 1)
    assert rules.proposal_refusals(due, today, False) == []
    assert rules.proposal_refusals({**due, "legal_hold": True}, today, True) == [
        "on legal hold",
        "already in an open proposal",
    ]
    assert rules.proposal_refusals({**due, "final_due_on": None}, today, False) == ["not yet due"]
    assert rules.proposal_refusals({**due, "status": "musnah"}, today, False) == [
        "already destroyed or handed over"
    ]
    assert rules.proposal_refusals(due, dt.date(2023, 12, 31), False) == ["not yet due"]
    assert rules.handover_refusals({**due, "final": "permanen"}, today) == []
    assert rules.handover_refusals(due, today) == ["its final disposition is not permanen"]
    assert rules.can_decide(1, 2) and not rules.can_decide(1, 1) and not rules.can_decide(1, None)
    assert rules.next_seq(["0001/PMS/2026", "0009/PMS/2026", "0010/PMS/2025"], "PMS", 2026) == 10
    assert rules.next_seq(["0004/SRH/2026"], "PMS", 2026) == 1
    assert rules.document_number("PMS", 10, 2026) == "0010/PMS/2026"
    assert rules.reassessment("extend", 3, dt.date(2024, 2, 29)) == (
        {"final_due_on": dt.date(2027, 2, 28)},
        None,
    )
    assert rules.reassessment("extend", 0, today)[1] and rules.reassessment("x", 1, today)[1]
    assert rules.reassessment("permanen", None, today) == ({"final": "permanen"}, None)
    assert (
        rules.inactive_refusals({"status": "aktif", "active_until": dt.date(2026, 1, 1)}, today)
        == []
    )
