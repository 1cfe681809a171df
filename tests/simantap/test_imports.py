"""The talent data imports (DOMAIN.md section 9) through their real entry points: the
``sikd simantap import`` command and the upload page (preview, then apply)."""

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sikd_simantap.models import (
    Assignment,
    Attendance,
    Competency,
    CompetencyLevel,
    Discipline,
    EKinerja,
    Employee,
    Period,
    Rating,
    Skp,
    Training,
)
from sikd_simantap.rules_import import COLUMNS, UsernameMaker
from simantap_helpers import client_for
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.testing import log_in

NIP = {
    "tu1": "198501012010011001",
    "tu2": "198602022010012002",
    "kp1": "199001012015011006",
    "kabiro": "197001152000031002",
    "kabag_tu": "197505102002122001",
}
NEW_NIP = "199505052020121004"  # born 1995-05-05, CPNS 2020-12, pria, serial 004


def csv_bytes(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(header, rows):
    workbook = Workbook()
    workbook.active.append(list(header))
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def app_config():
    """English messages, so the assertions below do not depend on the translations."""
    return {"DEFAULT_LOCALE": "en"}


@pytest.fixture
def cli(app):
    """A CLI runner of an app created after the plugins were enabled: plugin commands are
    added when the app is created, and the ``app`` fixture enables them only afterwards."""
    from sikd_host import create_app

    keys = ("TESTING", "DATABASE_URL", "INSTANCE_PATH", "STORAGE_DIR", "SECRET_KEY", "REDIS_URL")
    keys += ("DEFAULT_LOCALE",)
    fresh = create_app({key: app.config[key] for key in keys})
    yield fresh.test_cli_runner()
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


def cli_import(cli, tmp_path, kind, data, name=None, period=None):
    path = tmp_path / (name or f"{kind}.csv")
    path.write_bytes(data)
    args = ["simantap", "import", kind, str(path)]
    if period:
        args += ["--period", period]
    return cli.invoke(args=args)


def rows_of(app, *columns):
    with app.app_context():
        return sorted(tuple(r) for r in db.session.execute(select(*columns)).all())


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def audit_count(app, action=None):
    with app.app_context():
        query = select(func.count()).select_from(AuditEvent)
        if action:
            query = query.where(AuditEvent.action == action)
        return db.session.scalar(query)


def add_period(app, code="2026", status="open"):
    with app.app_context():
        period = Period(
            code=code,
            starts_on=dt.date(int(code), 1, 1),
            ends_on=dt.date(int(code), 12, 31),
            status=status,
            profile_name="Permenpan 3/2020",
            profile={},
        )
        db.session.add(period)
        db.session.commit()
        return period.id


GOOD = {
    "skp": [(NIP["tu1"], "2025", "Sangat Baik"), (NIP["tu2"], "2025", "baik")],
    "kompetensi": [(NIP["tu1"], "2025-06-01", "85.5", "70"), (NIP["tu2"], "2025-06-01", "", "90")],
    "kompetensi_rinci": [
        (NIP["tu1"], "2025-06-01", "Orientasi pada Hasil", "4"),
        (NIP["tu1"], "2025-06-01", "Manajemen Kearsipan", "3"),
    ],
    "pelatihan": [
        (NIP["tu1"], "2025-03-01", "Diklat PIM IV", "40"),
        (NIP["tu1"], "2025-04-01", "Diklat PIM IV", "12"),
    ],
    "disiplin": [
        (NIP["tu2"], "2024-05-01", "ringan", "Terlambat"),
        (NIP["kp1"], "2025-01-02", "sedang", ""),
    ],
    "kehadiran": [
        (NIP["tu1"], "2025", "98", "12", "80", "30"),
        (NIP["tu2"], "2025", "90", "", "", ""),
    ],
    "ekinerja": [(NIP["tu1"], "2025", "88"), (NIP["tu2"], "2025", "91,5")],
}
MODELS = {
    "skp": (Skp, Skp.user_id, Skp.tahun, Skp.predikat),
    "kompetensi": (
        Competency, Competency.user_id, Competency.tanggal, Competency.jpm, Competency.skor_potensi
    ),
    "kompetensi_rinci": (
        CompetencyLevel, CompetencyLevel.user_id, CompetencyLevel.tanggal,
        CompetencyLevel.kompetensi, CompetencyLevel.level,
    ),
    "pelatihan": (Training, Training.user_id, Training.tanggal, Training.nama, Training.jp),
    "disiplin": (
        Discipline,
        Discipline.user_id,
        Discipline.tanggal,
        Discipline.tingkat,
        Discipline.keterangan,
    ),
    "kehadiran": (
        Attendance,
        Attendance.user_id,
        Attendance.periode,
        Attendance.persen_hadir,
        Attendance.jam_lembur,
        Attendance.persen_rapat,
        Attendance.menit_terlambat,
    ),
    "ekinerja": (EKinerja, EKinerja.user_id, EKinerja.periode, EKinerja.nilai),
}  # fmt: skip


def stored(app, kind):
    return rows_of(app, *MODELS[kind][1:])


# --- the command line ------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(GOOD))
def test_a_good_file_is_applied_and_importing_it_again_changes_nothing(
    app, cli, institution, tmp_path, kind
):
    result = cli_import(cli, tmp_path, kind, csv_bytes(COLUMNS[kind], GOOD[kind]))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged" in result.output
    first = stored(app, kind)
    assert len(first) == 2
    events = audit_count(app)
    assert audit_count(app, f"simantap.import_{kind}") == 1

    again = cli_import(cli, tmp_path, kind, csv_bytes(COLUMNS[kind], GOOD[kind]))
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 2 unchanged" in again.output
    assert stored(app, kind) == first
    assert audit_count(app) == events  # nothing changed, nothing to audit


def test_values_are_stored_as_given(app, cli, institution, tmp_path):
    cli_import(cli, tmp_path, "skp", csv_bytes(COLUMNS["skp"], GOOD["skp"]))
    cli_import(cli, tmp_path, "ekinerja", csv_bytes(COLUMNS["ekinerja"], GOOD["ekinerja"]))
    cli_import(cli, tmp_path, "kompetensi", csv_bytes(COLUMNS["kompetensi"], GOOD["kompetensi"]))
    tu1, tu2 = institution.users["tu1"], institution.users["tu2"]
    assert stored(app, "skp") == sorted([(tu1, 2025, "Sangat Baik"), (tu2, 2025, "Baik")])
    assert stored(app, "ekinerja") == sorted([(tu1, "2025", 88.0), (tu2, "2025", 91.5)])
    assert (tu2, dt.date(2025, 6, 1), None, 90.0) in stored(app, "kompetensi")


def test_a_changed_row_is_updated_not_duplicated(app, cli, institution, tmp_path):
    cli_import(cli, tmp_path, "skp", csv_bytes(COLUMNS["skp"], GOOD["skp"]))
    changed = [(NIP["tu1"], "2025", "Kurang"), (NIP["tu2"], "2025", "Baik")]
    result = cli_import(cli, tmp_path, "skp", csv_bytes(COLUMNS["skp"], changed))
    assert "0 created, 1 updated, 1 unchanged" in result.output
    assert (institution.users["tu1"], 2025, "Kurang") in stored(app, "skp")
    assert count(app, Skp) == 2


def test_a_wrong_header_is_refused_before_any_row_is_read(app, cli, institution, tmp_path):
    # The rows are bad too, but only the header is reported: no row was read.
    data = csv_bytes(("nip", "tahun", "nilai"), [("123", "abc", "x"), ("", "", "")])
    result = cli_import(cli, tmp_path, "skp", data)
    assert result.exit_code != 0
    assert "row 1, -: Wrong header: expected nip, tahun, predikat; found nip, tahun, nilai" in (
        result.output
    )
    assert "row 2" not in result.output
    assert count(app, Skp) == 0


def test_bad_rows_refuse_the_whole_file_with_every_problem(app, cli, institution, tmp_path):
    rows = [
        (NIP["tu1"], "2025", "Sangat Baik"),  # good, but not saved
        ("198501012010011999", "2025", "Baik"),  # unknown NIP
        (NIP["tu2"], "20x5", "Baik"),  # bad year
        (NIP["kp1"], "2025", "Luar Biasa"),  # not a predikat
        (NIP["tu1"], "2025", "Baik"),  # the same key as row 2
    ]
    result = cli_import(cli, tmp_path, "skp", csv_bytes(COLUMNS["skp"], rows))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("row ")]
    assert [line.split(":")[0] for line in lines] == [
        "row 3, nip",
        "row 4, tahun",
        "row 5, predikat",
        "row 6, nip",
    ]
    assert "Unknown NIP 198501012010011999" in result.output
    assert "already on row 2" in result.output
    assert "nothing was changed" in result.output
    assert count(app, Skp) == 0


