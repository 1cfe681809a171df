"""Upload of a 200 MiB attachment through the archive's real route, end to end, against the
floor ``sha256sum FILE && cp FILE DEST`` on the same file and file system.

A fresh instance (``sikd init``: SQLite, or ``--database-url``; storage under the same /tmp
as the floor's copy; ``SIKD_MAX_UPLOAD_MB=256``) is served by gunicorn with one sync worker,
the command line ``sikd serve`` runs. The client logs in through the real login form, opens
the record's page for its CSRF token and POSTs the multipart form of the attachment route
(``/arsip/naskah/<id>/lampiran``) over a socket: the headers with the Content-Length, the
file's bytes with ``sendfile`` (so the client costs next to nothing), the form's end. The time
runs from the first byte sent to the end of the answer (the redirect to the record, after
the commit); the stored blob is then checked against the file's SHA-256.

The file is a valid PDF of 50 pages, each with a line of text and a 4 MiB image of random
bytes (no compression helps), a different one each round, read once before it is timed so it
comes from the page cache; ``--kind broken`` sends a PDF header and random bytes instead (no
cross-reference table: the worst case for a PDF reader, which then scans the whole file).
The server's memory: after a warm-up upload, before each upload the worker's peak RSS is
reset to its current RSS (``/proc/<pid>/clear_refs``, 5); its growth is ``VmHWM`` after the
answer minus ``VmRSS`` before. The route fsyncs the file and its directory; plain ``cp`` does
not, so a row adds ``sync DEST`` to the floor for comparison.

``--text-max-mb`` sets ``SIKD_ARCHIVE_TEXT_MAX_MB`` for the server (default: the plugin's,
20, so the 200 MiB file is stored without reading its text); ``--text-max-mb 256`` shows what
reading a PDF this large for search costs. ``--source DIR`` serves another checkout of SIKD
(its ``sikd_host`` and plugins put first on ``PYTHONPATH``), to measure a version before a
change with the same client. Goals: peak memory growth < 30 MiB; throughput >= 50% of the
floor.

    .venv/bin/python benchmarks/archive_upload.py [--size-mib 200] [--rounds 3]
        [--kind pdf|broken] [--text-max-mb N] [--database-url URL] [--source DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import load  # noqa: E402
from storage_upload import floor  # noqa: E402  (sha256sum && cp [&& sync] of the same file)

HERE = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
PASSWORD = "benchmark password"
GOAL_MEMORY_MIB = 30
GOAL_RATIO = 0.5
PAGES = 50

SETUP = """
import datetime as dt
from sqlalchemy import select
from sikd_host import create_app
from sikd_host.extensions import db
from sikd_host.auth.models import User
from sikd_host.org.models import Unit

app = create_app()
with app.app_context():
    from sikd_archive import records
    unit = Unit(code="BU", name="Biro Umum")
    db.session.add(unit)
    db.session.flush()
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    record = records.register(admin, unit.id, {
        "kind": "nota_dinas", "nomor": "ND-1/BENCH/2026", "tanggal": dt.date(2026, 3, 2),
        "perihal": "Gambar teknik gedung arsip", "asal": "Biro Umum",
    })
    db.session.commit()
    print(record.id)
