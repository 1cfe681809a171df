"""Content-addressed storage: stored once, refused when it should be, verified, and nothing
lost or left behind when an upload fails halfway.

Type policy under test: the content decides the type; a name whose extension does not fit
the content (a PDF named .png) is refused with 422, content of a type not allowed with 415.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from flask import Blueprint, jsonify, request
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

import sikd_host.storage  # noqa: F401 - registers the storage tables (until app.py does)
from sikd_host.audit import service as audit
from sikd_host.audit.models import AuditEvent
from sikd_host.auth.models import Role
from sikd_host.extensions import db
from sikd_host.storage import service as storage
from sikd_host.storage.models import StoredBlob, VerifyRun
from sikd_host.storage.types import clean_filename

# --- sample files ------------------------------------------------------------------------


def pdf(text: str = "hello") -> bytes:
    return b"%PDF-1.4\n1 0 obj << >> endobj\n% " + text.encode() + b"\ntrailer\n%%EOF\n"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(64)
TIFF = b"II*\x00\x08\x00\x00\x00" + os.urandom(64)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + os.urandom(200)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def content_types(main: str) -> bytes:
    return (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Override PartName="/main.xml" ContentType="' + main.encode() + b'"/>'
        b"</Types>"
    )


DOCX = zipped(
    {
        "[Content_Types].xml": content_types(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
        ),
        "word/document.xml": b"<w:document/>",
    }
)
DOCM = zipped(
    {
        "[Content_Types].xml": content_types(
            "application/vnd.ms-word.document.macroEnabled.main+xml"
        ),
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"macro",
    }
)
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
PLAIN_ZIP = zipped({"readme.txt": b"just a zip"})


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "NIP"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- helpers -----------------------------------------------------------------------------


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def blob_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return [p for p in files_under(root) if p.parent.name != "tmp"]


def temp_files(app) -> list[Path]:
    return files_under(Path(app.config["STORAGE_DIR"]) / "tmp")


def row_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StoredBlob))


def store_committed(app, data: bytes, name: str = "surat.pdf") -> storage.BlobInfo:
    """What a caller does: store, audit, commit in one transaction."""
    with app.app_context():
        info = storage.store(io.BytesIO(data), name)
        audit.record("tester", "test.file_stored", "blob", info.sha256, {"name": info.filename})
        db.session.commit()
        return info


def assert_audit_chain_holds(runner) -> None:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


# --- storing -----------------------------------------------------------------------------


def test_same_content_is_stored_once_at_its_hash(app):
    data = pdf("once")
    first = store_committed(app, data, "Surat Undangan.pdf")
    second = store_committed(app, data, "copy of it.PDF")
    sha = hashlib.sha256(data).hexdigest()
    assert first.sha256 == second.sha256 == sha
    assert (first.new, second.new) == (True, False)
    assert first.size == len(data) and first.type == "pdf" and first.mimetype == "application/pdf"
    assert first.filename == "Surat_Undangan.pdf" and second.filename == "copy_of_it.pdf"
    expected = Path(app.config["STORAGE_DIR"]) / sha[:2] / sha[2:4] / sha
    assert blob_files(app) == [expected] and expected.read_bytes() == data
    assert temp_files(app) == [] and row_count(app) == 1
    with app.app_context():
        assert storage.blob_path(sha) == expected
        with storage.open_blob(sha) as handle:
            assert handle.read() == data


def test_a_large_upload_is_streamed_in_chunks(app):
    data = os.urandom(3 * storage.CHUNK + 17)
    reads = []

    class Counting(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    with app.app_context():
        info = storage.store(Counting(pdf() + data), "big.pdf")
        db.session.commit()
    assert info.size == len(pdf()) + len(data)
    assert reads and all(0 < size <= storage.CHUNK for size in reads)  # never read(-1)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.pdf", pdf(), "pdf"),
        ("a.docx", DOCX, "docx"),
        ("a.xlsx", None, "xlsx"),
        ("a.odt", ODT, "odt"),
        ("a.jpg", JPEG, "jpeg"),
        ("a.JPEG", JPEG, "jpeg"),
        ("a.png", PNG, "png"),
        ("a.tif", TIFF, "tiff"),
    ],
    ids=lambda value: value if isinstance(value, str) else "data",
)
def test_allowed_types_are_recognised_by_content(app, name, data, kind):
    with app.app_context():
        info = storage.store(io.BytesIO(data if data is not None else xlsx()), name)
    assert info.type == kind


@pytest.mark.parametrize(
    ("name", "data", "error", "status"),
    [
        ("setup.pdf", EXE, storage.TypeRefused, 415),  # an .exe renamed .pdf
        ("scan.png", pdf(), storage.ExtensionMismatch, 422),  # a PDF named .png
        ("scan", pdf(), storage.ExtensionMismatch, 422),  # no extension at all
        ("notes.docx", PLAIN_ZIP, storage.TypeRefused, 415),  # a ZIP, but not a document
        ("macro.docx", DOCM, storage.TypeRefused, 415),  # macro-enabled, not a plain DOCX
        ("empty.pdf", b"", storage.EmptyFile, 422),
        ("page.html", b"<html><script>alert(1)</script></html>", storage.TypeRefused, 415),
    ],
)
def test_refused_content_leaves_nothing_behind(app, runner, name, data, error, status):
    with app.app_context():
        with pytest.raises(error) as raised:
            storage.store(io.BytesIO(data), name)
        db.session.rollback()
    assert raised.value.status == status
    assert blob_files(app) == [] and temp_files(app) == [] and row_count(app) == 0


def test_allowed_types_come_from_the_setting(app):
    app.config["STORAGE_ALLOWED_TYPES"] = "pdf, jpg"
    with app.app_context():
        assert storage.store(io.BytesIO(JPEG), "foto.jpeg").type == "jpeg"
        with pytest.raises(storage.TypeRefused) as raised:
            storage.store(io.BytesIO(PNG), "foto.png")
    assert "Allowed: PDF, JPEG." in str(raised.value)
    app.config["STORAGE_ALLOWED_TYPES"] = ["pdf", "exe"]
    with app.app_context(), pytest.raises(ValueError, match="unknown type 'exe'"):
        storage.store(io.BytesIO(pdf()), "a.pdf")


def test_size_limit_is_refused_with_the_limit_and_nothing_left(app):
    with app.app_context():
        assert storage.store(io.BytesIO(pdf().ljust(1000, b" ")), "ok.pdf", max_bytes=1000).size
        db.session.rollback()  # the exact limit passes; drop its row again
        with pytest.raises(storage.TooLarge) as raised:
            storage.store(io.BytesIO(pdf().ljust(1001, b" ")), "big.pdf", max_bytes=1000)
        db.session.rollback()
    assert raised.value.status == 413 and "1000 B" in str(raised.value)
    assert temp_files(app) == [] and row_count(app) == 0
    app.config["MAX_UPLOAD_MB"] = 1  # the default limit is MAX_UPLOAD_MB
    with app.app_context(), pytest.raises(storage.TooLarge, match="1 MiB"):
        storage.store(io.BytesIO(pdf() + bytes(storage.MIB)), "big.pdf")
    assert temp_files(app) == []


def test_safe_file_names():
    pdf_type = storage.TYPES["pdf"]
    assert clean_filename("../../etc/passwd", pdf_type) == "passwd.pdf"
    assert clean_filename("C:\\Users\\x\\Laporan Akhir.PDF", pdf_type) == "Laporan_Akhir.pdf"
    assert clean_filename("Surat «resmi» Ñandú.pdf", pdf_type) == "Surat_«resmi»_Ñandú.pdf"
    assert clean_filename("文件.pdf", pdf_type) == "文件.pdf"
    assert clean_filename("a\x00b\r\n.pdf", pdf_type) == "ab.pdf"
    assert clean_filename("...", pdf_type) == "dokumen.pdf"
    assert clean_filename("laporan", pdf_type) == "laporan.pdf"
    assert clean_filename("foto.jpeg", storage.TYPES["jpeg"]) == "foto.jpeg"


# --- through HTTP ------------------------------------------------------------------------


@pytest.fixture
def file_app(app):
    """A test-only upload and download page, written the way a plugin would."""
    bp = Blueprint("storage_test", __name__, url_prefix="/storage-test")

    @bp.post("/upload")
    def upload():
        upload = request.files["file"]
        try:
            info = storage.store(upload.stream, upload.filename, max_bytes=64 * 1024)
        except storage.StorageError as error:
            return storage.error_response(error)
        audit.record(None, "test.uploaded", "blob", info.sha256, {"name": info.filename})
        db.session.commit()
        return jsonify(sha256=info.sha256, filename=info.filename, mimetype=info.mimetype), 201

    @bp.get("/download/<sha256>")
    def download(sha256):
        response = storage.send_blob(sha256, request.args["name"], request.args.get("type"))
        audit.record(None, "test.downloaded", "blob", sha256)
        db.session.commit()
        return response

    app.register_blueprint(bp)
    return app


def upload(client, data, name):
    return client.post(
        "/storage-test/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )


def test_upload_and_download_over_http(file_app, client, login_as, runner):
    login_as("pegawai")
    data = pdf("over http")
    created = upload(client, data, "Nota Dinas.pdf")
    assert created.status_code == 201, created.data
    sha = created.json["sha256"]
    assert sha == hashlib.sha256(data).hexdigest()

    got = client.get(f"/storage-test/download/{sha}?name=Nota Dinas ñ.pdf&type=application/pdf")
    assert got.status_code == 200 and got.data == data
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.mimetype == "application/pdf"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Nota_Dinas_%C3%B1.pdf" in disposition
    assert "no-store" in got.headers["Cache-Control"]
    renamed = client.get(f"/storage-test/download/{sha}?name=../../secret.exe")
    assert "filename=secret.exe.pdf" in renamed.headers["Content-Disposition"]
    assert renamed.mimetype == "application/pdf"  # sniffed when the caller gives no type
    assert client.get(f"/storage-test/download/{'0' * 64}?name=x.pdf").status_code == 404
    assert client.get("/storage-test/download/..%2F..%2Fetc?name=x.pdf").status_code == 404
    with file_app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("test.downloaded") == 2 and "test.uploaded" in actions
    assert_audit_chain_holds(runner)


def test_refusals_over_http(file_app, client, login_as):
    login_as("pegawai")
    assert upload(client, pdf().ljust(70 * 1024, b" "), "big.pdf").status_code == 413
    refused = upload(client, EXE, "setup.pdf")
    assert refused.status_code == 415 and "PDF" in refused.json["message"]
    assert upload(client, pdf(), "scan.png").status_code == 422
    assert blob_files(file_app) == [] and temp_files(file_app) == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE")
def test_an_uploaded_file_part_is_kept_without_a_second_copy(
    file_app, client, login_as, monkeypatch
):
    """Werkzeug writes the part into the storage's temporary folder, hashed as it arrives;
    store() links that file into place instead of copying it, and the hash is right."""
    login_as("pegawai")
    received = []
    real_open = storage.ReceivedFile.open

    def watched(directory):
        received.append(real_open(directory))
        return received[-1]

    def no_copy(*_args):
        raise AssertionError("store() copied an upload Werkzeug had already written")

    monkeypatch.setattr(storage.ReceivedFile, "open", staticmethod(watched))
    monkeypatch.setattr(storage, "_receive", no_copy)
    data = pdf("tanpa salinan kedua").ljust(40 * 1024, b"\n")
    created = upload(client, data, "surat.pdf")
    assert created.status_code == 201, created.data
    sha = created.json["sha256"]
    assert sha == hashlib.sha256(data).hexdigest()
    assert [r.adopted for r in received] == [True] and received[0].closed
    assert storage_path(file_app, sha).read_bytes() == data
    assert temp_files(file_app) == []
    again = upload(client, data, "lagi.pdf")  # the same content: kept once, nothing left over
    assert again.status_code == 201 and again.json["sha256"] == sha
    assert blob_files(file_app) == [storage_path(file_app, sha)]
    assert temp_files(file_app) == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE")
def test_a_received_file_read_before_store_or_rewritten_is_copied(app, tmp_path):
    """store() keeps the written file only when all of it was hashed in order and nobody
    read from it; otherwise it reads the stream like any other."""
    data = pdf("dibaca dulu")
    with app.test_request_context():
        directory = Path(app.config["STORAGE_DIR"]) / "tmp"
        directory.mkdir(parents=True, exist_ok=True)
        read_first = storage.ReceivedFile.open(directory)
        read_first.write(data)
        read_first.seek(0)
        assert read_first.read(4) == b"%PDF"  # a caller looks at the head...
        assert not read_first.adoptable()  # ...so store() would keep what is left, copied
        read_first.seek(0)
        assert read_first.adoptable()  # all of it again, as hashed
        rewritten = storage.ReceivedFile.open(directory)
        rewritten.write(b"%PDF-1.4 x" + data[10:])
        rewritten.seek(0)
        rewritten.write(data[:10])  # the hash of the first write no longer fits
        rewritten.seek(0)
        assert not rewritten.adoptable()
        info = storage.store(rewritten, "ditulis ulang.pdf")
        db.session.commit()
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        for stream in (read_first, rewritten):
            stream.close()
    assert temp_files(app) == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE")
def test_a_refused_or_unstored_upload_leaves_nothing_in_the_temporary_folder(
    file_app, client, login_as
):
    login_as("pegawai")
    assert upload(client, EXE, "setup.pdf").status_code == 415
    assert upload(client, pdf().ljust(70 * 1024, b" "), "big.pdf").status_code == 413
    assert temp_files(file_app) == [] and blob_files(file_app) == []


# --- destroy -----------------------------------------------------------------------------


def test_destroy_removes_file_and_row_only_when_committed(app):
    info = store_committed(app, pdf("to destroy"))
    path = blob_files(app)[0]
    with app.app_context():
        storage.destroy(info.sha256)
        db.session.rollback()
    assert path.exists() and row_count(app) == 1  # rolled back: nothing happened
    with app.app_context():
        storage.destroy(info.sha256)
        audit.record("tester", "test.destroyed", "blob", info.sha256)
        db.session.commit()
    assert not path.exists() and row_count(app) == 0
    with app.app_context(), pytest.raises(storage.BlobNotFound):
        storage.destroy(info.sha256)
    with app.app_context(), pytest.raises(storage.BlobNotFound):
        storage.blob_path("../../etc/passwd")


def test_destroy_inside_a_savepoint_waits_for_the_outer_commit(app):
    kept, gone = store_committed(app, pdf("kept")), store_committed(app, pdf("gone"))
    paths = {p.name: p for p in blob_files(app)}
    with app.app_context():
        with db.session.begin_nested():
            storage.destroy(gone.sha256)
        assert paths[gone.sha256].exists()  # released savepoint: not yet committed
        try:
            with db.session.begin_nested():
                storage.destroy(kept.sha256)
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        db.session.commit()
    assert not paths[gone.sha256].exists() and paths[kept.sha256].exists()
    assert row_count(app) == 1


# --- verify ------------------------------------------------------------------------------


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_is_reported_and_exits_1(app, runner):
    infos = [store_committed(app, pdf(f"doc {n}")) for n in range(3)]
    clean = runner.invoke(args=["storage", "verify"])
    assert clean.exit_code == 0 and "3 checked" in clean.output, clean.output
    victim = infos[1].sha256
    with app.app_context():
        flip_a_byte(storage.blob_path(victim))
    result = runner.invoke(args=["storage", "verify"])
    assert result.exit_code == 1
    assert f"mismatch {victim}" in result.output and "1 mismatched, 0 missing" in result.output
    with app.app_context():
        assert db.session.get(StoredBlob, victim).last_verify_result == "mismatch"
        assert db.session.get(StoredBlob, infos[0].sha256).last_verify_result == "ok"
    # Uploading the same content again heals the damaged copy.
    store_committed(app, pdf("doc 1"))
    assert runner.invoke(args=["storage", "verify"]).exit_code == 0


def test_a_deleted_file_is_reported_missing(app, runner):
    infos = [store_committed(app, pdf(f"doc {n}")) for n in range(2)]
    with app.app_context():
        storage.blob_path(infos[0].sha256).unlink()
    result = runner.invoke(args=["storage", "verify"])
    assert result.exit_code == 1 and f"missing {infos[0].sha256}" in result.output
    orphans = runner.invoke(args=["storage", "orphans"])
    assert orphans.exit_code == 0 and f"missing {infos[0].sha256}" in orphans.output
    reconciled = runner.invoke(args=["storage", "reconcile", "--grace", "0"])
    assert reconciled.exit_code == 0 and "(row kept)" in reconciled.output
    assert row_count(app) == 2  # reconcile never removes a row


def verified_at() -> dict[str, object]:
    rows = db.session.execute(select(StoredBlob.sha256, StoredBlob.last_verified_at))
    return {sha: at for sha, at in rows}


def test_verify_resumes_after_an_interruption(app, runner):
    shas = sorted(store_committed(app, pdf(f"doc {n}")).sha256 for n in range(7))
    calls = []

    def interrupt_after_five(step):
        calls.append(step)
        if len(calls) == 5:
            raise KeyboardInterrupt

    with app.app_context(), pytest.raises(KeyboardInterrupt):
        storage.verify(batch=2, progress=interrupt_after_five)
    with app.app_context():
        run = db.session.scalar(select(VerifyRun))
        assert (run.status, run.checked, run.last_sha256) == ("running", 4, shas[3])
        seen = verified_at()
    assert all(seen[sha] is not None for sha in shas[:4])
    assert all(seen[sha] is None for sha in shas[4:])  # the fifth was rolled back

    result = runner.invoke(args=["storage", "verify", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert f"resumed run {run.id}: 7 checked (3 now)" in result.output
    with app.app_context():
        after = verified_at()
        assert db.session.get(VerifyRun, run.id).status == "done"
    assert all(after[sha] == seen[sha] for sha in shas[:4])  # not checked again
    assert all(after[sha] is not None for sha in shas[4:])

    again = runner.invoke(args=["storage", "verify", "--restart"])
    assert again.exit_code == 0 and "7 checked (7 now)" in again.output
    assert "resumed" not in again.output


def test_an_interrupted_run_still_reports_what_it_found_before(app, runner):
    shas = sorted(store_committed(app, pdf(f"doc {n}")).sha256 for n in range(4))
    with app.app_context():
        flip_a_byte(storage.blob_path(shas[0]))

        def stop_after_two(_step, calls=[]):  # noqa: B006 - a counter on purpose
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("power cut")

        with pytest.raises(RuntimeError):
            storage.verify(batch=2, progress=stop_after_two)
    result = runner.invoke(args=["storage", "verify"])
    assert result.exit_code == 1 and "4 checked (2 now)" in result.output
    assert f"mismatch {shas[0]}" in result.output


# --- fault injection ---------------------------------------------------------------------


class CutStream(io.RawIOBase):
    """A client that disconnects after sending ``good`` bytes."""

    def __init__(self, good: int):
        self.remaining = good

    def read(self, size=-1):
        if self.remaining <= 0:
            raise OSError(errno.ECONNRESET, "connection reset by peer")
        chunk = (pdf() + bytes(size))[: min(size, self.remaining)]
        self.remaining -= len(chunk)
        return chunk


def assert_nothing_left(app, runner):
    """No row; after reconcile (grace 0) no blob file and no temp file; the chain holds."""
    assert row_count(app) == 0
    result = runner.invoke(args=["storage", "reconcile", "--grace", "0"])
    assert result.exit_code == 0, result.output
    assert blob_files(app) == [] and temp_files(app) == []
    assert_audit_chain_holds(runner)


def test_fault_stream_cut_partway(app, runner):
    with app.app_context():
        with pytest.raises(OSError, match="connection reset"):
            storage.store(CutStream(3 * storage.CHUNK + 5), "cut.pdf")
        db.session.rollback()
    assert temp_files(app) == []
    assert_nothing_left(app, runner)


def test_fault_disk_full(app, runner, monkeypatch):
    tmp_dir = str(Path(app.config["STORAGE_DIR"]) / "tmp")
    real_write = os.write
    written = []

    def full_disk(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(tmp_dir):
            if written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written.append(len(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    with app.app_context():
        with pytest.raises(storage.StorageFull) as raised:
            storage.store(io.BytesIO(pdf() + os.urandom(3 * storage.CHUNK)), "full.pdf")
        db.session.rollback()
    monkeypatch.undo()
    assert raised.value.status == 507 and isinstance(raised.value.__cause__, OSError)
    assert written and temp_files(app) == []
    assert_nothing_left(app, runner)


def fail_by_constraint(app):
    """The caller's own row violates a constraint: the flush at commit fails."""
    db.session.add(Role(name="admin", description="a second admin role"))