@pytest.mark.parametrize(
    "kind, row, column",
    [
        ("kompetensi", (NIP["tu1"], "2025-06-01", "100.5", "70"), "jpm"),
        ("kompetensi", (NIP["tu1"], "2025-06-01", "80", "-1"), "skor_potensi"),
        ("kompetensi", (NIP["tu1"], "2025-02-30", "80", "70"), "tanggal"),
        ("kompetensi_rinci", (NIP["tu1"], "2025-06-01", "Integritas", "6"), "level"),
        ("kompetensi_rinci", (NIP["tu1"], "2025-06-01", "", "3"), "kompetensi"),
        ("kompetensi", (NIP["tu1"], "01/06/2025", "80", "70"), "tanggal"),
        ("pelatihan", (NIP["tu1"], "2025-03-01", "Diklat", "-2"), "jp"),
        ("pelatihan", (NIP["tu1"], "2025-03-01", "", "2"), "nama"),
        ("disiplin", (NIP["tu1"], "2025-03-01", "berat sekali", ""), "tingkat"),
        ("kehadiran", (NIP["tu1"], "2025", "101", "0", "0", "0"), "persen_hadir"),
        ("kehadiran", (NIP["tu1"], "2025", "90", "-1", "0", "0"), "jam_lembur"),
        ("kehadiran", (NIP["tu1"], "2025", "90", "0", "0", "-5"), "menit_terlambat"),
        ("kehadiran", (NIP["tu1"], "tahun lalu", "90", "0", "0", "0"), "periode"),
        ("ekinerja", (NIP["tu1"], "2025", "nan"), "nilai"),
        ("ekinerja", (NIP["tu1"], "2025", "120"), "nilai"),
        ("skp", (NIP["tu1"], "2025", ""), "predikat"),
    ],
)
def test_values_out_of_range_are_refused(app, cli, institution, tmp_path, kind, row, column):
    result = cli_import(cli, tmp_path, kind, csv_bytes(COLUMNS[kind], [row]))
    assert result.exit_code == 1
    assert f"row 2, {column}:" in result.output
    assert stored(app, kind) == []


