"""Fault injection (issue 7 item 3): each fault ends with 0 rows without a valid blob, 0
unreferenced blobs after the reconciler and an audit chain that verifies, checked together
by ``assert_invariants``; and a scoring run killed halfway leaves no run visible.

- an upload killed mid-stream by SIGKILL: of a real server process (``sikd run``) while it
  reads a large multipart body from a raw socket, and of a process storing a record's
  attachment from a slow stream (its temporary file stays until the reconciler removes it
  past the grace period);
- the disk full (ENOSPC) at write and at fsync, through the archive's upload routes;
- a database error at commit, through the archive's attachment route;
- ``sikd simantap score`` killed by SIGKILL halfway through its write, its run row written
  and its results not yet (made to wait there by a slow trigger on SQLite, by a table lock
  on PostgreSQL), then run again.

tests/host/test_storage.py covers the same storage faults at the service level (a stream
cut partway, ENOSPC, a failed commit) and tests/simantap/test_scoring_run.py a run failing
halfway by an exception; these go through real routes and real process deaths.
"""

from __future__ import annotations

import errno
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from instance_helpers import (
    add_attachment,
    age,
    assert_invariants,
    blob_files,
    client_for,
    latest_record_id,
    make_institution,
    make_pdf,
    make_period,
    register_record,
    temp_files,
)
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db
from sikd_host.storage.models import StoredBlob
from sikd_host.testing import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def org(app, make_user):
    return make_institution(app, make_user)


@pytest.fixture
def record_id(app, org):
    client = client_for(app, "arsiparis")
    assert register_record(client, org.units["B"], make_pdf("Surat pertama")).status_code == 302
    return latest_record_id(app)


def counts(app) -> tuple[int, int]:
    from sikd_archive.models import Attachment

    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Attachment)),
            db.session.scalar(select(func.count()).select_from(StoredBlob)),
        )


def environment(app, tmp_path: Path) -> dict[str, str]:
    """The environment of a subprocess running against the test's database and storage."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIKD_")}
    env.update(
        SIKD_DATABASE_URL=app.config["DATABASE_URL"],
        SIKD_STORAGE_DIR=app.config["STORAGE_DIR"],
        SIKD_INSTANCE_PATH=str(tmp_path / "subprocess-instance"),
        SIKD_SECRET_KEY="subprocess-" + uuid.uuid4().hex,
        SIKD_STRICT_PLUGINS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for(condition, timeout: float, what: str, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the process ended (status {process.returncode}) before {what}: {output}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def kill(process) -> None:
    assert process.poll() is None, "the process finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


# --- an upload killed mid-stream ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Just enough of a browser for the real server: a session cookie and CSRF tokens."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie(header)
            if "sikd_session" in jar:
                self.cookie = f"sikd_session={jar['sikd_session'].value}"
        connection.close()
        return response.status, content

    @staticmethod
    def token(page: str) -> str:
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def log_in(self, username: str) -> None:
        _status, page = self.request("GET", "/login")
        status, _page = self.request(
            "POST",
            "/login",
            {"csrf_token": self.token(page), "username": username, "password": TEST_PASSWORD},
        )
        assert status == 302, "login on the real server failed"


def server_reads_a_spooled_body(pid: int) -> bool:
    """Whether the server holds the unlinked temporary file Werkzeug spools a large
    multipart file part into: it is reading the upload's body."""
    try:
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return any(target.endswith("(deleted)") for target in targets)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_an_upload_killed_mid_stream_by_sigkill_of_the_server(app, runner, record_id, tmp_path):
    before = counts(app)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sikd_host.cli", "run", "--port", str(port), "--no-reload"],
        env=environment(app, tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        browser = Browser(port)

        def healthy() -> bool:
            try:
                return browser.request("GET", "/healthz")[0] == 200
            except OSError:
                return False

        wait_for(healthy, 30, "the server to answer", server)
        browser.log_in("arsiparis")
        status, page = browser.request("GET", f"/arsip/naskah/{record_id}")
        assert status == 200
        token = browser.token(page)

        boundary = "sikd" + uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="besar.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode() + make_pdf("besar")
        announced = 40 * 1024 * 1024  # the body the server expects; a quarter is ever sent
        upload = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            upload.sendall(
                (
                    f"POST /arsip/naskah/{record_id}/lampiran HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{port}\r\nCookie: {browser.cookie}\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Length: {announced}\r\n\r\n"
                ).encode()
                + head
            )
            chunk = b"%" + b"z" * (256 * 1024 - 2) + b"\n"
            for _ in range(12):
                upload.sendall(chunk)
            wait_for(
                lambda: server_reads_a_spooled_body(server.pid), 10, "the body being read", server
            )
            for _ in range(4):  # still streaming when the process dies
                upload.sendall(chunk)
            kill(server)
        finally:
            upload.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()
    assert counts(app) == before  # no attachment row, no blob row
    assert temp_files(app) == []  # the body never reached the storage
    assert_invariants(app, runner)


SLOW_STORE = """
import sys, time
from sikd_host import create_app
from sikd_host.extensions import db

class SlowStream:
    "An upload arriving slowly: a PDF head, then 256 KiB every 20 ms, for minutes."
    def __init__(self, head):
        self.head = head
    def read(self, size=-1):
        if self.head:
            data, self.head = self.head, b""
            return data
        time.sleep(0.02)
        return b"%" + b"y" * (256 * 1024 - 2) + b"\\n"

app = create_app()
with app.app_context():
    from sikd_archive import records
    from sikd_archive.models import Record
    from sikd_host.auth.models import User
    record = db.session.get(Record, int(sys.argv[1]))
    user = db.session.get(User, int(sys.argv[2]))
    print("storing", flush=True)
    records.attach(user, record, SlowStream(open(sys.argv[3], "rb").read()), "besar.pdf")
    db.session.commit()
    print("stored", flush=True)
"""


def test_a_store_killed_mid_stream_leaves_a_temporary_file_the_reconciler_removes(
    app, runner, org, record_id, tmp_path
):
    before = counts(app)
    head = tmp_path / "head.pdf"
    head.write_bytes(make_pdf("lampiran besar"))
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_STORE, str(record_id), str(org.users["arsiparis"]), str(head)],
        env=environment(app, tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def part_file_growing():
            parts = [p for p in temp_files(app) if p.name.endswith(".part")]
            return parts if parts and parts[0].stat().st_size >= 2 * 1024 * 1024 else None

        parts = wait_for(part_file_growing, 30, "the upload to be half written", process)
        kill(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    assert counts(app) == before
    assert temp_files(app) == parts  # the half-written upload, nowhere else

    # within the grace period it may still be an upload in progress: left alone
    young = runner.invoke(args=["storage", "orphans"])
    assert "0 stale temporary" in young.output, young.output
    kept = runner.invoke(args=["storage", "reconcile"])
    assert kept.exit_code == 0 and "0 temporary file(s) removed" in kept.output
    assert temp_files(app) == parts

    age(parts[0], 7200)  # the grace period passes
    stale = runner.invoke(args=["storage", "orphans"])
    assert f"temp {parts[0].name}" in stale.output and "1 stale temporary" in stale.output
    removed = runner.invoke(args=["storage", "reconcile"])
    assert removed.exit_code == 0 and f"removed temp {parts[0].name}" in removed.output
    assert temp_files(app) == []
    with app.app_context():
        event_row = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "storage.reconcile")
        )
        assert '"removed_temp": 1' in event_row.details
    assert_invariants(app, runner)


