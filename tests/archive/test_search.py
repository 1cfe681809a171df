"""Full-text search through the search page and ``sikd archive reindex``, on either engine."""

import datetime as dt
import io
import re
import zipfile

import pytest
from archive_helpers import client_for, make_pdf, pdf_file
from sikd_archive import records, search
from sikd_archive.models import Klasifikasi, Record
from sqlalchemy import select, text, update

from sikd_host.auth.models import Role, RolePermission, User
from sikd_host.extensions import db
from sikd_host.testing import log_in


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
        "sifat": "biasa",
        "keamanan": "B",
        "tingkat": "asli",
        "media": "kertas",
        "berkas_id": "0",
        "unit_id": str(units["B.A"]),
    }
    data.update(values)
    return data


def register(app, client, org, **values):
    """Register a record through the real form; its id."""
    response = client.post(
        "/arsip/naskah/baru", data=form(org.units, **values), content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.data.decode()[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def find(client, **params):
    response = client.get("/arsip/cari", query_string=params)
    assert response.status_code == 200, response.data.decode()[:3000]
    return response.data.decode()


def found_ids(client, **params):
    return {int(i) for i in re.findall(r'href="/arsip/naskah/(\d+)"', find(client, **params))}


def make_docx(paragraphs):
    """A minimal DOCX: content types, the package relation and word/document.xml."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def add_role(app, name, permissions):
    with app.app_context():
        db.session.add(Role(name=name, grants=[RolePermission(permission=p) for p in permissions]))
        db.session.commit()


@pytest.fixture
def arsiparis(app, org):
    return client_for(app, "arsiparis")


@pytest.fixture
def cli(app):
    """A CLI runner of an app created after the plugins were enabled: plugin commands are
    added when the app is created, and the ``app`` fixture enables them only afterwards."""
    from sikd_host import create_app

    keys = ("TESTING", "DATABASE_URL", "INSTANCE_PATH", "STORAGE_DIR", "SECRET_KEY", "REDIS_URL")
    fresh = create_app({key: app.config[key] for key in keys})
    yield fresh.test_cli_runner()
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


def test_text_inside_a_pdf_attachment_is_found(app, org, arsiparis):
    data = {"file": (io.BytesIO(make_pdf("Laporan pengadaan zamrudsari tahap dua")), "lap.pdf")}
    record_id = register(app, arsiparis, org, **data)
    assert found_ids(arsiparis, q="zamrudsari") == {record_id}
    assert found_ids(arsiparis, q="zamrud") == {record_id}  # the last word is a prefix
    page = find(arsiparis, q="zamrudsari")
    assert "<mark>zamrudsari</mark>" in page  # the snippet of the attachment's text


def test_an_attachment_added_later_through_the_upload_route_is_found(app, org, arsiparis):
    record_id = register(app, arsiparis, org)
    assert found_ids(arsiparis, q="kuningan") == set()
    upload = {"file": (io.BytesIO(make_pdf("Nota kuningan")), "nota.pdf")}
    response = arsiparis.post(
        f"/arsip/naskah/{record_id}/lampiran", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert found_ids(arsiparis, q="kuningan") == {record_id}


def test_docx_text_is_extracted_and_found(app, org, arsiparis):
    docx = make_docx(["Berita acara serah terima", "Gudang logistik wijayakusuma"])
    data = {"file": (io.BytesIO(docx), "berita.docx")}
    record_id = register(app, arsiparis, org, **data)
    assert found_ids(arsiparis, q="wijayakusuma") == {record_id}
    with app.app_context():
        from sikd_archive.models import Attachment

        stored = db.session.scalar(select(Attachment.text))
    assert "Berita acara serah terima" in stored and "wijayakusuma" in stored


def test_a_broken_pdf_is_stored_without_text_and_no_error(app, org, arsiparis):
    data = {"file": (io.BytesIO(b"%PDF-1.4\nnot really a pdf \x00\xff"), "rusak.pdf")}
    record_id = register(app, arsiparis, org, perihal="Surat rusak", **data)
    assert found_ids(arsiparis, q="rusak") == {record_id}
    with app.app_context():
        assert search.extract_text("0" * 64, "hilang.pdf") == ""  # missing blob: no text


def test_search_respects_unit_access(app, org, arsiparis):
    in_a = register(app, arsiparis, org, perihal="Pengadaan kalimaya", unit_id=org.units["B.A"])
    in_b = register(app, arsiparis, org, perihal="Pengadaan kalimaya", unit_id=org.units["B.B"])
    assert found_ids(client_for(app, "staf1"), q="kalimaya") == {in_a}
    assert found_ids(client_for(app, "staf3"), q="kalimaya") == {in_b}
    assert found_ids(client_for(app, "kabiro"), q="kalimaya") == {in_a, in_b}
    assert "1 naskah ditemukan." in find(client_for(app, "staf3"), q="kalimaya")  # not counted
    # the same statement for both (same kind of access), each with their own unit bound;
    # filters without words list by the same rule
    listed_a = found_ids(client_for(app, "staf1"), status="aktif")
    listed_b = found_ids(client_for(app, "staf3"), status="aktif")
    assert in_a in listed_a and in_b not in listed_a
    assert in_b in listed_b and in_a not in listed_b


def test_a_rahasia_record_is_found_only_by_named_users_and_view_secret(
    app, org, arsiparis, make_user
):
    secret = register(app, arsiparis, org, perihal="Pemeriksaan intan", keamanan="R")
    plain = register(app, arsiparis, org, perihal="Undangan intan")
    staf1 = client_for(app, "staf1")  # same unit, not named on the secret one
    assert found_ids(staf1, q="intan") == {plain}
    assert found_ids(staf1, q="pemeriksaan") == set()
    assert "1 naskah ditemukan." in find(staf1, q="intan")
    add_role(app, "pengawas", ["archive.use", "archive.view_secret"])
    make_user("inspektur", roles=["pengawas"], position_id=org.positions["P-SA"])
    inspektur = app.test_client()
    assert log_in(inspektur, "inspektur").status_code == 302
    assert found_ids(inspektur, q="intan") == {secret, plain}
    assert found_ids(arsiparis, q="intan") == {secret, plain}  # registered it: named


def test_matching_ignores_diacritics(app, org, arsiparis):
    record_id = register(app, arsiparis, org, perihal="Pengadaan kópi dan téh")
    assert found_ids(arsiparis, q="kopi") == {record_id}
    assert found_ids(arsiparis, q="TEH") == {record_id}
    assert found_ids(arsiparis, q="kópi") == {record_id}


def test_highlight_is_marked_and_record_text_is_escaped(app, org, arsiparis):
    register(app, arsiparis, org, perihal="<script>alert(1)</script> rapat merbabu <b>x</b>")
    page = find(arsiparis, q="merbabu")
    assert "<mark>merbabu</mark>" in page
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with app.app_context():
        marked = str(search.mark("a <i>\x02b\x03</i> \x02c"))
    assert marked == "a &lt;i&gt;<mark>b</mark>&lt;/i&gt; c"


def test_filters_narrow_the_results(app, org, arsiparis):
    with app.app_context():
        codes = dict(db.session.execute(select(Klasifikasi.code, Klasifikasi.id)).all())
    ids = {
        "base": register(app, arsiparis, org, perihal="Rinjani satu"),
        "kind": register(app, arsiparis, org, perihal="Rinjani dua", kind="nota_dinas"),
        "date": register(app, arsiparis, org, perihal="Rinjani tiga", tanggal="2025-06-01"),
        "code": register(
            app, arsiparis, org, perihal="Rinjani empat", klasifikasi_id=codes["UM.01.01"]
        ),
        "unit": register(app, arsiparis, org, perihal="Rinjani lima", unit_id=org.units["B"]),
        "sifat": register(app, arsiparis, org, perihal="Rinjani enam", sifat="segera"),
        "status": register(app, arsiparis, org, perihal="Rinjani tujuh"),
    }
    with app.app_context():
        inactive = update(Record).where(Record.id == ids["status"]).values(status="inaktif")
        db.session.execute(inactive)
        db.session.commit()
    assert found_ids(arsiparis, q="rinjani") == set(ids.values())
    assert found_ids(arsiparis, q="rinjani", kind="nota_dinas") == {ids["kind"]}
    assert found_ids(arsiparis, q="rinjani", to="2025-12-31") == {ids["date"]}
    assert ids["date"] not in found_ids(arsiparis, q="rinjani", **{"from": "2026-01-01"})
    assert found_ids(arsiparis, q="rinjani", code="UM.01") == {ids["code"]}
    assert found_ids(arsiparis, q="rinjani", unit=org.units["B"]) == {ids["unit"]}
    assert found_ids(arsiparis, q="rinjani", sifat="segera") == {ids["sifat"]}
    assert found_ids(arsiparis, q="rinjani", status="inaktif") == {ids["status"]}
    # without words, the filters alone list the records, newest first
    assert found_ids(arsiparis, kind="nota_dinas") == {ids["kind"]}
    listed = find(arsiparis, unit=org.units["B.A"], status="aktif")
    order = [int(i) for i in re.findall(r'href="/arsip/naskah/(\d+)"', listed)]
    assert order[-1] == ids["date"] and ids["unit"] not in order and ids["status"] not in order
    # the form shows the filters as chosen: the unit among every unit, by code
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', listed)
    chosen = [int(value) for value, mark, _label in options if mark]
    assert chosen == [org.units["B.A"]] and len(options) >= len(org.units)


def test_bad_filters_and_pages_give_a_clear_message(app, org, arsiparis):
    register(app, arsiparis, org)
    for params in (
        {"from": "2026-13-40"},
        {"to": "kemarin"},
        {"from": "2026-05-01", "to": "2026-01-01"},
        {"kind": "surat_cinta"},
        {"sifat": "kilat"},
        {"status": "hilang"},
        {"unit": "abc"},
        {"unit": "999999"},
        {"code": "ZZ.99"},
        {"q": "rapat", "page": "abc"},
        {"q": "rapat", "page": "0"},
        {"q": "x" * 500},
    ):
        response = arsiparis.get("/arsip/cari", query_string=params)
        assert response.status_code == 400, params
        assert 'class="alert alert-danger"' in response.data.decode(), params
    assert arsiparis.get("/arsip/cari", query_string={"q": "rapat", "page": 2}).status_code == 404


def test_editing_updates_the_index(app, org, arsiparis):
    record_id = register(app, arsiparis, org, perihal="Rapat tambora")
    response = arsiparis.post(
        f"/arsip/naskah/{record_id}/ubah", data=form(org.units, perihal="Rapat semeru")
    )
    assert response.status_code == 302
    assert found_ids(arsiparis, q="tambora") == set()
    assert found_ids(arsiparis, q="semeru") == {record_id}


def test_a_destroyed_record_leaves_the_index(app, org, arsiparis):
    record_id = register(app, arsiparis, org, perihal="Rapat kerinci")
    with app.app_context():
        record = db.session.get(Record, record_id)
        record.status = "musnah"
        search.index_record(record)
        db.session.commit()
    assert found_ids(arsiparis, q="kerinci") == set()
    with app.app_context():
        other = register_direct(org, "Rapat kerinci lagi")
        search.remove_record(other)
        db.session.commit()
    assert found_ids(arsiparis, q="kerinci") == set()


def register_direct(org, perihal):
    actor = db.session.scalar(select(User).where(User.username == "arsiparis"))
    record = records.register(
        actor,
        org.units["B.A"],
        {"kind": "memo", "nomor": "M-1", "tanggal": dt.date(2026, 1, 5), "perihal": perihal},
    )
    return record.id


def test_results_are_paginated(app, org, arsiparis):
    with app.app_context():
        for number in range(25):
            register_direct(org, f"Laporan lawu nomor {number}")
        db.session.commit()
    first = found_ids(arsiparis, q="lawu")
    second = found_ids(arsiparis, q="lawu", page=2)
    assert len(first) == 20 and len(second) == 5 and not first & second
    assert "25 naskah ditemukan." in find(arsiparis, q="lawu")
    assert 'href="/arsip/cari?q=lawu&amp;page=2"' in find(arsiparis, q="lawu")
    assert arsiparis.get("/arsip/cari", query_string={"q": "lawu", "page": 3}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "AND OR",
        "NOT",
        "*",
        "rapat*",
        "NEAR(",
        "NEAR(rapat undangan, 2)",
        "perihal:rapat",
        "^rapat",
        "rapat -undangan",
        "(rapat OR",
        "'; DROP TABLE archive_record; --",
        "a & b | !c <-> d:*",
        "\\",
        "日本語の検索",
        "😀 rapat",
        "مرحبا",
        "\u0000rapat",
        "ä" * 150,
    ],
)
def test_weird_queries_never_fail(app, org, arsiparis, query):
    register(app, arsiparis, org)
    response = arsiparis.get("/arsip/cari", query_string={"q": query})
    assert response.status_code == (400 if "\x00" in query else 200)  # the host refuses NUL


def test_weird_query_still_finds_its_words(app, org, arsiparis):
    record_id = register(app, arsiparis, org, perihal="Rapat undangan")
    assert found_ids(arsiparis, q='"rapat" (undangan* -') == {record_id}
    assert found_ids(arsiparis, q="B-12/UND/2026") == {record_id}  # the nomor


def test_reindex_rebuilds_the_index(app, org, arsiparis, cli):
    record_id = register(app, arsiparis, org, perihal="Rapat bromo")
    with app.app_context():
        db.session.execute(text(f"DELETE FROM {search.TABLE}"))
        db.session.commit()
    assert found_ids(arsiparis, q="bromo") == set()
    result = cli.invoke(args=["archive", "reindex", "--chunk", "1"])
    assert result.exit_code == 0, result.output
    assert "1 records indexed." in result.output
    assert found_ids(arsiparis, q="bromo") == {record_id}


def test_reindex_reports_failure_with_a_non_zero_exit(app, org, cli, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    with app.app_context():
        register_direct(org, "Rapat")
        db.session.commit()
    monkeypatch.setattr(search, "_documents", broken)
    result = cli.invoke(args=["archive", "reindex"])
    assert result.exit_code == 1
    assert "reindexing failed: disk on fire" in result.output


def test_the_empty_page_shows_only_the_form(app, org, arsiparis):
    register(app, arsiparis, org)
    page = find(arsiparis)
    assert 'name="q"' in page and "/arsip/naskah/" not in page


def test_the_candidate_cap_counts_only_what_the_user_may_see_and_filters(
    app, org, arsiparis, monkeypatch
):
    """The cap takes the newest matches among the records the user may see and that pass
    the page's filters, so newer hidden or filtered-out matches never crowd them out."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    own = [
        register(app, arsiparis, org, perihal=f"Laporan bromo lama {n}", kind="nota_dinas")
        for n in range(2)
    ]  # Bagian A, the oldest matches
    hidden = [
        register(app, arsiparis, org, perihal=f"Laporan bromo baru {n}", unit_id=org.units["B.B"])
        for n in range(5)
    ]  # Bagian B, newer: staf1 may not see them
    staf1 = client_for(app, "staf1")
    assert found_ids(staf1, q="bromo") == set(own)
    page = find(staf1, q="bromo")
    assert "2 naskah ditemukan." in page and "data-capped" not in page
    # filters narrow inside the cap: the nota dinas are older than three surat masuk
    assert found_ids(arsiparis, q="bromo", kind="nota_dinas") == set(own)
    assert found_ids(arsiparis, q="bromo", unit=org.units["B.A"]) == set(own)
    assert found_ids(arsiparis, q="bromo", kind="surat_masuk") == set(hidden[-3:])
    capped = find(arsiparis, q="bromo")  # sees all seven: the cap applies, and says so
    assert "3 naskah ditemukan." in capped and "data-capped" in capped


def test_the_text_of_a_pdf_is_not_found_by_someone_who_may_not_see_the_record(app, org, arsiparis):
    pdf = {"file": (io.BytesIO(make_pdf("Temuan audit safirlaut di gudang")), "temuan.pdf")}
    hidden = register(app, arsiparis, org, perihal="Laporan", unit_id=org.units["B.B"], **pdf)
    secret_pdf = {"file": (io.BytesIO(make_pdf("Catatan rahasia safirlaut")), "rahasia.pdf")}
    secret = register(app, arsiparis, org, perihal="Catatan", keamanan="SR", **secret_pdf)
    assert found_ids(arsiparis, q="safirlaut") == {hidden, secret}  # registered both
    staf1 = client_for(app, "staf1")  # Bagian A: the secret one is theirs but not for them
    page = find(staf1, q="safirlaut")
    assert found_ids(staf1, q="safirlaut") == set() and "0 naskah ditemukan." in page
    assert "<mark>" not in page and "gudang" not in page and "Catatan rahasia" not in page
    assert found_ids(client_for(app, "staf3"), q="safirlaut") == {hidden}  # Bagian B's own


def test_approving_a_destruction_takes_the_record_out_of_the_index(app, org, arsiparis, cli):
    """Through the real procedure: propose, another user approves; neither the record's
    words nor its PDF's text are found afterwards, not even after a reindex."""
    with app.app_context():
        code = db.session.scalar(select(Klasifikasi.id).where(Klasifikasi.code == "UM.01.01"))
    pdf = {"file": (io.BytesIO(make_pdf("Daftar hadir kecubung lama")), "hadir.pdf")}
    record_id = register(
        app,
        arsiparis,
        org,
        perihal="Undangan rapat ametis",
        tanggal="2019-01-10",  # UM.01.01: 2 + 3 years, musnah: due since 2024
        klasifikasi_id=str(code),
        unit_id=org.units["B"],
        **pdf,
    )
    kabiro = client_for(app, "kabiro")
    assert found_ids(kabiro, q="ametis") == {record_id}
    assert found_ids(kabiro, q="kecubung") == {record_id}
    proposed = arsiparis.post("/arsip/penyusutan/usulan", data={"record_ids": [record_id]})
    assert proposed.status_code == 303, proposed.data.decode()[:2000]
    proposal = proposed.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    approved = kabiro.post(f"/arsip/penyusutan/usulan/{proposal}/setujui")
    assert approved.status_code == 303, approved.data.decode()[:2000]
    with app.app_context():
        assert db.session.get(Record, record_id).status == "musnah"
    for client in (kabiro, arsiparis):
        assert found_ids(client, q="ametis") == set()
        assert found_ids(client, q="kecubung") == set()
    assert cli.invoke(args=["archive", "reindex"]).exit_code == 0
    assert found_ids(kabiro, q="ametis") == set() and found_ids(kabiro, q="kecubung") == set()


# --- bounds of the text read from an attachment ------------------------------------------


def make_pages_pdf(pages, padding=0):
    """A valid PDF with one page per text (pypdf reads each page's text), optionally padded
    with a comment to make the file large."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
    ]
    font = 3 + 2 * count
    for number, words in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * number} "
            f"0 R /Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        stream = f"BT /F1 12 Tf 72 720 Td ({words}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_file(objects, padding)


def attachment_texts(app):
    from sikd_archive.models import Attachment

    with app.app_context():
        return db.session.scalars(select(Attachment.text)).all()


def test_pdf_text_past_the_character_cap_is_not_indexed_the_part_before_is(app, org, arsiparis):
    app.config["ARCHIVE_TEXT_MAX_CHARS"] = 2_000
    filler = " ".join(["isian"] * 100)  # 599 characters a page
    pages = ["awal safirbiru " + filler, filler, filler, filler + " akhir zamrudtua"]
    data = {"file": (io.BytesIO(make_pages_pdf(pages)), "panjang.pdf")}
    record_id = register(app, arsiparis, org, perihal="Laporan panjang", **data)
    assert found_ids(arsiparis, q="safirbiru") == {record_id}
    assert found_ids(arsiparis, q="zamrudtua") == set()  # on the fourth page, past the cap
    assert found_ids(arsiparis, q="panjang") == {record_id}
    [stored] = attachment_texts(app)
    assert len(stored) == 2_000 and stored.startswith("awal safirbiru isian")


def test_pdf_pages_past_the_page_cap_are_not_read(app, org, arsiparis):
    app.config["ARCHIVE_TEXT_MAX_PAGES"] = 2
    pages = ["halaman satu kecubung", "halaman dua giokhijau", "halaman tiga mutiaralaut"]
    data = {"file": (io.BytesIO(make_pages_pdf(pages)), "tiga.pdf")}
    record_id = register(app, arsiparis, org, **data)
    assert found_ids(arsiparis, q="kecubung") == {record_id}
    assert found_ids(arsiparis, q="giokhijau") == {record_id}
    assert found_ids(arsiparis, q="mutiaralaut") == set()


def test_docx_text_past_the_character_cap_is_not_indexed(app, org, arsiparis):
    app.config["ARCHIVE_TEXT_MAX_CHARS"] = 500
    paragraphs = ["Pembuka berlianungu"] + ["isian " * 20] * 40 + ["Penutup topazkuning"]
    data = {"file": (io.BytesIO(make_docx(paragraphs)), "panjang.docx")}
    record_id = register(app, arsiparis, org, **data)
    assert found_ids(arsiparis, q="berlianungu") == {record_id}
    assert found_ids(arsiparis, q="topazkuning") == set()
    [stored] = attachment_texts(app)
    assert len(stored) <= 500


def test_a_file_over_the_text_size_cap_is_stored_and_found_by_its_fields(app, org, arsiparis):
    app.config["ARCHIVE_TEXT_MAX_MB"] = 1
    large = make_pages_pdf(["isi rahasia akuamarin"], padding=1024 * 1024 + 10)
    data = {"file": (io.BytesIO(large), "besar.pdf")}
    record_id = register(app, arsiparis, org, perihal="Gambar teknik gedung", **data)
    assert found_ids(arsiparis, q="akuamarin") == set()  # its text was not read
    assert found_ids(arsiparis, q="gambar teknik") == {record_id}
    from sikd_archive.models import Attachment

    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        assert attachment.size == len(large) and attachment.text == ""
        sha256 = attachment.sha256
    page = arsiparis.get(f"/arsip/naskah/{record_id}").data.decode()
    download = re.search(r'href="(/arsip/lampiran/\d+)"', page).group(1)
    assert arsiparis.get(download).data == large  # kept whole
    app.config["ARCHIVE_TEXT_MAX_MB"] = 2  # below the cap the same file is read
    with app.app_context():
        assert "akuamarin" in search.extract_text(sha256, "besar.pdf")


def send_disposition(client, record_id, recipient_id):
    return client.post(
        f"/arsip/naskah/{record_id}/disposisi",
        data={
            "kind": "disposisi",
            "recipients": [str(recipient_id)],
            "instruction": "Tindak lanjuti",
            "note": "Mohon ditindaklanjuti",
            "due_on": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
        },
    )


def test_a_record_routed_to_someone_of_another_unit_is_found_by_them_from_then_on(
    app, org, arsiparis
):
    """The index's scope follows the routings: staf3 (Bagian B) finds a letter of Bagian A
    once the Kepala Biro sends it to them, and no one else of Bagian B does."""
    record_id = register(app, arsiparis, org, perihal="Laporan kawah ijen")
    staf3 = client_for(app, "staf3")
    assert found_ids(staf3, q="kawah") == set()
    sent = send_disposition(client_for(app, "kabiro"), record_id, org.users["staf3"])
    assert sent.status_code == 302, sent.data.decode()[:2000]
    assert found_ids(staf3, q="kawah") == {record_id}
    assert found_ids(staf3, q="kawa") == {record_id}  # the last word as a prefix too
    assert found_ids(client_for(app, "kabag_b"), q="kawah") == set()
    with app.app_context():
        scope = db.session.scalar(
            text(f"SELECT scope FROM {search.TABLE} WHERE {key()} = :id"), {"id": record_id}
        )
    assert f"r{org.users['staf3']}" in str(scope)


def key():
    """The column of the index that holds the record id, on either engine."""
    return "rowid" if db.engine.dialect.name == "sqlite" else "record_id"


def test_words_never_match_the_scope_terms(app, org, arsiparis):
    """A query such as "u3" or "c5" finds the records with that word in their text, not every
    record of unit 3 or by user 5."""
    plain = register(app, arsiparis, org, perihal="Undangan biasa")
    named = register(app, arsiparis, org, perihal=f"Kode u{org.units['B.A']} tercatat")
    kabiro = client_for(app, "kabiro")
    assert found_ids(kabiro, q=f"u{org.units['B.A']}") == {named}
    assert found_ids(kabiro, q=f"c{org.users['arsiparis']}") == set()
    assert plain not in found_ids(kabiro, q=f"r{org.users['arsiparis']}")


def test_scope_terms_of_records_and_of_users():
    assert search.record_scope(7, 2, [5, 3, 5]) == "u7 c2 r3 r5"
    assert search.record_scope(None, None, []) == "u0 c0"
    assert search.scope_terms([4, 2, 4], 9) == ("u2", "u4", "c9", "r9")
    assert search.scope_terms([], 9) == ("c9", "r9")


def test_the_scope_migration_fills_the_scope_of_records_already_indexed(app, org, arsiparis):
    """Down to archive_0003 (the index without a scope) and up again: a record routed before
    the upgrade is found by its recipient of another unit, from the scope the migration
    computed."""
    from sikd_host import migrations
    from sikd_host.pluginmanager import current_host

    record_id = register(app, arsiparis, org, perihal="Surat semeru lama")
    sent = send_disposition(client_for(app, "kabiro"), record_id, org.users["staf3"])
    assert sent.status_code == 302
    with app.app_context():
        track = migrations.plugin_track(current_host(), current_host().records["archive"])
        db.session.remove()
        migrations.downgrade(db.engine, track, "archive_0003")
        with db.engine.connect() as connection:
            columns = connection.execute(text(f"SELECT * FROM {search.TABLE}")).keys()
        assert "scope" not in columns
        migrations.upgrade(db.engine, track)
    assert found_ids(client_for(app, "staf3"), q="semeru") == {record_id}
    assert found_ids(client_for(app, "kabag_b"), q="semeru") == set()
    assert found_ids(client_for(app, "staf1"), q="semeru") == {record_id}


# --- prefixes spelled out as words (PostgreSQL's word list) ----------------------------


def test_the_last_word_finds_every_word_that_starts_so(app, org, arsiparis, monkeypatch):
    """ "rapat" finds rapat, rapatkan and rapatnya, not merapatkan, whether the prefix is
    spelled out as the indexed words (PostgreSQL) or stays a prefix (more completions than
    the cap; SQLite always)."""
    wanted = {
        register(app, arsiparis, org, perihal=perihal, ringkasan="")
        for perihal in ("Rapat kerinci", "Mohon rapatkan kerinci", "Kerinci rapatnya besok")
    }
    register(app, arsiparis, org, perihal="Merapatkan kerinci", ringkasan="")
    assert found_ids(arsiparis, q="kerinci rapat") == wanted
    monkeypatch.setattr(search, "MAX_COMPLETIONS", 2)
    assert found_ids(arsiparis, q="kerinci rapat") == wanted
    assert found_ids(arsiparis, q="kerinci rapatz") == set()


def test_the_matching_query_spells_out_the_prefix():
    engine = search.PostgresEngine
    terms = ("Laporan", "keu")
    assert engine.tsquery(terms) == "'laporan' & 'keu':*"
    assert engine.matching_tsquery(terms, ["keuangan", "keuangannya"]) == (
        "'laporan' & ('keuangan' | 'keuangannya')"
    )
    assert engine.matching_tsquery(terms, None) == "'laporan' & 'keu':*"  # too many
    # none: what PostgreSQL makes of the word decides (a word its parser splits, say)
    assert engine.matching_tsquery(terms, []) == "'laporan' & 'keu':*"
    assert search.fold("ᴬnggaran Kópi") == "anggaran kopi"  # capital again after NFKD
    assert search.quote_lexeme("it's\\") == "'it''s\\\\'"


def postgresql_only(sikd_database):
    if sikd_database["kind"] != "postgresql":
        pytest.skip("PostgreSQL only (its word list and GIN index): set SIKD_TEST_DATABASE_URL")


def words_missing_from_the_list():
    return db.session.scalars(
        text(
            f"SELECT unnest(tsvector_to_array(document)) FROM {search.TABLE} "
            f"EXCEPT SELECT word FROM {search.WORDS}"
        )
    ).all()


def test_the_word_list_holds_every_indexed_word(app, org, arsiparis, cli, sikd_database):
    postgresql_only(sikd_database)
    record_id = register(app, arsiparis, org, perihal="Rapat semeru", asal="Dinas Kópi")
    with app.app_context():
        listed = set(db.session.scalars(text(f"SELECT word FROM {search.WORDS}")))
        assert {"rapat", "semeru", "kopi"} <= listed
        assert words_missing_from_the_list() == []
        db.session.execute(text(f"DELETE FROM {search.WORDS}"))
        db.session.commit()
    # an edit indexes the record again, and its words with it
    edited = arsiparis.post(
        f"/arsip/naskah/{record_id}/ubah",
        data=form(org.units, perihal="Rapat rinjani"),
        content_type="multipart/form-data",
    )
    assert edited.status_code == 302, edited.data.decode()[:2000]
    with app.app_context():
        assert words_missing_from_the_list() == []
        db.session.execute(text(f"DELETE FROM {search.WORDS}"))
        db.session.commit()
    assert cli.invoke(args=["archive", "reindex"]).exit_code == 0
    with app.app_context():
        assert words_missing_from_the_list() == []
    assert found_ids(arsiparis, q="rinj") == {record_id}


def test_words_and_scope_are_matched_by_one_index_scan(app, org, arsiparis, sikd_database):
    """The candidates of someone who sees few records come from ix_archive_fts_terms with
    both conditions, not from a BitmapAnd of every match of the word with the scope's."""
    postgresql_only(sikd_database)
    register(app, arsiparis, org, perihal="Rapat semeru")
    with app.app_context():
        staf1 = db.session.get(User, org.users["staf1"])
        from sikd_archive import access

        statement = search.ranked_ids(("rapat",), [], scope=access.search_scope(staf1))
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
        db.session.rollback()
    assert "ix_archive_fts_terms" in plan and "BitmapAnd" not in plan, plan
    index_condition = plan.split("ix_archive_fts_terms", 1)[1]
    assert "scope @@" in index_condition and "document @@" in index_condition, plan


def test_the_word_list_migration_lists_the_words_already_indexed(
    app, org, arsiparis, sikd_database
):
    """Down to archive_0006 and up again: the word list is filled from the index, and the
    prefix of a record indexed before the upgrade finds it."""
    from sikd_host import migrations
    from sikd_host.pluginmanager import current_host

    record_id = register(app, arsiparis, org, perihal="Surat tambora lama")
    with app.app_context():
        track = migrations.plugin_track(current_host(), current_host().records["archive"])
        db.session.remove()
        migrations.downgrade(db.engine, track, "archive_0006")
        migrations.upgrade(db.engine, track)
        if sikd_database["kind"] == "postgresql":
            assert words_missing_from_the_list() == []
            db.session.rollback()
    assert found_ids(arsiparis, q="tamb") == {record_id}


def test_completions_are_the_listed_words_that_start_so(app, sikd_database, monkeypatch):
    postgresql_only(sikd_database)
    with app.app_context():
        for word in ("rapa", "rapat", "rapatkan", "rapatnya", "rapau", "rapaz", "rap"):
            db.session.execute(text(f"INSERT INTO {search.WORDS} VALUES (:w)"), {"w": word})
        completions = search.PostgresEngine.completions
        assert completions(db.session, ("Rapat",)) == ["rapat", "rapatkan", "rapatnya"]
        assert completions(db.session, ("laporan", "rapa")) == [
            "rapa", "rapat", "rapatkan", "rapatnya", "rapau", "rapaz"
        ]  # fmt: skip
        assert completions(db.session, ("rapb",)) == []
        monkeypatch.setattr(search, "MAX_COMPLETIONS", 2)
        assert completions(db.session, ("rapat",)) is None  # three: the prefix stays one
        db.session.rollback()


def test_words_are_listed_at_once_on_a_connection_of_their_own(app, org, sikd_database):
    """A new word is committed before the entry that holds it (so no transaction holds it
    locked, and none deadlocks on it), and stays listed when the entry is rolled back."""
    postgresql_only(sikd_database)
    listed = f"SELECT count(*) FROM {search.WORDS} WHERE word = 'ciremai'"
    with app.app_context():
        register_direct(org, "Rapat ciremai")  # indexed, not committed
        with db.engine.connect() as other:
            seen_before_the_commit = other.scalar(text(listed))
        db.session.rollback()
        assert seen_before_the_commit == 1
        assert db.session.scalar(text(listed)) == 1
        assert db.session.scalar(select(Record.id).where(Record.perihal == "Rapat ciremai")) is None


def test_a_code_prefix_is_matched_as_written(app, org, arsiparis):
    """The code filter is a prefix, its "_" and "%" characters taken as they are: "X_" finds
    the records coded X_1 and not those coded XA1."""
    with app.app_context():
        for code in ("X_1", "XA1", "X%2"):
            db.session.add(Klasifikasi(code=code, name=f"Uji {code}", active_years=1))
        db.session.commit()
        codes = dict(db.session.execute(select(Klasifikasi.code, Klasifikasi.id)).all())
    ids = {
        code: register(app, arsiparis, org, perihal=f"Tambora {code}", klasifikasi_id=codes[code])
        for code in ("X_1", "XA1", "X%2")
    }
    assert found_ids(arsiparis, q="tambora", code="X_") == {ids["X_1"]}
    assert found_ids(arsiparis, code="X%") == {ids["X%2"]}
    assert found_ids(arsiparis, q="tambora", code="X") == set(ids.values())