def test_xlsx_works_like_csv(app, cli, institution, tmp_path):
    for kind in ("skp", "kompetensi", "kehadiran"):
        data = xlsx_bytes(COLUMNS[kind], GOOD[kind])
        result = cli_import(cli, tmp_path, kind, data, name=f"{kind}.xlsx")
        assert result.exit_code == 0, result.output
        assert "2 created" in result.output
    assert len(stored(app, "kompetensi")) == 2
    # Spreadsheet cells keep their types: a real date and numbers are read like text.
    workbook = Workbook()
    workbook.active.append(list(COLUMNS["pelatihan"]))
    workbook.active.append([NIP["tu1"], dt.date(2025, 3, 1), "Diklat PIM IV", 40])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = cli_import(cli, tmp_path, "pelatihan", buffer.getvalue(), name="p.xlsx")
    assert result.exit_code == 0, result.output
    assert stored(app, "pelatihan") == [
        (institution.users["tu1"], dt.date(2025, 3, 1), "Diklat PIM IV", 40.0)
    ]
    bad = xlsx_bytes(COLUMNS["skp"], [(NIP["tu1"], "2025", "Hebat")])
    result = cli_import(cli, tmp_path, "skp", bad, name="bad.xlsx")
    assert result.exit_code == 1 and "row 2, predikat" in result.output