# --- the disk full at write --------------------------------------------------------------


def fill_the_disk(app, monkeypatch, at: str) -> list[int]:
    """Writes (or the fsync) of files in the storage's temporary folder fail with ENOSPC
    once the first chunk is written; everything else writes normally."""
    tmp_dir = str(Path(app.config["STORAGE_DIR"]) / "tmp")
    real_write, real_fsync = os.write, os.fsync
    written: list[int] = []

    def in_tmp(fd: int) -> bool:
        try:
            return os.readlink(f"/proc/self/fd/{fd}").startswith(tmp_dir)
        except OSError:
            return False

    def write(fd, data):
        if at == "write" and in_tmp(fd):
            if written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written.append(len(data))
        return real_write(fd, data)

    def fsync(fd):
        if at == "fsync" and in_tmp(fd):
            written.append(0)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    return written


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("at", ["write", "fsync"])
def test_the_disk_full_during_an_upload(app, runner, org, record_id, monkeypatch, at):
    from sikd_archive.models import Record

    client = client_for(app, "arsiparis")  # Indonesian, the default language
    before = counts(app)
    large = make_pdf("lampiran besar", padding=3 * 1024 * 1024)
    written = fill_the_disk(app, monkeypatch, at)

    response = add_attachment(client, record_id, large)
    assert response.status_code == 303  # back to the record, with the reason
    page = client.get(response.headers["Location"]).data.decode()
    assert "Penyimpanan penuh; file tidak disimpan." in page

    fresh = register_record(client, org.units["B"], large, nomor="B-99/FULL/2026")
    assert fresh.status_code == 507  # the form again, the server's disk to blame
    body = fresh.data.decode()
    assert "Penyimpanan penuh; file tidak disimpan." in body and "B-99/FULL/2026" in body
    monkeypatch.undo()
    assert written  # the fault really happened partway through the write
    assert counts(app) == before and temp_files(app) == []  # nothing half-written
    with app.app_context():
        assert db.session.scalar(select(Record.id).where(Record.nomor == "B-99/FULL/2026")) is None
    assert_invariants(app, runner)


# --- a database error at commit ----------------------------------------------------------