"""


# --- the file ----------------------------------------------------------------------------


def generate_pdf(path: Path, size_mib: int, pages: int = PAGES) -> None:
    """A valid PDF of ``pages`` pages, each a line of text and one image of random bytes;
    about ``size_mib`` MiB in all."""
    image = max(1, (size_mib * MIB - 64 * 1024) // pages)
    width = 2048
    height = max(1, image // width)
    image = width * height
    offsets: list[int] = []
    with path.open("wb") as out:
        written = 0

        def put(data: bytes) -> None:
            nonlocal written
            out.write(data)
            written += len(data)

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets.append(written)
            put(b"%d 0 obj\n" % number + body)
            if stream is not None:
                put(b"\nstream\n")
                put(stream)
                put(b"\nendstream")
            put(b"\nendobj\n")

        put(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        font = 3 + 3 * pages
        kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(pages))
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
        for i in range(pages):
            page, content, picture = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
            obj(
                page,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                % (content, font, picture),
            )
            text = (
                b"q 595 0 0 842 0 0 cm /Im1 Do Q "
                b"BT /F1 12 Tf 72 800 Td (Halaman %d gambar teknik gedung arsip) Tj ET" % (i + 1)
            )
            obj(content, b"<< /Length %d >>" % len(text), text)
            obj(
                picture,
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                b"/DeviceGray /BitsPerComponent 8 /Length %d >>" % (width, height, image),
                os.urandom(image),
            )
        obj(font, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        xref = written
        put(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        put(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        put(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, xref)
        )


def generate_broken(path: Path, size_mib: int) -> None:
    """A PDF header, then random bytes."""
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for _ in range(size_mib):
            handle.write(os.urandom(MIB))


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --- the server --------------------------------------------------------------------------


def environment(args: argparse.Namespace, instance: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIKD_")}
    env.update(
        SIKD_INSTANCE_PATH=str(instance),
        SIKD_MAX_UPLOAD_MB="256",
        SIKD_SECRET_KEY="bench-" + uuid.uuid4().hex,
        PYTHONUNBUFFERED="1",
    )
    if args.database_url:
        env["SIKD_DATABASE_URL"] = args.database_url
    if args.text_max_mb is not None:
        env["SIKD_ARCHIVE_TEXT_MAX_MB"] = str(args.text_max_mb)
    if args.source:
        source = Path(args.source).resolve()
        paths = [source, source / "plugins" / "archive", source / "plugins" / "simantap"]
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    return env


def prepare(env: dict[str, str], cwd: Path) -> int:
    """``sikd init`` and one record; the record's id."""
    sikd = [sys.executable, "-c", "from sikd_host.cli import main; main()"]
    subprocess.run(
        [*sikd, "init", "--password", PASSWORD], env=env, cwd=cwd, check=True, capture_output=True
    )
    output = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
    return int(output.strip().splitlines()[-1])


class Server(load.Server):
    """gunicorn with one sync worker, as ``sikd serve --workers 1`` runs it."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path):
        from sikd_host.serve import gunicorn_command

        super().__init__(gunicorn_command(1, "{bind}", 1, 120), env, "/healthz", log, cwd)

    def worker(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split()
        assert len(pids) == 1, pids
        return int(pids[0])


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> int:
    """The process's RSS in KiB, with its peak (VmHWM) reset to it."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kib(pid, "VmRSS")


# --- the client --------------------------------------------------------------------------