def test_a_period_given_fills_empty_periode_cells_and_must_agree(app, cli, institution, tmp_path):
    header = COLUMNS["ekinerja"]
    result = cli_import(cli, tmp_path, "ekinerja", csv_bytes(header, [(NIP["tu1"], "", "80")]))
    assert result.exit_code == 1 and "row 2, periode" in result.output
    result = cli_import(
        cli, tmp_path, "ekinerja", csv_bytes(header, [(NIP["tu1"], "", "80")]), period="2026"
    )
    assert result.exit_code == 0, result.output
    assert stored(app, "ekinerja") == [(institution.users["tu1"], "2026", 80.0)]
    clash = csv_bytes(header, [(NIP["tu2"], "2025", "80")])
    result = cli_import(cli, tmp_path, "ekinerja", clash, period="2026")
    assert result.exit_code == 1 and "row 2, periode" in result.output


def test_dry_run_saves_nothing(app, cli, institution, tmp_path):
    path = tmp_path / "skp.csv"
    path.write_bytes(csv_bytes(COLUMNS["skp"], GOOD["skp"]))
    result = cli.invoke(args=["simantap", "import", "skp", str(path), "--dry-run"])
    assert result.exit_code == 0 and "2 created" in result.output
    assert count(app, Skp) == 0


# --- pegawai ---------------------------------------------------------------------------


PEGAWAI = COLUMNS["pegawai"]


def test_pegawai_creates_accounts_from_the_nip(app, cli, institution, tmp_path):
    rows = [
        (NEW_NIP, "Siti Ãminah", "iii/A", "P-TU", "s1", "2021-01-01", "siti@example.go.id"),
        ("19960606 202101 2 005", "Tu One", "II/b", "", "", "", ""),  # grouped NIP is fine
    ]
    result = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, rows))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 2 accounts created" in result.output
    with app.app_context():
        siti = db.session.scalar(select(User).where(User.nip == NEW_NIP))
        assert siti.username == "siti.aminah" and siti.full_name == "Siti Ãminah"
        assert siti.email == "siti@example.go.id"
        assert siti.position.code == "P-TU" and siti.role_names == {"pegawai"}
        assert siti.password_hash == ""
        talent = db.session.get(Employee, siti.id)
        assert (talent.golongan, talent.pendidikan, talent.tmt_jabatan) == (
            "III/a",
            "S1",
            dt.date(2021, 1, 1),
        )
        other = db.session.scalar(select(User).where(User.nip == "199606062021012005"))
        assert other.username == "tu.one"  # "tu1" exists; the name gives "tu.one"
        assert other.position_id is None
    assert audit_count(app, "simantap.import_pegawai") == 1
    # No password: the account cannot log in until an administrator sets one.
    response = log_in(app.test_client(), "siti.aminah", "")
    assert response.status_code != 302


