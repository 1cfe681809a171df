"""Registering, editing, attaching and downloading naskah dinas through HTTP."""

import datetime as dt
import io
import re

import pytest
from archive_helpers import client_for, make_pdf
from sikd_archive.models import Attachment, Change, Klasifikasi, Record
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db


def form(units, **values):
    data = {
        "kind": "surat_masuk",
        "nomor": "B-12/UND/2026",
        "tanggal": "2026-03-02",
        "perihal": "Undangan rapat koordinasi",
        "asal": "Kementerian Keuangan",
        "tujuan": "",
        "ringkasan": "Rapat anggaran",
        "klasifikasi_id": "0",
        "sifat": "segera",
        "keamanan": "B",
        "tingkat": "asli",
        "media": "kertas",
        "berkas_id": "0",
        "unit_id": str(units["B"]),
    }
    data.update(values)
    return data


def code_id(app, code):
    with app.app_context():
        return db.session.scalar(select(Klasifikasi.id).where(Klasifikasi.code == code))


def test_register_with_pdf_attachment(app, org):
    client = client_for(app, "arsiparis")
    data = form(org.units, klasifikasi_id=str(code_id(app, "UM.01.01")))
    data["file"] = (io.BytesIO(make_pdf("Undangan rapat anggaran")), "undangan.pdf")
    response = client.post("/arsip/naskah/baru", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.data.decode()[:2000]
    with app.app_context():
        record = db.session.scalar(select(Record))
        assert record.agenda_number == "00001/B/2026"
        # UM.01.01: 2 years active, 3 inactive, musnah; from the record's own date
        assert record.active_until == dt.date(2028, 3, 2)
        assert record.final_due_on == dt.date(2031, 3, 2)
        assert record.final == "musnah"
        attachment = db.session.scalar(select(Attachment))
        assert attachment.version == 1 and len(attachment.sha256) == 64
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"archive.record_registered", "archive.attachment_added"} <= actions
    page = client.get(f"/arsip/naskah/{record.id}").data.decode()
    assert "Undangan rapat koordinasi" in page and "undangan.pdf" in page


def test_agenda_numbers_run_per_unit_and_year(app, org):
    client = client_for(app, "arsiparis")
    for tanggal, unit in [
        ("2026-01-05", "B"),
        ("2026-02-05", "B"),
        ("2025-12-31", "B"),
        ("2026-01-06", "B.A"),
    ]:
        response = client.post(
            "/arsip/naskah/baru",
            data=form(org.units, tanggal=tanggal, unit_id=str(org.units[unit])),
        )
        assert response.status_code == 302
    with app.app_context():
        numbers = db.session.scalars(select(Record.agenda_number).order_by(Record.id)).all()
    assert numbers == ["00001/B/2026", "00002/B/2026", "00001/B/2025", "00001/B.A/2026"]


def test_bad_input_is_refused_with_field_messages_and_nothing_saved(app, org):
    client = client_for(app, "arsiparis")
    response = client.post(
        "/arsip/naskah/baru", data=form(org.units, nomor="", asal="", tanggal="2026-13-40")
    )
    assert response.status_code == 422
    body = response.data.decode()
    assert "Kolom ini wajib diisi." in body
    with app.app_context():
        assert db.session.scalar(select(Record)) is None