def fail_at_commit(app):
    """The database refuses the COMMIT itself."""

    def refuse(_connection):
        event.remove(db.engine, "commit", refuse)
        raise IntegrityError("COMMIT", {}, Exception("the database refused the commit"))

    event.listen(db.engine, "commit", refuse)


@pytest.mark.parametrize("fail", [fail_by_constraint, fail_at_commit])
def test_fault_commit_fails_after_the_file_is_in_place(app, runner, fail):
    data = pdf("never committed")
    with app.app_context():
        info = storage.store(io.BytesIO(data), "lost.pdf")
        audit.record("tester", "test.file_stored", "blob", info.sha256)
        fail(app)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert row_count(app) == 0
    assert [p.name for p in blob_files(app)] == [info.sha256]  # renamed into place, no row
    young = runner.invoke(args=["storage", "orphans"])
    assert info.sha256 not in young.output and "1 recent file(s)" in young.output
    assert "0 file(s)" in runner.invoke(args=["storage", "reconcile"]).output  # within grace
    assert blob_files(app)
    listed = runner.invoke(args=["storage", "orphans", "--grace", "0"])
    assert listed.exit_code == 0 and f"unreferenced {info.sha256}" in listed.output
    removed = runner.invoke(args=["storage", "reconcile", "--grace", "0"])
    assert f"removed {info.sha256}" in removed.output
    assert_nothing_left(app, runner)
    with app.app_context():
        event_row = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "storage.reconcile")
        )
        assert info.sha256 in event_row.details