def test_pegawai_updates_existing_accounts_and_twice_changes_nothing(
    app, cli, institution, tmp_path
):
    rows = [
        (NIP["kabiro"], "Kepala Biro Baru", "IV/c", "J-BU", "S2", "2020-01-01", ""),
        (NIP["tu1"], "Tu1", "III/b", "", "SMA", "", "tu1@example.go.id"),
    ]
    result = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, rows))
    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated, 0 unchanged" in result.output
    with app.app_context():
        kabiro = db.session.get(User, institution.users["kabiro"])
        assert kabiro.full_name == "Kepala Biro Baru" and kabiro.username == "kabiro"
        assert kabiro.position.code == "J-BU"
        tu1 = db.session.get(User, institution.users["tu1"])
        assert tu1.email == "tu1@example.go.id"
        assert tu1.position.code == "P-TU"  # an empty kode_jabatan keeps the position
        assert db.session.get(Employee, tu1.id).golongan == "III/b"
        users = db.session.scalar(select(func.count()).select_from(User))
    again = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, rows))
    assert "0 created, 0 updated, 2 unchanged, 0 accounts created, 0 accounts updated" in (
        again.output
    )
    assert count(app, User) == users


@pytest.mark.parametrize(
    "row, column",
    [
        (("19950505202012100", "X", "", "", "", "", ""), "nip"),  # 17 digits
        (("199502302020121004", "X", "", "", "", "", ""), "nip"),  # 30 February
        (("199505052010121004", "X", "", "", "", "", ""), "nip"),  # CPNS at 15
        (("199505059990121004", "X", "", "", "", "", ""), "nip"),  # CPNS in the future
        (("199505052020123004", "X", "", "", "", "", ""), "nip"),  # gender 3
        (("199505052020121000", "X", "", "", "", "", ""), "nip"),  # serial 000
        ((NEW_NIP, "", "", "", "", "", ""), "nama"),
        ((NEW_NIP, "X", "V/a", "", "", "", ""), "golongan"),
        ((NEW_NIP, "X", "", "J-NONE", "", "", ""), "kode_jabatan"),
        ((NEW_NIP, "X", "", "", "S4", "", ""), "pendidikan"),
        ((NEW_NIP, "X", "", "", "", "2021-13-01", ""), "tmt_jabatan"),
        ((NEW_NIP, "X", "", "", "", "", "not-an-address"), "email"),
    ],
)
def test_pegawai_rows_are_validated(app, cli, institution, tmp_path, row, column):
    users = count(app, User)
    result = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, [row]))
    assert result.exit_code == 1
    assert f"row 2, {column}:" in result.output
    assert count(app, User) == users and count(app, Employee) == 0


def test_usernames_are_derived_from_names_and_unique():
    maker = UsernameMaker(["budi.santoso", "Admin"])
    assert maker.make("Budi  Santoso") == "budi.santoso2"
    assert maker.make("Budi Santoso") == "budi.santoso3"
    assert maker.make("Dr. Ñoño, S.H.") == "dr.nono.s.h"
    assert maker.make("!!!") == "pegawai"
    assert maker.make("admin") == "admin2"


# --- penilaian360 ----------------------------------------------------------------------


P360 = COLUMNS["penilaian360"]


def ratings_360(app):
    with app.app_context():
        return sorted(
            db.session.execute(
                select(
                    Assignment.rater_id,
                    Assignment.ratee_id,
                    Assignment.relation,
                    Assignment.submitted_at.is_not(None),
                    Rating.butir,
                    Rating.nilai,
                ).join(Rating, Rating.assignment_id == Assignment.id)
            ).all()
        )


def test_360_creates_submitted_assignments_and_ratings_for_the_period(
    app, cli, institution, tmp_path
):
    period_id = add_period(app, "2026")
    rows = [(NIP["kabag_tu"], NIP["tu1"], "atasan", b, 4) for b in range(1, 8)]
    rows += [(NIP["tu2"], NIP["tu1"], "Rekan", 1, 5), (NIP["tu1"], NIP["tu1"], "diri", 1, 3)]
    data = csv_bytes(P360, rows)
    result = cli_import(cli, tmp_path, "penilaian360", data, period="2026")
    assert result.exit_code == 0, result.output
    assert "9 created, 0 updated, 0 unchanged, 3 assignments created" in result.output
    u = institution.users
    with app.app_context():
        assignments = db.session.execute(
            select(Assignment.rater_id, Assignment.relation, Assignment.period_id).order_by(
                Assignment.id
            )
        ).all()
    assert sorted(assignments) == sorted(
        [
            (u["kabag_tu"], "atasan", period_id),
            (u["tu2"], "rekan", period_id),
            (u["tu1"], "diri", period_id),
        ]
    )
    first = ratings_360(app)
    assert len(first) == 9 and all(row[3] for row in first)  # all submitted

    again = cli_import(cli, tmp_path, "penilaian360", data, period="2026")
    assert "0 created, 0 updated, 9 unchanged, 0 assignments created" in again.output
    assert ratings_360(app) == first
    assert count(app, Assignment) == 3


