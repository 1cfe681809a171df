"""Simantap scoring benchmark: a full scoring run against a floor, and the result page p95.

The floor reads the same input tables and computes the same per-employee aggregates, with
one GROUP BY query per table and nothing else (no normalisation, no placement, no writes).
The run does everything a real run does: every source, every placement, the fingerprint,
and the bulk writes of the Run and its Results (with every indicator value) in one
transaction.
Rounds alternate floor and run; each timed run is deleted afterwards so the database stays
the same. Goals: run <= 2x the floor and <= 10 s on SQLite; result page p95 <= 50 ms.

    .venv/bin/python benchmarks/scoring.py [--employees 100000] [--rounds 3] [--pages 300]
        [--database-url sqlite:////tmp/sikd-simantap-bench/sikd.db] [--regenerate]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import case, delete, func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

import simantap_generate  # noqa: E402


def floor_queries(period) -> list:
    """One GROUP BY query per input table: the per-employee aggregates the run needs."""
    from sikd_simantap.models import (
        Assignment,
        Attendance,
        Competency,
        Discipline,
        EKinerja,
        Employee,
        Rating,
        Skp,
        Training,
    )

    severity = case(
        (Discipline.tingkat == "ringan", 1),
        (Discipline.tingkat == "sedang", 2),
        (Discipline.tingkat == "berat", 3),
        else_=0,
    )
    return [
        select(Skp.user_id, func.max(Skp.predikat))
        .where(Skp.tahun == period.ends_on.year)
        .group_by(Skp.user_id),
        select(EKinerja.user_id, func.max(EKinerja.nilai))
        .where(EKinerja.periode == period.code)
        .group_by(EKinerja.user_id),
        select(
            Attendance.user_id,
            func.max(Attendance.persen_hadir),
            func.max(Attendance.jam_lembur),
            func.max(Attendance.persen_rapat),
            func.max(Attendance.menit_terlambat),
        )
        .where(Attendance.periode == period.code)
        .group_by(Attendance.user_id),
        select(
            Competency.user_id,
            func.max(Competency.tanggal),
            func.max(Competency.jpm),
            func.max(Competency.skor_potensi),
        )
        .where(Competency.tanggal <= period.ends_on)
        .group_by(Competency.user_id),
        select(Training.user_id, func.sum(Training.jp))
        .where(Training.tanggal >= period.starts_on, Training.tanggal <= period.ends_on)
        .group_by(Training.user_id),
        select(Discipline.user_id, func.max(severity))
        .where(Discipline.tanggal <= period.ends_on)
        .group_by(Discipline.user_id),
        select(Employee.user_id, func.max(Employee.pendidikan)).group_by(Employee.user_id),
        select(
            Assignment.ratee_id,
            Assignment.relation,
            func.avg(Rating.nilai),
            func.count(func.distinct(Assignment.id)),
        )
        .join(Rating, Rating.assignment_id == Assignment.id)
        .where(Assignment.period_id == period.id, Assignment.submitted_at.is_not(None))
        .group_by(Assignment.ratee_id, Assignment.relation),
    ]


def time_floor(db, period) -> float:
    started = time.perf_counter()
    for query in floor_queries(period):
        db.session.execute(query).all()
    db.session.rollback()
    return time.perf_counter() - started


def time_run(db, period) -> tuple[float, int]:
    from sikd_simantap import runs
    from sikd_simantap.models import Result, Run

    started = time.perf_counter()
    run = runs.score(period, None)
    elapsed = time.perf_counter() - started
    run_id, employees = run.id, run.employees
    db.session.execute(delete(Result).where(Result.run_id == run_id))
    db.session.execute(delete(Run).where(Run.id == run_id))
    db.session.commit()
    return elapsed, employees


def page_p95(app, db, pages: int) -> tuple[float, float, int]:
    from sikd_simantap import runs
    from sikd_simantap.models import Period, Result

    from sikd_host.testing import log_in

    with app.app_context():
        period = db.session.scalar(select(Period).where(Period.code == simantap_generate.PERIOD))
        run = runs.published_run(period.id)
        if run is None:
            run = runs.score(period, None)
            runs.publish(run, None)
        run_id = run.id
        users = list(db.session.scalars(select(Result.user_id).where(Result.run_id == run_id)))
    client = app.test_client()
    assert log_in(client, simantap_generate.HR_USER, simantap_generate.PASSWORD).status_code == 302
    rng = random.Random(7)
    timings = []
    for n in range(pages + 20):
        user = rng.choice(users)
        started = time.perf_counter()
        response = client.get(f"/simantap/hasil/{run_id}/{user}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        if n >= 20:  # warm-up
            timings.append(elapsed * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return statistics.median(timings), p95, len(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--database-url", default=simantap_generate.DEFAULT_SQLITE)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url
    instance = Path("/tmp/sikd-simantap-bench/instance")
    instance.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    missing = parsed.get_backend_name() == "sqlite" and not Path(parsed.database).exists()
    if args.regenerate or missing:
        simantap_generate.prepare(url, drop=True)
        simantap_generate.generate(url, args.employees, instance)
    app = simantap_generate.build_app(url, instance)
    from sikd_simantap.models import Period

    from sikd_host.extensions import db

    with app.app_context():
        period = db.session.scalar(select(Period).where(Period.code == simantap_generate.PERIOD))
        floors, runs_ = [], []
        employees = 0
        for number in range(args.rounds):
            floors.append(time_floor(db, period))
            elapsed, employees = time_run(db, period)
            runs_.append(elapsed)
            print(
                f"round {number + 1}: floor {floors[-1]:.2f} s, run {runs_[-1]:.2f} s", flush=True
            )
        floor, run = statistics.median(floors), statistics.median(runs_)
        print(
            f"{parsed.get_backend_name()}: {employees} employees; floor {floor:.2f} s, "
            f"run {run:.2f} s = {run / floor:.2f}x the floor (goal <= 2x, <= 10 s)"
        )
    median, p95, count = page_p95(app, db, args.pages)
    print(
        f"result page over {count} requests: median {median:.1f} ms, p95 {p95:.1f} ms (goal <= 50)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