def test_edit_keeps_history_and_a_closed_berkas_locks(app, org):
    client = client_for(app, "arsiparis")
    client.post(
        "/arsip/berkas",
        data={
            "number": "BK-1",
            "title": "Rapat",
            "klasifikasi_id": "0",
            "unit_id": str(org.units["B"]),
            "opened_on": "2026-01-01",
        },
    )
    with app.app_context():
        from sikd_archive.models import Berkas

        berkas_id = db.session.scalar(select(Berkas.id))
    client.post(
        "/arsip/naskah/baru",
        data=form(
            org.units, berkas_id=str(berkas_id), klasifikasi_id=str(code_id(app, "UM.01.01"))
        ),
    )
    with app.app_context():
        record = db.session.scalar(select(Record))
        assert record.active_until is None and record.final == "musnah"  # clock not started
    response = client.post(
        f"/arsip/naskah/{record.id}/ubah",
        data=form(
            org.units,
            perihal="Undangan rapat (revisi)",
            berkas_id=str(berkas_id),
            klasifikasi_id=str(code_id(app, "UM.01.01")),
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        change = db.session.scalar(select(Change))
        assert (change.field, change.old, change.new) == (
            "perihal",
            "Undangan rapat koordinasi",
            "Undangan rapat (revisi)",
        )
    assert (
        client.post(
            f"/arsip/berkas/{berkas_id}/tutup", data={"closed_on": "2026-06-30"}
        ).status_code
        == 302
    )
    with app.app_context():
        record = db.session.get(Record, record.id)
        assert record.active_until == dt.date(2028, 6, 30)  # from the closing date
    locked = client.post(
        f"/arsip/naskah/{record.id}/ubah",
        data=form(org.units, perihal="Lagi", berkas_id=str(berkas_id)),
    )
    assert locked.status_code == 422


def test_attachment_versions_and_download(app, org):
    client = client_for(app, "arsiparis")
    client.post("/arsip/naskah/baru", data=form(org.units))
    with app.app_context():
        record_id = db.session.scalar(select(Record.id))
    for text in ("versi satu", "versi dua"):
        response = client.post(
            f"/arsip/naskah/{record_id}/lampiran",
            data={"file": (io.BytesIO(make_pdf(text)), "nota.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    with app.app_context():
        rows = db.session.execute(
            select(Attachment.id, Attachment.version, Attachment.sha256).order_by(
                Attachment.version
            )
        ).all()
    assert [r.version for r in rows] == [1, 2] and rows[0].sha256 != rows[1].sha256
    old = client.get(f"/arsip/lampiran/{rows[0].id}")
    assert old.status_code == 200 and old.data == make_pdf("versi satu")
    assert old.headers["X-Content-Type-Options"] == "nosniff"
    assert old.headers["Content-Disposition"].startswith("attachment")
    with app.app_context():
        downloads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "archive.attachment_downloaded")
        ).all()
    assert len(downloads) == 1


def test_refused_file_type_saves_nothing(app, org):
    client = client_for(app, "arsiparis")
    data = form(org.units)
    data["file"] = (io.BytesIO(b"MZ\x90\x00 not a pdf"), "surat.pdf")
    response = client.post("/arsip/naskah/baru", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Record)) is None


def test_klasifikasi_page_lists_the_scheme_and_imports(app, org):
    client = client_for(app, "arsiparis")
    page = client.get("/arsip/klasifikasi").data.decode()
    assert "KP.02.01" in page and "Setelah pegawai pensiun" in page
    bad = client.post(
        "/arsip/klasifikasi",
        data={
            "file": (
                io.BytesIO(
                    b"kode,nama,retensi_aktif,retensi_inaktif,nasib_akhir\nZZ.01,Anak,1,1,musnah\n"
                ),
                "k.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "ZZ" in bad.data.decode()
    good = client.post(
        "/arsip/klasifikasi",
        data={
            "file": (
                io.BytesIO(
                    b"kode,nama,retensi_aktif,retensi_inaktif,nasib_akhir\nZZ,Induk,,,\n"
                    b"ZZ.01,Anak,1,1,dinilai kembali\n"
                ),
                "k.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    with app.app_context():
        child = db.session.scalar(select(Klasifikasi).where(Klasifikasi.code == "ZZ.01"))
        assert child.parent.code == "ZZ" and child.final == "dinilai_kembali"


def xlsx(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


KLASIFIKASI_ROWS = [
    ["kode", "nama", "retensi_aktif", "retensi_inaktif", "nasib_akhir", "keterangan", "keamanan"],
    ["XP", "Pengawasan", None, None, None, None, None],
    ["XP.01", "Pemeriksaan", None, None, None, None, None],
    ["XP.01.01", "Laporan hasil pemeriksaan", 5, 10, "Permanen", "Setelah tindak lanjut", "R"],
    ["XP.01.02", "Tindak lanjut temuan", "2", "3", "dinilai kembali", None, "t"],
]


def upload_scheme(client, content, name="klasifikasi.xlsx"):
    return client.post(
        "/arsip/klasifikasi",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def scheme_state(app):
    with app.app_context():
        rows = db.session.execute(
            select(
                Klasifikasi.code,
                Klasifikasi.name,
                Klasifikasi.active_years,
                Klasifikasi.inactive_years,
                Klasifikasi.final,
                Klasifikasi.condition,
                Klasifikasi.security,
                Klasifikasi.parent_id,
            ).order_by(Klasifikasi.code)
        ).all()
        imports = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "archive.klasifikasi_imported")
        )
    return [tuple(row) for row in rows], imports


def test_klasifikasi_xlsx_import_reimport_and_wrong_header(app, org):
    client = client_for(app, "arsiparis")
    english = client.post("/language", data={"language": "en", "next": "/"})
    assert english.status_code == 302
    before, _ = scheme_state(app)
    good = upload_scheme(client, xlsx(KLASIFIKASI_ROWS))
    assert good.status_code == 302, good.data.decode()[:2000]
    assert "Import finished: 4 created, 0 updated." in client.get("/arsip/klasifikasi").text
    with app.app_context():
        leaf = db.session.scalar(select(Klasifikasi).where(Klasifikasi.code == "XP.01.01"))
        assert (leaf.active_years, leaf.inactive_years, leaf.final) == (5, 10, "permanen")
        assert leaf.condition == "Setelah tindak lanjut" and leaf.security == "R"
        assert leaf.parent.code == "XP.01" and leaf.parent.parent.code == "XP"
        other = db.session.scalar(select(Klasifikasi).where(Klasifikasi.code == "XP.01.02"))
        assert (other.active_years, other.final, other.security) == (2, "dinilai_kembali", "T")
    imported, events = scheme_state(app)
    assert len(imported) == len(before) + 4 and events == 1

    again = upload_scheme(client, xlsx(KLASIFIKASI_ROWS))  # the same file: nothing changes
    assert again.status_code == 302
    assert "Import finished: 0 created, 0 updated." in client.get("/arsip/klasifikasi").text
    assert scheme_state(app) == (imported, 1)  # no row changed, no import audited

    wrong = [["code", "name", "active", "inactive", "final"], ["XQ", "Lain", 1, 1, "musnah"]]
    refused = upload_scheme(client, xlsx(wrong))
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "Wrong header" in page and "nothing was changed" in page
    assert scheme_state(app) == (imported, 1)


@pytest.mark.parametrize("app_config", [{"MAX_UPLOAD_MB": 1}])
def test_the_413_page_through_an_archive_upload(app, org):
    """An upload over the limit gets the host's friendly 413 page, and nothing is saved."""
    client = client_for(app, "arsiparis")
    client.post("/language", data={"language": "en", "next": "/"})
    record_id = client.post("/arsip/naskah/baru", data=form(org.units)).headers["Location"]
    record_id = int(record_id.rsplit("/", 1)[1])
    big = make_pdf("besar") + b" " * (3 * 1024 * 1024 // 2)
    for url, data in (
        (f"/arsip/naskah/{record_id}/lampiran", {"file": (io.BytesIO(big), "besar.pdf")}),
        ("/arsip/naskah/baru", {**form(org.units), "file": (io.BytesIO(big), "besar.pdf")}),
    ):
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 413, url
        page = response.data.decode()
        assert "File too large" in page and "The largest upload allowed is 1 MiB." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert db.session.scalar(select(func.count()).select_from(Record)) == 1


def test_a_new_record_takes_its_codes_default_security_class(app, org):
    client = client_for(app, "arsiparis")
    page = client.get("/arsip/naskah/baru").data.decode()
    assert '<option selected value="">' in page or '<option value="" selected>' in page

    def registered(**values):
        response = client.post("/arsip/naskah/baru", data=form(org.units, **values))
        assert response.status_code == 302, response.data.decode()[:2000]
        with app.app_context():
            record_id = int(response.headers["Location"].rsplit("/", 1)[1])
            return db.session.get(Record, record_id).keamanan

    kp04 = str(code_id(app, "KP.04"))  # Penilaian kinerja pegawai: R
    assert registered(keamanan="", klasifikasi_id=kp04) == "R"
    assert registered(keamanan="T", klasifikasi_id=kp04) == "T"  # the clerk's choice wins
    assert registered(keamanan="", klasifikasi_id="0") == "B"  # no code: B
    assert registered(keamanan="", klasifikasi_id=str(code_id(app, "UM.02.01"))) == "B"
    imported = client.post(
        "/arsip/klasifikasi",
        data={
            "file": (
                io.BytesIO(
                    b"kode,nama,retensi_aktif,retensi_inaktif,nasib_akhir,keamanan\n"
                    b"XS,Pengamanan,,,,SR\nXS.01,Sandi,1,1,musnah,\n"
                ),
                "k.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert registered(keamanan="", klasifikasi_id=str(code_id(app, "XS.01"))) == "SR"  # inherited
    edit = client.get(f"/arsip/naskah/{1}/ubah").data.decode()
    assert "As the classification code says" not in edit  # an edit keeps an explicit class


def test_the_list_and_search_name_each_kind_in_the_readers_language(app, org):
    client = client_for(app, "arsiparis")
    for kind, perihal in (("surat_masuk", "Undangan rapat"), ("memo", "Memo rapat")):
        data = form(org.units, kind=kind, perihal=perihal, nomor=f"B-{kind}")
        assert client.post("/arsip/naskah/baru", data=data).status_code == 302
    for path in ("/arsip/naskah", "/arsip/cari?q=rapat"):
        page = client.get(path).text
        assert '<small class="text-secondary">Surat masuk</small>' in page, path
        assert '<small class="text-secondary">Memo</small>' in page, path
    client.post("/language", data={"language": "en", "next": "/"})
    for path in ("/arsip/naskah", "/arsip/cari?q=rapat"):
        page = client.get(path).text
        assert '<small class="text-secondary">Incoming letter (surat masuk)</small>' in page, path


def test_each_record_shows_its_status_hold_and_secrecy_as_badges(app, org, make_user):
    client = client_for(app, "arsiparis")
    for number in range(5):
        data = form(org.units, nomor=f"B-{number}", perihal=f"Perihal lencana {number}")
        assert client.post("/arsip/naskah/baru", data=data).status_code == 302
    with app.app_context():
        rows = {r.nomor: r for r in db.session.scalars(select(Record))}
        rows["B-0"].legal_hold = True
        rows["B-1"].status = "inaktif"
        rows["B-2"].status = "musnah"
        rows["B-3"].status = "serah"
        rows["B-4"].keamanan = "R"
        db.session.commit()
    make_user("direktur", roles=["admin"])  # sees secret records too
    page = client_for(app, "direktur").get("/arsip/naskah").text

    def badges(nomor):
        row = page[page.index(f"<td>{nomor}</td>") :].split("</tr>")[0]
        return re.findall(r'<span class="badge (text-bg-[a-z]+)">([^<]+)</span>', row)

    assert badges("B-0") == [("text-bg-success", "aktif"), ("text-bg-warning", "penahanan hukum")]
    assert badges("B-1") == [("text-bg-secondary", "inaktif")]
    assert badges("B-2") == [("text-bg-dark", "musnah")]
    assert badges("B-3") == [("text-bg-info", "diserahkan")]
    assert badges("B-4") == [("text-bg-success", "aktif"), ("text-bg-danger", "R")]


def test_the_list_shows_each_records_code_and_filters_by_its_prefix(app, org):
    """The list reads plain rows with the classification code joined in: each row shows its
    code (or "-"), and the code filter keeps the records under that prefix."""
    client = client_for(app, "arsiparis")
    coded = form(org.units, nomor="B-coded", klasifikasi_id=str(code_id(app, "KP.01.02")))
    assert client.post("/arsip/naskah/baru", data=coded).status_code == 302
    bare = form(org.units, nomor="B-bare")
    assert client.post("/arsip/naskah/baru", data=bare).status_code == 302

    def code_cell(page, nomor):
        row = page[page.index(f"<td>{nomor}</td>") :].split("</tr>")[0]
        return re.findall(r'<td class="sikd-mono">([^<]*)</td>', row)[-1]

    page = client.get("/arsip/naskah").text
    assert code_cell(page, "B-coded") == "KP.01.02" and code_cell(page, "B-bare") == "-"
    filtered = client.get("/arsip/naskah", query_string={"code": "KP.01"}).text
    assert "<td>B-coded</td>" in filtered and "<td>B-bare</td>" not in filtered