def test_360_marks_an_existing_assignment_submitted(app, cli, institution, tmp_path):
    period_id = add_period(app, "2026")
    u = institution.users
    with app.app_context():
        db.session.add(
            Assignment(period_id=period_id, rater_id=u["tu2"], ratee_id=u["tu1"], relation="rekan")
        )
        db.session.commit()
    data = csv_bytes(P360, [(NIP["tu2"], NIP["tu1"], "rekan", 2, 4)])
    result = cli_import(cli, tmp_path, "penilaian360", data, period="2026")
    assert "1 assignments submitted" in result.output
    assert ratings_360(app) == [(u["tu2"], u["tu1"], "rekan", True, 2, 4)]
    clash = csv_bytes(P360, [(NIP["tu2"], NIP["tu1"], "bawahan", 3, 4)])
    result = cli_import(cli, tmp_path, "penilaian360", clash, period="2026")
    assert result.exit_code == 1 and "row 2, hubungan" in result.output


@pytest.mark.parametrize(
    "row, column",
    [
        ((NIP["tu2"], NIP["tu1"], "rekan", 8, 4), "butir"),
        ((NIP["tu2"], NIP["tu1"], "rekan", 1, 6), "nilai"),
        ((NIP["tu2"], NIP["tu1"], "rekan", 1, 0), "nilai"),
        ((NIP["tu2"], NIP["tu1"], "rekan", 1, 3.5), "nilai"),
        ((NIP["tu2"], NIP["tu1"], "teman", 1, 3), "hubungan"),
        ((NIP["tu2"], NIP["tu1"], "diri", 1, 3), "hubungan"),
        ((NIP["tu1"], NIP["tu1"], "atasan", 1, 3), "hubungan"),
        (("198501012010011999", NIP["tu1"], "rekan", 1, 3), "nip_penilai"),
    ],
)
def test_360_rows_are_validated(app, cli, institution, tmp_path, row, column):
    add_period(app, "2026")
    result = cli_import(cli, tmp_path, "penilaian360", csv_bytes(P360, [row]), period="2026")
    assert result.exit_code == 1
    assert f"row 2, {column}:" in result.output
    assert count(app, Assignment) == 0 and count(app, Rating) == 0


def test_360_needs_an_open_period(app, cli, institution, tmp_path):
    data = csv_bytes(P360, [(NIP["tu2"], NIP["tu1"], "rekan", 1, 3)])
    assert "Choose the period" in cli_import(cli, tmp_path, "penilaian360", data).output
    assert "Unknown period" in cli_import(cli, tmp_path, "penilaian360", data, period="2031").output
    add_period(app, "2024", status="closed")
    result = cli_import(cli, tmp_path, "penilaian360", data, period="2024")
    assert result.exit_code == 1 and "closed" in result.output
    assert count(app, Assignment) == 0


# --- the upload page -------------------------------------------------------------------