# --- orphans and reconcile ---------------------------------------------------------------


def test_orphans_and_reconcile_respect_the_grace_period(app, runner):
    kept = store_committed(app, pdf("kept"))
    root = Path(app.config["STORAGE_DIR"])
    old_temp, new_temp = root / "tmp" / "upload-old.part", root / "tmp" / "upload-new.part"
    old_temp.write_bytes(b"half an upload")
    new_temp.write_bytes(b"an upload in progress")
    two_hours_ago = os.path.getmtime(old_temp) - 7200
    os.utime(old_temp, (two_hours_ago, two_hours_ago))
    orphan_sha = hashlib.sha256(b"orphan").hexdigest()
    orphan = root / orphan_sha[:2] / orphan_sha[2:4] / orphan_sha
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    stray = root / "notes.txt"
    stray.write_text("someone's notes")

    listed = runner.invoke(args=["storage", "orphans"])
    assert listed.exit_code == 0
    assert f"unreferenced {orphan_sha}" in listed.output and "temp upload-old.part" in listed.output
    assert "upload-new.part" not in listed.output and "stray notes.txt" in listed.output
    assert kept.sha256 not in listed.output

    result = runner.invoke(args=["storage", "reconcile"])
    assert result.exit_code == 0
    assert not orphan.exists() and not old_temp.exists()
    assert new_temp.exists() and stray.exists() and storage_path(app, kept.sha256).exists()
    assert row_count(app) == 1
    assert_audit_chain_holds(runner)


def storage_path(app, sha):
    with app.app_context():
        return storage.blob_path(sha)


def test_plugins_reach_storage_through_the_facade(app):
    from sikd_host import plugin_api

    assert "storage" in plugin_api.__all__ and plugin_api.storage.store is storage.store
