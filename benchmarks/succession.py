"""Succession benchmark: the plans of all 17 critical positions over 100,000 employees, on
top of a scoring run. Goal: at most 1 s for the plans (DOMAIN.md section 7 for each pool
member and each position, from a handful of set-based queries).

Uses the database of benchmarks/scoring.py (generated there when missing): flags the
Sekretaris Jenderal and 16 Kepala Biro positions as critical (17 in all), publishes a run
when none is, then times, over several rounds:

1. ``succession.plans()`` for all 17 positions, in process;
2. the register page (which computes every plan) and one plan page through the whole HTTP
   stack, logged in as HR.

    .venv/bin/python benchmarks/succession.py [--rounds 5] [--employees 100000]
        [--database-url sqlite:////tmp/sikd-simantap-bench/sikd.db]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

import simantap_generate  # noqa: E402

CRITICAL = ["P-S"] + [f"P-S.{b}" for b in range(1, 17)]


def prepare_plans(db) -> tuple[float, int]:
    """Flag the 17 positions and make sure a run is published; returns the run's time."""
    from sikd_simantap import runs
    from sikd_simantap.models import Period

    from sikd_host.admin.plugins import grant_suggested_roles
    from sikd_host.cli import upgrade_all
    from sikd_host.org.models import Position
    from sikd_host.pluginmanager import current_host

    upgrade_all()  # a database generated before the succession tables existed
    grant_suggested_roles(current_host().permissions_of("simantap"))  # simantap.succession
    db.session.execute(update(Position).where(Position.code.in_(CRITICAL)).values(critical=True))
    period = db.session.scalar(select(Period).where(Period.code == simantap_generate.PERIOD))
    run = runs.published_run(period.id)
    seconds = run.seconds if run else None
    if run is None:
        run = runs.score(period, None)
        runs.publish(run, None)
        seconds = run.seconds
    db.session.commit()
    return float(seconds or 0), run.employees


def time_plans(db, rounds: int) -> tuple[float, int, int]:
    from sikd_simantap import succession

    timings, plans = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        plans = succession.plans()
        timings.append(time.perf_counter() - started)
        db.session.rollback()
    candidates = sum(len(plan.candidates) for plan in plans)
    return statistics.median(timings), len(plans), candidates


def time_pages(app, db, rounds: int) -> tuple[float, float]:
    from sikd_host.org.models import Position
    from sikd_host.testing import log_in

    with app.app_context():
        position = db.session.scalar(select(Position.id).where(Position.code == "P-S.1"))
    client = app.test_client()
    assert log_in(client, simantap_generate.HR_USER, simantap_generate.PASSWORD).status_code == 302
    register, plan = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        assert client.get("/simantap/jabatan-kritikal").status_code == 200
        register.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert client.get(f"/simantap/suksesi/{position}").status_code == 200
        plan.append(time.perf_counter() - started)
    return statistics.median(register), statistics.median(plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=simantap_generate.DEFAULT_SQLITE)
    args = parser.parse_args(argv)
    url = args.database_url
    instance = Path("/tmp/sikd-simantap-bench/instance")
    instance.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database).exists():
        simantap_generate.prepare(url, drop=True)
        simantap_generate.generate(url, args.employees, instance)
    app = simantap_generate.build_app(url, instance)
    from sikd_host.extensions import db

    with app.app_context():
        run_seconds, employees = prepare_plans(db)
        seconds, positions, candidates = time_plans(db, args.rounds)
    register, plan = time_pages(app, db, args.rounds)
    print(f"{parsed.get_backend_name()}: {employees} employees, scoring run {run_seconds:.2f} s")
    print(
        f"plans of {positions} critical positions: {seconds * 1000:.0f} ms "
        f"({candidates} candidates in all; goal <= 1 s on top of the run)"
    )
    print(f"register page {register * 1000:.0f} ms, one plan page {plan * 1000:.0f} ms (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