def upload(client, kind, data, filename, period=""):
    return client.post(
        "/simantap/import",
        data={"kind": kind, "period": period, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def apply_fields(page):
    token = re.search(rb'name="token" type="hidden" value="([^"]+)"', page).group(1).decode()
    sha = re.search(rb'name="sha256" type="hidden" value="([^"]+)"', page).group(1).decode()
    return token, sha


def test_preview_then_apply_over_http(app, institution):
    hr = client_for(app, "hr")
    data = csv_bytes(COLUMNS["skp"], GOOD["skp"])
    preview = upload(hr, "skp", data, "skp.csv")
    assert preview.status_code == 200
    assert b'data-count="created">2<' in preview.data
    assert b"Apply" in preview.data
    assert count(app, Skp) == 0  # the preview saved nothing
    token, sha = apply_fields(preview.data)

    # Only the uploader, with the right hash, may apply the kept file.
    other = client_for(app, "sekretaris")
    with app.app_context():
        from sikd_host.auth.models import Role

        user = db.session.get(User, institution.users["sekretaris"])
        user.roles.append(db.session.scalar(select(Role).where(Role.name == "sdm")))
        db.session.commit()
    assert (
        other.post("/simantap/import/apply", data={"token": token, "sha256": sha}).status_code
        == 404
    )
    wrong = "0" * 64
    assert (
        hr.post("/simantap/import/apply", data={"token": token, "sha256": wrong}).status_code == 404
    )
    assert hr.post("/simantap/import/apply", data={"token": "x", "sha256": sha}).status_code == 404
    assert count(app, Skp) == 0

    applied = hr.post("/simantap/import/apply", data={"token": token, "sha256": sha})
    assert applied.status_code == 302
    assert len(stored(app, "skp")) == 2
    assert audit_count(app, "simantap.import_skp") == 1
    # The kept upload is gone once applied: it cannot be applied twice.
    assert (
        hr.post("/simantap/import/apply", data={"token": token, "sha256": sha}).status_code == 404
    )

    again = upload(hr, "skp", data, "skp.csv")
    assert b'data-count="unchanged">2<' in again.data
    assert b"changes nothing" in again.data


def test_the_page_shows_every_problem_and_saves_nothing(app, institution):
    hr = client_for(app, "hr")
    rows = [(NIP["tu1"], "2025", "Baik"), (NIP["tu2"], "2025", "Hebat")]
    response = upload(hr, "skp", xlsx_bytes(COLUMNS["skp"], rows), "skp.xlsx")
    assert response.status_code == 422
    assert b'<td>3</td><td class="sikd-mono">predikat</td>' in response.data
    assert b"Apply" not in response.data
    wrong = upload(hr, "skp", csv_bytes(("nip", "tahun"), []), "skp.csv")
    assert wrong.status_code == 422 and b"Wrong header" in wrong.data
    garbage = upload(hr, "skp", b"PK\x03\x04 not a workbook", "skp.xlsx")
    assert garbage.status_code == 422 and b"not a readable XLSX" in garbage.data
    assert count(app, Skp) == 0


def test_the_page_applies_360_to_the_chosen_period(app, institution):
    add_period(app, "2026")
    hr = client_for(app, "hr")
    data = csv_bytes(P360, [(NIP["kabag_tu"], NIP["tu1"], "atasan", b, 5) for b in range(1, 8)])
    preview = upload(hr, "penilaian360", data, "360.csv", period="2026")
    assert preview.status_code == 200, preview.data
    token, sha = apply_fields(preview.data)
    assert (
        hr.post("/simantap/import/apply", data={"token": token, "sha256": sha}).status_code == 302
    )
    assert len(ratings_360(app)) == 7
    missing = upload(hr, "penilaian360", data, "360.csv")
    assert missing.status_code == 422 and b"Choose the period" in missing.data


def test_the_apply_revalidates_against_the_database(app, institution):
    hr = client_for(app, "hr")
    preview = upload(hr, "skp", csv_bytes(COLUMNS["skp"], GOOD["skp"]), "skp.csv")
    token, sha = apply_fields(preview.data)
    with app.app_context():  # the employee's NIP disappears between preview and apply
        db.session.get(User, institution.users["tu2"]).nip = None
        db.session.commit()
    response = hr.post("/simantap/import/apply", data={"token": token, "sha256": sha})
    assert response.status_code == 422 and b"Unknown NIP" in response.data
    assert count(app, Skp) == 0


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_templates_have_exactly_the_headers(app, institution, kind):
    hr = client_for(app, "hr")
    as_csv = hr.get(f"/simantap/import/template/{kind}.csv")
    assert as_csv.status_code == 200
    assert as_csv.data.decode().splitlines() == [",".join(COLUMNS[kind])]
    as_xlsx = hr.get(f"/simantap/import/template/{kind}.xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [list(COLUMNS[kind])]
    page = hr.get("/simantap/import")
    assert f"/simantap/import/template/{kind}.xlsx".encode() in page.data


def test_the_import_needs_simantap_manage(app, institution):
    tu1 = client_for(app, "tu1")
    assert tu1.get("/simantap/import").status_code == 403
    data = csv_bytes(COLUMNS["skp"], GOOD["skp"])
    assert upload(tu1, "skp", data, "skp.csv").status_code == 403
    assert tu1.get("/simantap/import/template/skp.csv").status_code == 403
    hr = client_for(app, "hr")
    assert hr.get("/simantap/import/template/nothing.csv").status_code == 404
    assert hr.get("/simantap/import/template/skp.pdf").status_code == 404
    assert upload(hr, "nothing", data, "skp.csv").status_code == 422
    assert count(app, Skp) == 0


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "DEFAULT_LOCALE": "en"}

    def test_forms_without_a_token_are_refused(self, app, institution):
        hr = client_for(app, "hr")
        data = csv_bytes(COLUMNS["skp"], GOOD["skp"])
        refused = upload(hr, "skp", data, "skp.csv")
        assert refused.status_code == 400
        page = hr.get("/simantap/import")
        csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
        preview = hr.post(
            "/simantap/import",
            data={
                "kind": "skp",
                "file": (io.BytesIO(data), "skp.csv"),
                "csrf_token": csrf.decode(),
            },
            content_type="multipart/form-data",
        )
        assert preview.status_code == 200
        token, sha = apply_fields(preview.data)
        no_token = hr.post("/simantap/import/apply", data={"token": token, "sha256": sha})
        assert no_token.status_code == 400
        assert count(app, Skp) == 0
        applied = hr.post(
            "/simantap/import/apply",
            data={"token": token, "sha256": sha, "csrf_token": csrf.decode()},
        )
        assert applied.status_code == 302 and count(app, Skp) == 2


def test_competency_levels_are_stored_under_their_keys(app, cli, institution, tmp_path):
    result = cli_import(
        cli,
        tmp_path,
        "kompetensi_rinci",
        csv_bytes(COLUMNS["kompetensi_rinci"], GOOD["kompetensi_rinci"]),
    )
    assert result.exit_code == 0, result.output
    names = {row[2] for row in stored(app, "kompetensi_rinci")}
    assert names == {"orientasi_hasil", "Manajemen Kearsipan"}


def test_a_structural_position_gets_at_most_one_holder(app, cli, institution, tmp_path):
    """J-TU is held by kabag_tu: a new employee there is refused; kabag_tu moving out in the
    same file frees it; two rows for one structural position are refused."""
    new = ("199401012019031001", "Rina Baru", "III/a", "J-TU", "S1", "2026-01-02", "")
    users = count(app, User)
    refused = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, [new]))
    assert refused.exit_code == 1
    assert "row 2, kode_jabatan:" in refused.output and "J-TU" in refused.output
    assert count(app, User) == users
    moving = (NIP["kabag_tu"], "Kabag_Tu", "IV/a", "P-KP", "S2", "2026-01-02", "")
    twice = ("199501012020031001", "Dua Kali", "III/a", "J-TU", "S1", "2026-01-02", "")
    refused = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, [new, twice, moving]))
    assert refused.exit_code == 1 and "row 3, kode_jabatan:" in refused.output
    assert "row 2, kode_jabatan:" not in refused.output
    done = cli_import(cli, tmp_path, "pegawai", csv_bytes(PEGAWAI, [new, moving]))
    assert done.exit_code == 0, done.output
