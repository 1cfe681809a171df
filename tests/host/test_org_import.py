"""Org import: header first, every row validated, all or nothing, idempotent."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit

UNITS = """kode,nama,kode_induk
SETJEN,Sekretariat Jenderal,
UMUM,Biro Umum,SETJEN
UMUM.TU,Bagian Tata Usaha,UMUM
"""
POSITIONS = """kode,nama,kode_unit,eselon,kode_atasan,jenis,jenjang,kritikal
J1,Sekretaris Jenderal,SETJEN,I.a,,struktural,,ya
J2,Kepala Biro Umum,UMUM,II.a,J1,struktural,,ya
J3,Kepala Bagian Tata Usaha,UMUM.TU,III.a,J2,struktural,,tidak
J4,Arsiparis Ahli Muda,UMUM.TU,,J3,fungsional,ahli muda,tidak
"""


def snapshot(app):
    with app.app_context():
        units = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.parent_id)).all()
        positions = db.session.execute(select(Position.__table__)).all()
        from sikd_host.audit.models import AuditEvent

        audit = db.session.execute(select(AuditEvent.id)).all()
    return sorted(units), sorted(positions), len(audit)


def upload(client, kind, text, filename="file.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/admin/org/import",
        data={"kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def admin_client(client, login_as):
    login_as("admin")
    return client


def test_good_files_import_and_reimport_changes_nothing(app, admin_client):
    assert upload(admin_client, "units", UNITS).status_code == 302
    assert upload(admin_client, "positions", POSITIONS).status_code == 302
    before = snapshot(app)
    assert len(before[0]) == 3 and len(before[1]) == 4
    assert upload(admin_client, "units", UNITS).status_code == 302
    assert upload(admin_client, "positions", POSITIONS).status_code == 302
    assert snapshot(app) == before
    with app.app_context():
        j4 = db.session.scalar(select(Position).where(Position.code == "J4"))
        assert (j4.kind, j4.jenjang, j4.eselon, j4.superior.code) == (
            "fungsional",
            "ahli muda",
            None,
            "J3",
        )
        assert db.session.scalar(select(Position.critical).where(Position.code == "J1"))


def test_changed_row_updates_in_place(app, admin_client):
    upload(admin_client, "units", UNITS)
    upload(admin_client, "units", UNITS.replace("Biro Umum", "Biro Umum dan Protokol"))
    with app.app_context():
        names = db.session.scalars(select(Unit.name)).all()
    assert "Biro Umum dan Protokol" in names and len(names) == 3


BAD_UNIT_FILES = {
    "wrong header": ("kode,name,kode_induk\nX,Y,\n", "header"),
    "cycle": ("kode,nama,kode_induk\nA,Unit A,C\nB,Unit B,A\nC,Unit C,B\n", "cycle"),
    "unknown parent": ("kode,nama,kode_induk\nA,Unit A,\nB,Unit B,NOPE\n", "NOPE"),
    "duplicate code": ("kode,nama,kode_induk\nA,Unit A,\nA,Unit A lagi,\n", "Duplicate"),
    "empty name": ("kode,nama,kode_induk\nA,,\n", "required"),
}


@pytest.mark.parametrize("case", sorted(BAD_UNIT_FILES))
def test_bad_unit_file_is_refused_whole(app, admin_client, case):
    upload(admin_client, "units", UNITS)
    before = snapshot(app)
    text, expected = BAD_UNIT_FILES[case]
    admin_client.post("/language", data={"language": "en"})
    response = upload(
        admin_client,
        "units",
        UNITS.strip() + "\n" + text.split("\n", 1)[1] if case != "wrong header" else text,
    )
    assert response.status_code == 422
    assert expected in response.data.decode()
    assert snapshot(app) == before


def test_cycle_through_existing_units_is_refused(app, admin_client):
    upload(admin_client, "units", UNITS)
    before = snapshot(app)
    response = upload(admin_client, "units", "kode,nama,kode_induk\nSETJEN,Sekjen,UMUM.TU\n")
    assert response.status_code == 422
    assert snapshot(app) == before


def test_problems_name_row_and_column(admin_client):
    admin_client.post("/language", data={"language": "en"})
    response = upload(
        admin_client,
        "positions",
        "kode,nama,kode_unit,eselon,kode_atasan,jenis,jenjang,kritikal\n"
        "J1,Sekjen,NOUNIT,I.a,,struktural,,ya\nJ2,Staf,NOUNIT,II.a,,pelaksana,,mungkin\n",
    )
    body = response.data.decode()
    assert response.status_code == 422
    assert "<td>2</td><td>kode_unit</td>" in body
    assert "<td>3</td><td>eselon</td>" in body
    assert "<td>3</td><td>kritikal</td>" in body


def test_xlsx_import(app, admin_client):
    workbook = Workbook()
    for line in UNITS.strip().splitlines():
        workbook.active.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(admin_client, "units", buffer.getvalue(), "unit.xlsx").status_code == 302
    assert len(snapshot(app)[0]) == 3


def test_templates_download(admin_client):
    assert admin_client.get("/admin/org/template/units.csv").data.startswith(
        b"kode,nama,kode_induk"
    )
    xlsx = admin_client.get("/admin/org/template/positions.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert admin_client.get("/admin/org/template/nope.csv").status_code == 404


def test_cli_import_refuses_bad_file_and_applies_good_one(app, runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("kode,nama,kode_induk\nA,Unit A,B\nB,Unit B,A\n")
    result = runner.invoke(args=["org", "import", "units", str(bad)])
    assert result.exit_code != 0 and "A > B > A" in result.output
    assert snapshot(app)[0] == []
    good = tmp_path / "unit.csv"
    good.write_text(UNITS)
    result = runner.invoke(args=["org", "import", "units", str(good)])
    assert result.exit_code == 0 and "3 created" in result.output
    result = runner.invoke(args=["org", "import", "units", str(good)])
    assert "0 created, 0 updated, 3 unchanged" in result.output
    missing = runner.invoke(args=["org", "import", "units", str(tmp_path / "none.csv")])
    assert missing.exit_code != 0 and "no such file" in missing.output
