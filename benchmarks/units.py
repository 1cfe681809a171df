"""Work-unit performance benchmark: a tree of 500 units over 100,000 employees, with the
archive's disposition figures. Goal: at most 1 s for the whole unit performance.

Its own database (generated when missing, with ``simantap_generate --units 500``): the
scoring run of 2026 published, a period 2025 whose published run is a copy of it (so the
trend has two points), and DISPOSITIONS dispositions in each of the two years (recipients at
random, in time order as the register writes them, about 85 % acted on with a skewed
response time, 70 % with a due date, 80 % done).
Then, over several rounds, it times:

1. ``units.performance()`` for every unit (subtree figures, ranks, merged medians), in
   process, for HR;
2. the same with a unit chosen and its trend across both periods (hook called with both);
3. the list page, the root unit's page and the CSV export through the whole HTTP stack,
   logged in as HR.

    .venv/bin/python benchmarks/units.py [--rounds 5] [--employees 100000] [--units 500]
        [--dispositions 200000] [--database-url sqlite:////tmp/sikd-units-bench/sikd.db]
        [--regenerate]

A PostgreSQL database (``--database-url postgresql://postgres@127.0.0.1:5432/sikd_units``)
is generated with ``--regenerate`` the first time; a missing SQLite file is generated on its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

import simantap_generate  # noqa: E402

DEFAULT_SQLITE = "sqlite:////tmp/sikd-units-bench/sikd.db"
INSTANCE = Path("/tmp/sikd-units-bench/instance")
SEED = 20_261_204
GOAL = 1.0


class HR:
    """Reads as HR, like the CLI: every unit."""

    is_authenticated = True
    id = None
    position = None

    def has_permission(self, name: str) -> bool:
        return name == "simantap.view_all"


def add_dispositions(db, year: int, count: int, rng: random.Random) -> None:
    from sikd_archive.models import Disposition, Record

    from sikd_host.auth.models import User
    from sikd_host.org.models import Unit

    users = list(
        db.session.scalars(select(User.id).where(User.username.like("p%")).order_by(User.id))
    )
    unit = db.session.scalar(select(Unit.id).order_by(Unit.id).limit(1))
    first = (db.session.scalar(select(func.max(Record.id))) or 0) + 1
    records = [
        {
            "id": first + n, "kind": "surat_masuk", "agenda_year": year, "agenda_seq": n + 1,
            "agenda_number": f"{n + 1:05d}/S/{year}", "nomor": f"{n + 1}/UM/{year}",
            "tanggal": dt.date(year, 1 + n % 12, 1 + n % 28), "perihal": "Undangan rapat",
            "asal": "", "tujuan": "", "ringkasan": "", "sifat": "biasa", "keamanan": "B",
            "tingkat": "asli", "media": "elektronik", "unit_id": unit, "status": "aktif",
            "legal_hold": False, "legal_hold_reason": "",
            "created_at": dt.datetime(year, 1, 1),
        }
        for n in range(1000)
    ]  # fmt: skip
    db.session.execute(insert(Record), records)
    start = dt.datetime(year, 1, 1, 7)
    # in time order, as the register writes them (ids follow sent_at)
    moments = sorted(rng.randrange(360 * 24 * 60) for _ in range(count))
    rows = []
    for n, minute in enumerate(moments):
        sent = start + dt.timedelta(minutes=minute)
        acted = rng.random() < 0.85
        hours = round(rng.lognormvariate(2.5, 1.1), 4) if acted else None
        due = sent.date() + dt.timedelta(days=rng.randint(1, 14)) if rng.random() < 0.7 else None
        done = (
            sent + dt.timedelta(hours=(hours or 0) + rng.uniform(0, 240))
            if acted and rng.random() < 0.8 / 0.85
            else None
        )
        rows.append(
            {
                "record_id": first + n % 1000, "kind": "disposisi", "sender_id": users[0],
                "recipient_id": rng.choice(users), "instruction": "Tindak lanjuti", "note": "",
                "due_on": due, "sent_at": sent, "read_at": sent if acted else None,
                "first_action_at": sent + dt.timedelta(hours=hours) if acted else None,
                "done_at": done, "response_hours": hours,
            }
        )  # fmt: skip
        if len(rows) == 20_000:
            db.session.execute(insert(Disposition), rows)
            rows = []
    if rows:
        db.session.execute(insert(Disposition), rows)


def prepare(db, dispositions: int) -> None:
    """Dispositions for 2025 and 2026, the published run of 2026 and its copy for 2025."""
    from sikd_archive.models import Disposition
    from sikd_simantap import runs
    from sikd_simantap.models import Period, Result, Run
    from sikd_simantap.scoring.profile import preset

    from sikd_host.cli import upgrade_all

    upgrade_all()  # a database generated before the latest migrations
    if db.session.scalar(select(func.count()).select_from(Disposition)) == 0:
        rng = random.Random(SEED)
        for year in (2025, 2026):
            add_dispositions(db, year, dispositions, rng)
        db.session.commit()
        print(f"dispositions: {2 * dispositions} in 2025 and 2026", flush=True)
    period = db.session.scalar(select(Period).where(Period.code == simantap_generate.PERIOD))
    run = runs.published_run(period.id)
    if run is None:
        run = runs.score(period, None)
        runs.publish(run, None)
        db.session.commit()
        print(f"scoring run {run.id}: {run.employees} employees in {run.seconds} s", flush=True)
    old = db.session.scalar(select(Period).where(Period.code == "2025"))
    if old is None:
        old = Period(
            code="2025", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31),
            status="closed", profile_name="MK", profile=preset("MK"),
        )  # fmt: skip
        db.session.add(old)
        db.session.flush()
        copy = Run(
            period_id=old.id, status="done", profile=run.profile, published=True,
            employees=run.employees,
        )  # fmt: skip
        db.session.add(copy)
        db.session.flush()
        columns = [c.name for c in Result.__table__.columns if c.name != "run_id"]
        db.session.execute(
            insert(Result).from_select(
                ["run_id", *columns],
                select(text(str(copy.id)), *[Result.__table__.c[name] for name in columns]).where(
                    Result.run_id == run.id
                ),
            )
        )
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def time_in_process(db, rounds: int) -> tuple[float, float, int, int]:
    from sikd_simantap import units
    from sikd_simantap.models import Period

    from sikd_host.org.models import Unit

    period = db.session.scalar(select(Period).where(Period.code == simantap_generate.PERIOD))
    root = db.session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).limit(1))
    lists, trends = [], []
    report = None
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        report = units.performance(HR(), period)
        lists.append((time.perf_counter() - started, time.process_time() - cpu))
        db.session.rollback()
        started, cpu = time.perf_counter(), time.process_time()
        chosen = units.performance(HR(), period, root, trend=True)
        trends.append((time.perf_counter() - started, time.process_time() - cpu))
        db.session.rollback()
    top = chosen.unit.figures
    print(
        f"  root: {top.staff} staff, kinerja {top.mean_kinerja}, potensial "
        f"{top.mean_potensial}, pool {top.talent_pool_percent} %, 360 "
        f"{top.completion_percent} %, {top.received} dispositions, on time "
        f"{top.on_time_percent} %, median {top.median_response_hours} h; trend "
        f"{[point.period.code for point in chosen.trend]}; disposition figures "
        f"{'present' if report.activity else 'ABSENT'}",
        flush=True,
    )
    return _median(lists), _median(trends), len(report.lines), top.received


def _median(timings: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall-clock and CPU seconds (SQLite runs in this process, so the CPU time
    is what the work costs when the machine is shared)."""
    return statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0] * 1000:.0f} ms ({pair[1] * 1000:.0f} ms CPU)"


