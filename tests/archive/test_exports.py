"""The daftar arsip aktif, inaktif and usul musnah as CSV and XLSX: standard columns, only
what the reader may see, and no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sikd_archive.rules.lifecycle import LIST_COLUMNS, csv_safe, list_row
from sqlalchemy import select
from test_lifecycle import (
    actions,
    due_musnah,
    proposal_id_of,
    propose,
    register,
    user_client,
)

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db

EVIL = '=HYPERLINK("http://evil.example","klik")'


def read_csv(response):
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == LIST_COLUMNS
    return rows[1:]


def read_xlsx(response):
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == "No")
    assert tuple(c.value for c in rows[header]) == LIST_COLUMNS
    return rows[0][0].value, rows[header + 1 :]


@pytest.fixture
def listed(app, org, make_user):
    """Active records of the arsiparis (one with a formula in its subject), one moved to
    the inactive records, and a Bagian B record the arsiparis may not see."""
    arsiparis = user_client(app, "arsiparis")
    evil = register(arsiparis, org, "UM.01.01", "2026-02-01", EVIL)
    plain = register(arsiparis, org, "KU.03", "2026-03-01", "Laporan keuangan")
    moving = register(arsiparis, org, "UM.01.01", "2023-01-05", "Pindah ke inaktif")
    assert (
        arsiparis.post("/arsip/penyusutan/inaktif", data={"record_ids": [moving]}).status_code
        == 303
    )
    make_user("admin2", roles=["admin"])  # sees every unit; P-KBB has its holder
    hidden = register(user_client(app, "admin2"), org, "UM.01.01", "2026-01-15", "Rahasia B", "B.B")
    return {"evil": evil, "plain": plain, "moving": moving, "hidden": hidden, "org": org}


def test_active_list_csv_has_standard_columns_and_is_formula_safe(app, listed):
    rows = read_csv(user_client(app, "arsiparis").get("/arsip/penyusutan/daftar/aktif.csv"))
    subjects = [row[4] for row in rows]
    assert [row[0] for row in rows] == ["1", "2"]
    assert "'" + EVIL in subjects and "Laporan keuangan" in subjects
    assert "Rahasia B" not in subjects and "Pindah ke inaktif" not in subjects
    laporan = next(row for row in rows if row[4] == "Laporan keuangan")
    assert laporan[1] == "KU.03" and laporan[5] == "2026-03-01" and laporan[6] == "Asli"
    assert laporan[9] == "Biro Umum" and laporan[12] == "Permanen"
    assert laporan[10] == "2031-03-01" and laporan[11] == "2036-03-01"
    assert "archive.list_exported" in actions(app)


def test_active_list_xlsx_keeps_text_as_text_and_dates_as_dates(app, listed):
    title, rows = read_xlsx(
        user_client(app, "arsiparis").get("/arsip/penyusutan/daftar/aktif.xlsx")
    )
    assert title == "Daftar Arsip Aktif"
    cells = {row[4].value: row for row in rows}
    assert set(cells) == {EVIL, "Laporan keuangan"}
    evil = cells[EVIL][4]
    assert evil.data_type == "s"  # shown as text, never evaluated as a formula
    tanggal = cells["Laporan keuangan"][5].value
    assert isinstance(tanggal, dt.datetime) and tanggal.date() == dt.date(2026, 3, 1)


def test_inactive_list_and_access_filtering(app, listed):
    rows = read_csv(user_client(app, "arsiparis").get("/arsip/penyusutan/daftar/inaktif.csv"))
    assert [row[4] for row in rows] == ["Pindah ke inaktif"]
    everyone = read_csv(user_client(app, "admin2").get("/arsip/penyusutan/daftar/aktif.csv"))
    assert {row[4] for row in everyone} == {"'" + EVIL, "Laporan keuangan", "Rahasia B"}
    staf3 = read_csv(user_client(app, "staf3").get("/arsip/penyusutan/daftar/aktif.csv"))
    assert [row[4] for row in staf3] == ["Rahasia B"]  # their own unit's record only
    staf1 = read_csv(user_client(app, "staf1").get("/arsip/penyusutan/daftar/aktif.csv"))
    assert staf1 == []  # Bagian A: nothing of theirs, named on nothing
    unit = listed["org"].units["B.B"]
    only_b = read_csv(
        user_client(app, "admin2").get(f"/arsip/penyusutan/daftar/aktif.csv?unit={unit}")
    )
    assert [row[4] for row in only_b] == ["Rahasia B"]


def test_unknown_lists_and_formats_are_404(app, listed):
    client = user_client(app, "arsiparis")
    assert client.get("/arsip/penyusutan/daftar/musnah.csv").status_code == 404
    assert client.get("/arsip/penyusutan/daftar/aktif.pdf").status_code == 404
    assert client.get("/arsip/penyusutan/daftar/aktif.csv?unit=99999").status_code == 404


def test_proposal_list_for_destruction(app, org, make_user):
    arsiparis = user_client(app, "arsiparis")
    first = due_musnah(arsiparis, org, "Usul satu")
    second = due_musnah(arsiparis, org, "-Usul dua")
    proposal_id = proposal_id_of(propose(arsiparis, [first, second]))
    kabiro = user_client(app, "kabiro")
    rows = read_csv(kabiro.get(f"/arsip/penyusutan/usulan/{proposal_id}/daftar.csv"))
    assert [row[4] for row in rows] == ["Usul satu", "'-Usul dua"]
    assert rows[0][12] == "Musnah" and rows[0][11] == "2024-01-10"
    title, cells = read_xlsx(kabiro.get(f"/arsip/penyusutan/usulan/{proposal_id}/daftar.xlsx"))
    assert title == "Daftar Arsip Usul Musnah"
    assert [row[4].value for row in cells] == ["Usul satu", "-Usul dua"]
    assert (
        user_client(app, "staf1")
        .get(f"/arsip/penyusutan/usulan/{proposal_id}/daftar.csv")
        .status_code
        == 403
    )
    # a reader who may not see an item gets the list without it
    kabag_b = user_client(app, "kabag_b")
    assert read_csv(kabag_b.get(f"/arsip/penyusutan/usulan/{proposal_id}/daftar.csv")) == []
    assert kabiro.get("/arsip/penyusutan/usulan/999/daftar.csv").status_code == 404
    with app.app_context():
        exported = db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "archive.list_exported")
        ).all()
    assert len(exported) == 3


# --- pure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+62 812", "'+62 812"),
        ("-catatan", "'-catatan"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("biasa = aman", "biasa = aman"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (3, "3"),
        (None, ""),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_list_row_cells():
    row = list_row(
        7,
        {
            "code": "UM.01.01",
            "agenda_number": "00001/B/2019",
            "nomor": "B-1",
            "perihal": "Surat",
            "tanggal": dt.date(2019, 1, 10),
            "tingkat": "asli",
            "media": "kertas",
            "unit": "Biro Umum",
            "active_until": dt.date(2021, 1, 10),
            "final_due_on": dt.date(2024, 1, 10),
            "final": "musnah",
            "legal_hold": True,
            "files": 2,
            "status": "aktif",
        },
    )
    assert len(row) == len(LIST_COLUMNS)
    assert row[0] == 7 and row[5] == dt.date(2019, 1, 10) and row[7] == 1
    assert row[12] == "Musnah" and row[13] == "2 berkas digital; Legal hold"
