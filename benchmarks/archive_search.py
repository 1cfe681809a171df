"""Latency of the archive's search page through the whole Flask stack, against the floor:
the same search SQL run directly on the database.

Builds an app on a database made by ``archive_generate.py``, logs in through the real login
form as ``budi`` (a pegawai: no ``archive.view_all``), and serves typical requests with
Flask's test client: a rare word, a common word, a word with filters, filters without words
and the plain records list. The floor replays the statements that touch the archive's tables
during one such request (captured from the engine), on a raw DBAPI connection, timed by
turns with the page. Goals: p95 at most 50 ms and at most 3x the floor.

    .venv/bin/python benchmarks/archive_search.py [--database-url URL] [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from sikd_host import create_app
from sikd_host.testing import log_in

DEFAULT_URL = "sqlite:////tmp/sikd-archive-bench/sikd.db"
PASSWORD = "benchmark password"
GOAL_MS = 50.0
GOAL_RATIO = 3.0


def build(url: str, folder: Path) -> tuple[Any, Any]:
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    assert log_in(client, "budi", PASSWORD).status_code == 302, "run archive_generate.py first"
    return app, client


def pick_words(app: Any) -> dict[str, str]:
    """A rare made-up word from a recent record of budi's unit, and a common one."""
    from sikd_archive.models import Record

    from sikd_host.auth.models import User
    from sikd_host.extensions import db

    with app.app_context():
        budi = db.session.scalar(select(User).where(User.username == "budi"))
        perihal = db.session.scalar(
            select(Record.perihal)
            .where(Record.unit_id == budi.position.unit_id, Record.keamanan == "B")
            .where(Record.status != "musnah")
            .order_by(Record.id.desc())
            .limit(1)
        )
        return {"rare": perihal.split()[-1], "unit": str(budi.position.unit_id)}


def requests_for(words: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "rare word": ("/arsip/cari", {"q": words["rare"]}),
        "common word": ("/arsip/cari", {"q": "rapat"}),
        "two common words": ("/arsip/cari", {"q": "laporan keuangan"}),
        "word + filters": (
            "/arsip/cari",
            {
                "q": "anggaran",
                "kind": "surat_masuk",
                "from": "2020-01-01",
                "to": "2025-12-31",
                "sifat": "biasa",
                "status": "aktif",
            },
        ),
        "word + unit + code": (
            "/arsip/cari",
            {"q": "pengadaan", "unit": words["unit"], "code": "KU"},
        ),
        "filters, no words": ("/arsip/cari", {"kind": "nota_dinas", "from": "2024-01-01"}),
        "records list": ("/arsip/naskah", {}),
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def capture(app: Any, client: Any, path: str, params: dict[str, str]) -> list[tuple[str, Any]]:
    """The statements on the archive's tables that one request runs, with their parameters."""
    from sikd_host.extensions import db

    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "archive_" in statement or "set_config(" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = client.get(path, query_string=params)
        assert response.status_code == 200, response.data[:500]
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


def floor_action(app: Any, statements: list[tuple[str, Any]]) -> tuple[Callable[[], None], Any]:
    """The floor: the request's statements on the archive's tables replayed on a raw DBAPI
    connection (returned too, to be closed)."""
    from sikd_host.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
    cursor = raw.cursor()

    def run() -> None:
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        raw.rollback()

    return run, raw


def measure_with_floor(
    request: Callable[[], Any], floor: Callable[[], Any], count: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The page and its floor timed by turns, one of each at a time: a shared machine runs
    faster and slower by the minute, and both then see the same minutes."""
    for _ in range(max(5, count // 20)):  # warm up: caches, compiled templates, pages
        request()
        floor()
    pages, floors = [], []
    for _ in range(count):
        started = time.perf_counter()
        request()
        pages.append(time.perf_counter() - started)
        started = time.perf_counter()
        floor()
        floors.append(time.perf_counter() - started)
    return percentiles(pages), percentiles(floors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--slow-requests", type=int, default=20, help="For requests slower than 200 ms."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, client = build(args.database_url, Path(folder))
        with app.app_context():
            from sikd_archive.models import Record

            from sikd_host.extensions import db

            total = db.session.scalar(select(db.func.count(Record.id)))
            dialect = db.engine.dialect.name
        cases = requests_for(pick_words(app))
        rows = []
        for name, (path, params) in cases.items():
            statements = capture(app, client, path, params)
            page = client.get(path, query_string=params)
            found = page.data.count(b'href="/arsip/naskah/')

            def request(path: str = path, params: dict[str, str] = params) -> None:
                assert client.get(path, query_string=params).status_code == 200

            started = time.perf_counter()
            request()
            count = args.requests if time.perf_counter() - started < 0.2 else args.slow_requests
            run_floor, raw = floor_action(app, statements)
            try:
                (p50, p95), (_f50, f95) = measure_with_floor(request, run_floor, count)
            finally:
                raw.close()
            rows.append((name, p50, p95, f95, p95 / f95 if f95 else 0.0, found))
    print(f"{dialect}, {total:,} records; user budi (pegawai); {args.requests} requests each")
    print(
        f"{'request':<20}{'p50 ms':>9}{'p95 ms':>9}{'floor p95':>11}{'ratio':>7}"
        f"{'rows':>6}  goal p95<={GOAL_MS:.0f} ms, <={GOAL_RATIO:.0f}x"
    )
    for name, p50, p95, f95, ratio, found in rows:
        ok = (
            "ok"
            if p95 <= GOAL_MS and ratio <= GOAL_RATIO
            else ("ok (ms)" if p95 <= GOAL_MS else "MISSED")
        )
        print(f"{name:<20}{p50:>9.1f}{p95:>9.1f}{f95:>11.1f}{ratio:>7.1f}{found:>6}  {ok}")


if __name__ == "__main__":
    main()