def refuse_the_commit_of_an_attachment(engine) -> list[str]:
    """The database refuses to COMMIT a transaction that inserted an attachment."""
    refused: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def watch(connection, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO ARCHIVE_ATTACHMENT"):
            connection.info["sikd_test_attachment"] = True

    @event.listens_for(engine, "commit")
    def refuse(connection):
        if connection.info.pop("sikd_test_attachment", False):
            refused.append("commit")
            raise OperationalError("COMMIT", {}, Exception("the database server went away"))

    @event.listens_for(engine, "rollback")
    def forget(connection):
        connection.info.pop("sikd_test_attachment", None)

    return refused


def test_a_database_error_at_commit_of_an_upload(app, runner, record_id):
    client = client_for(app, "arsiparis")
    rows_before, blobs_before = counts(app)
    files_before = {p.name for p in blob_files(app)}
    with app.app_context():
        refused = refuse_the_commit_of_an_attachment(db.engine)
    response = add_attachment(client, record_id, make_pdf("tidak pernah tersimpan"))
    assert refused == ["commit"]
    assert response.status_code == 500  # the host's error page, not a traceback
    page = response.data.decode()
    assert "Terjadi kesalahan" in page and "Traceback" not in page
    assert counts(app) == (rows_before, blobs_before)  # no row
    orphan = {p.name for p in blob_files(app)} - files_before
    assert len(orphan) == 1  # the file was in place before the commit failed
    (sha,) = orphan
    listed = runner.invoke(args=["storage", "orphans", "--grace", "0"])
    assert f"unreferenced {sha}" in listed.output
    kept = runner.invoke(args=["storage", "reconcile"])  # within the grace period
    assert f"removed {sha}" not in kept.output and sha in {p.name for p in blob_files(app)}
    assert_invariants(app, runner)  # the grace period passes: the reconciler removes it
    assert sha not in {p.name for p in blob_files(app)}


# --- a scoring run killed halfway --------------------------------------------------------


def hold_the_run_halfway(app):
    """Make ``sikd simantap score`` wait inside its write transaction, after its run row and
    at its first result row: a trigger that computes for a long time on SQLite, a SHARE lock
    on the results' table on PostgreSQL. Returns (a probe telling
    whether the scorer is waiting there, a release)."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        path = url.database
        setup = sqlite3.connect(path)
        setup.executescript(
            """
            CREATE TABLE test_slow (n INTEGER);
            WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000)
            INSERT INTO test_slow SELECT n FROM c;
            CREATE TRIGGER test_slow_values BEFORE INSERT ON simantap_result
            BEGIN SELECT count(*) FROM test_slow a, test_slow b, test_slow c; END;
            """
        )
        setup.close()

        def writing() -> bool:
            probe = sqlite3.connect(path, timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True  # another process holds the write lock
            else:
                probe.rollback()
                return False
            finally:
                probe.close()

        def waiting() -> bool:  # held twice, half a second apart: the long write, not a blip
            return writing() and not time.sleep(0.5) and writing()

        def release() -> None:
            cleanup = sqlite3.connect(path, timeout=30)
            cleanup.executescript(
                "DROP TRIGGER IF EXISTS test_slow_values; DROP TABLE IF EXISTS test_slow;"
            )
            cleanup.close()

        return waiting, release

    engine = create_engine(url)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("LOCK TABLE simantap_result IN SHARE MODE"))
    watcher = engine.connect()
    waiting_pids: list[int] = []

    def waiting() -> bool:
        pids = watcher.execute(
            text(
                "SELECT pid FROM pg_locks WHERE NOT granted "
                "AND relation = 'simantap_result'::regclass"
            )
        ).scalars()
        waiting_pids[:] = list(pids)
        watcher.rollback()
        return bool(waiting_pids)

    def release() -> None:
        holder.rollback()  # the killed client's backend goes on, finds its client gone, ends
        holder.close()

        def gone() -> bool:
            alive = watcher.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": waiting_pids},
            ).scalar()
            watcher.rollback()
            return alive == 0

        wait_for(gone, 20, "the killed scorer's backend to end")
        watcher.close()
        engine.dispose()

    return waiting, release


def run_counts(app) -> tuple[int, int]:
    from sikd_simantap.models import Result, Run

    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) for model in (Run, Result)
        )


def test_a_scoring_run_killed_halfway_leaves_no_run_and_runs_again(app, runner, org, tmp_path):
    from sikd_simantap import results, runs
    from sikd_simantap.models import Period, Result, Run

    period_id = make_period(app)
    waiting, release = hold_the_run_halfway(app)
    released = False
    process = subprocess.Popen(
        [sys.executable, "-m", "sikd_host.cli", "simantap", "score", "--period", "2026"],
        env=environment(app, tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(waiting, 60, "the run to be writing", process)
        kill(process)
        output = process.stdout.read()
        release()
        released = True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        if not released:
            release()
    assert "Run " not in output  # it never got to report a run

    assert run_counts(app) == (0, 0)  # no run, no result
    with app.app_context():
        period = db.session.get(Period, period_id)
        assert runs.runs_of(period.id) == [] and results.published_run_of(period) is None
        assert not db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "simantap.run_scored")
        )

    again = runner.invoke(args=["simantap", "score", "--period", "2026"])
    assert again.exit_code == 0, again.output
    assert re.search(r"Run \d+: 3 employees", again.output), again.output
    with app.app_context():
        run = db.session.scalar(select(Run))
        assert run.status == "done"
        assert (
            db.session.scalar(
                select(func.count()).select_from(Result).where(Result.run_id == run.id)
            )
            == 3
        )
    assert_invariants(app, runner)