class Browser:
    """A client that keeps the session cookie, like a browser."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def keep_cookie(self, response: http.client.HTTPResponse) -> None:
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("sikd_session="):
                self.cookie = value.split(";", 1)[0]

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        connection = self.connection()
        try:
            headers = {"Cookie": self.cookie} if self.cookie else {}
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self.keep_cookie(response)
            return response.status, data.decode("utf-8", "replace")
        finally:
            connection.close()

    @staticmethod
    def token(page: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def log_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/login")
        assert status == 200, status
        form = {"csrf_token": self.token(page), "username": username, "password": password}
        status, _ = self.request("POST", "/login", form)
        assert status == 302, f"login failed ({status})"

    def upload(self, record_id: int, path: Path, name: str) -> float:
        """POST the attachment form with the file streamed; seconds to the answer."""
        status, page = self.request("GET", f"/arsip/naskah/{record_id}")
        assert status == 200, status
        boundary = "sikd" + uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.token(page)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + path.stat().st_size + len(tail)
        connection = self.connection()
        try:
            connection.putrequest("POST", f"/arsip/naskah/{record_id}/lampiran")
            connection.putheader("Cookie", self.cookie)
            connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            connection.putheader("Content-Length", str(length))
            started = time.perf_counter()
            connection.endheaders(head)
            with path.open("rb") as handle:
                connection.sock.sendfile(handle)
            connection.send(tail)
            response = connection.getresponse()
            response.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        assert response.status == 302, f"upload answered {response.status}"
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kind", choices=("pdf", "broken"), default="pdf")
    parser.add_argument("--text-max-mb", type=int, default=None)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--source", default="", help="Another checkout of SIKD to serve.")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="sikd-upload-bench-", dir="/tmp"))
    uploads, floors, synced, growth = [], [], [], []
    try:
        instance = base / "instance"
        env = environment(args, instance)
        cwd = Path(args.source).resolve() if args.source else HERE
        record_id = prepare(env, cwd)
        warm = base / "warm.pdf"
        generate_pdf(warm, 1, pages=2)
        with Server(env, cwd, base / "server.log") as server:
            browser = Browser(server.port)
            browser.log_in("admin", PASSWORD)
            browser.upload(record_id, warm, "pemanasan.pdf")  # imports, pages, connections
            worker = server.worker()
            for round_number in range(args.rounds):
                source = base / f"upload-{round_number}.pdf"
                if args.kind == "pdf":
                    generate_pdf(source, args.size_mib)
                else:
                    generate_broken(source, args.size_mib)
                digest = sha256_of(source)  # also puts the file in the page cache
                before = reset_peak(worker)
                uploads.append(browser.upload(record_id, source, f"gambar-{round_number}.pdf"))
                growth.append((status_kib(worker, "VmHWM") - before) / 1024)
                blob = instance / "files" / digest[:2] / digest[2:4] / digest
                assert blob.is_file() and blob.stat().st_size == source.stat().st_size
                floors.append(floor(source, base, sync=False))
                synced.append(floor(source, base, sync=True))
                size_mib = source.stat().st_size / MIB
                source.unlink()
                blob.unlink()  # keep /tmp small; the rows do not matter any more
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def rate(samples: list[float]) -> float:
        return size_mib / statistics.median(samples)

    upload_rate, floor_rate, synced_rate = rate(uploads), rate(floors), rate(synced)
    ratio = upload_rate / floor_rate
    peak = max(growth)
    text = "plugin default" if args.text_max_mb is None else f"{args.text_max_mb}"
    kind = f"PDF ({PAGES} pages)" if args.kind == "pdf" else "broken PDF (random bytes)"
    print(
        f"file: {size_mib:.0f} MiB {kind}, median of {args.rounds} rounds, "
        f"page cache warm; ARCHIVE_TEXT_MAX_MB: {text}"
        + (f"; served from {args.source}" if args.source else "")
    )
    print(f"{'':<44}{'MiB/s':>9}{'seconds':>10}")
    print(
        f"{'POST /arsip/naskah/<id>/lampiran (gunicorn)':<44}{upload_rate:>9.0f}"
        f"{statistics.median(uploads):>10.2f}"
    )
    print(f"{'sha256sum && cp (floor)':<44}{floor_rate:>9.0f}{statistics.median(floors):>10.2f}")
    print(
        f"{'sha256sum && cp && sync DEST':<44}{synced_rate:>9.0f}{statistics.median(synced):>10.2f}"
    )
    print(
        f"throughput ratio upload/floor: {ratio:.2f} (goal >= {GOAL_RATIO:.2f}) "
        f"{'ok' if ratio >= GOAL_RATIO else 'MISSED'}; upload/floor+sync: "
        f"{upload_rate / synced_rate:.2f}"
    )
    print(
        f"peak RSS growth of the worker: {peak:.1f} MiB (max of rounds: "
        f"{', '.join(f'{g:.1f}' for g in growth)}; goal < {GOAL_MEMORY_MIB}) "
        f"{'ok' if peak < GOAL_MEMORY_MIB else 'MISSED'}"
    )
    print(f"upload seconds per round: {', '.join(f'{s:.2f}' for s in uploads)}")


if __name__ == "__main__":
    main()
