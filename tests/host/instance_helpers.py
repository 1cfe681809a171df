"""A small instance with real data for the backup and fault-injection tests: an
organisation, users with NIPs, archive records with attachments uploaded through the
archive's routes, and a Simantap period. Also the three invariants every fault must keep.
(Import as ``from instance_helpers import ...``.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zlib
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit
from sikd_host.storage.models import StoredBlob
from sikd_host.testing import log_in

NIPS = {
    "arsiparis": "198501012010011001",
    "kabag": "197505102002122001",
    "staf": "198602022010012002",
}


def make_pdf(text: str, padding: int = 0) -> bytes:
    """A valid one-page PDF (pypdf can read its text), optionally padded with a comment."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zlib.compress(stream))
        + zlib.compress(stream)
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    if padding:
        out += b"%" + b"x" * padding + b"\n"
    return bytes(out)


def make_institution(app, make_user) -> SimpleNamespace:
    """Biro Umum > Bagian A: a kabag, a staf and an arsiparis in the Biro, all with NIPs."""
    with app.app_context():
        biro = Unit(code="B", name="Biro Umum")
        bagian = Unit(code="B.A", name="Bagian A", parent=biro)
        kabiro = Position(code="P-KB", name="Kepala Biro", unit=biro, kind="struktural")
        kabag = Position(
            code="P-KA", name="Kepala Bagian A", unit=bagian, superior=kabiro, kind="struktural"
        )
        staf = Position(code="P-SA", name="Staf A", unit=bagian, superior=kabag, kind="pelaksana")
        arsip = Position(
            code="P-AR", name="Arsiparis", unit=biro, superior=kabiro, kind="fungsional"
        )
        db.session.add_all([biro, bagian, kabiro, kabag, staf, arsip])
        db.session.commit()
        positions = {p.code: p.id for p in (kabiro, kabag, staf, arsip)}
        units = {u.code: u.id for u in (biro, bagian)}
    people = {
        "arsiparis": ("P-AR", ["pegawai", "arsiparis"]),
        "kabag": ("P-KA", ["pegawai", "pimpinan"]),
        "staf": ("P-SA", ["pegawai"]),
    }
    users = {
        name: make_user(name, roles=roles, position_id=positions[code], nip=NIPS[name])
        for name, (code, roles) in people.items()
    }
    return SimpleNamespace(users=users, units=units, positions=positions)


def client_for(app, username: str):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def record_form(unit_id: int, **values) -> dict:
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
        "unit_id": str(unit_id),
    }
    data.update(values)
    return data


def register_record(client, unit_id: int, pdf: bytes | None = None, **values):
    """Register a record through the archive's form, with a PDF attachment when given."""
    data = record_form(unit_id, **values)
    if pdf is not None:
        data["file"] = (io.BytesIO(pdf), "lampiran.pdf")
    return client.post("/arsip/naskah/baru", data=data, content_type="multipart/form-data")


def add_attachment(client, record_id: int, pdf: bytes, name: str = "nota.pdf"):
    return client.post(
        f"/arsip/naskah/{record_id}/lampiran",
        data={"file": (io.BytesIO(pdf), name)},
        content_type="multipart/form-data",
    )


def latest_record_id(app) -> int:
    from sikd_archive.models import Record

    with app.app_context():
        return db.session.scalar(select(func.max(Record.id)))


def make_period(app, code: str = "2026") -> int:
    """An open Simantap period with the Permenpan preset, and an SKP for two employees."""
    from sikd_simantap.models import Period, Skp
    from sikd_simantap.scoring.profile import preset

    with app.app_context():
        year = int(code)
        period = Period(
            code=code,
            starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year, 12, 31),
            status="open",
            profile_name="Permenpan 3/2020",
            profile=preset("Permenpan 3/2020"),
        )
        db.session.add(period)
        db.session.flush()
        from sikd_host.auth.models import User

        for username, predikat in (("staf", "Baik"), ("kabag", "Sangat Baik")):
            user_id = db.session.scalar(select(User.id).where(User.username == username))
            db.session.add(Skp(user_id=user_id, tahun=year, predikat=predikat))
        db.session.commit()
        return period.id


# --- the invariants ----------------------------------------------------------------------


def storage_root(app) -> Path:
    return Path(app.config["STORAGE_DIR"])


def blob_files(app) -> list[Path]:
    root = storage_root(app)
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp")


def temp_files(app) -> list[Path]:
    tmp = storage_root(app) / "tmp"
    return sorted(p for p in tmp.iterdir() if p.is_file()) if tmp.exists() else []


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look ``seconds`` older (the grace period passing)."""
    stamp = path.stat().st_mtime - seconds
    os.utime(path, (stamp, stamp))


def assert_invariants(app, runner) -> None:
    """0 rows without a valid blob, 0 unreferenced blobs after the reconciler, and an audit
    chain that verifies; the temporary folder is clean too."""
    for path in [*blob_files(app), *temp_files(app)]:
        age(path, 7200)  # past the default grace period: the reconciler decides alone
    reconciled = runner.invoke(args=["storage", "reconcile"])
    assert reconciled.exit_code == 0, reconciled.output
    orphans = runner.invoke(args=["storage", "orphans", "--grace", "0"])
    assert orphans.exit_code == 0, orphans.output
    assert "0 unreferenced, 0 missing, 0 stale temporary, 0 stray" in orphans.output, orphans.output
    assert temp_files(app) == []
    verified = runner.invoke(args=["storage", "verify", "--restart"])
    assert verified.exit_code == 0, verified.output  # every row's file is there and sound
    with app.app_context():
        rows = set(db.session.scalars(select(StoredBlob.sha256)))
        from sikd_archive.models import Attachment

        used = set(db.session.scalars(select(Attachment.sha256)))
    assert used <= rows  # every attachment names a registered blob
    assert {p.name for p in blob_files(app)} == rows
    for path in blob_files(app):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    audited = runner.invoke(args=["audit", "verify"])
    assert audited.exit_code == 0, audited.output