def time_pages(app, db, rounds: int) -> dict[str, tuple[float, float]]:
    from sikd_host.org.models import Unit
    from sikd_host.testing import log_in

    with app.app_context():
        root = db.session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).limit(1))
    client = app.test_client()
    assert log_in(client, simantap_generate.HR_USER, simantap_generate.PASSWORD).status_code == 302
    urls = {
        "list page": "/simantap/unit-kerja?period=2026",
        "unit page (trend)": f"/simantap/unit-kerja/{root}?period=2026",
        "CSV export": "/simantap/unit-kerja/export?period=2026&format=csv",
    }
    found = {}
    for name, url in urls.items():
        timings = []
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = response.data
            timings.append((time.perf_counter() - started, time.process_time() - cpu))
            assert response.status_code == 200, (url, response.status_code)
        found[name] = _median(timings)
        print(f"  {name}: {len(body) / 1024:.0f} KiB", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--dispositions", type=int, default=200_000, help="Per year.")
    parser.add_argument("--database-url", default=DEFAULT_SQLITE)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url
    INSTANCE.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    missing = parsed.get_backend_name() == "sqlite" and not Path(parsed.database).exists()
    if args.regenerate or missing:
        simantap_generate.prepare(url, drop=True)
        simantap_generate.generate(url, args.employees, INSTANCE, units=args.units)
    app = simantap_generate.build_app(url, INSTANCE)
    from sikd_host.extensions import db
    from sikd_host.org.models import Unit

    with app.app_context():
        prepare(db, args.dispositions)
        unit_count = db.session.scalar(select(func.count()).select_from(Unit))
        listed, trend, lines, received = time_in_process(db, args.rounds)
    print(
        f"{parsed.get_backend_name()}: {unit_count} units, {args.employees} employees, "
        f"{received} dispositions in 2026; median of {args.rounds} rounds:"
    )
    print(f"  every unit ({lines} lines): {_ms(listed)} (goal <= {GOAL * 1000:.0f} ms)")
    print(f"  the root with its trend over 2 periods: {_ms(trend)}")
    for name, pair in time_pages(app, db, args.rounds).items():
        print(f"  {name} over HTTP: {_ms(pair)}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  load average {load} on {os.cpu_count()} CPUs")
    return 0 if listed[0] <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
