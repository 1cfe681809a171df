"""Time of the Simantap ``pegawai`` import of 100,000 new employees, through the real import
function and through the ``sikd simantap import`` command. Goal: at most 15 s on SQLite.

Builds a fresh database (``sikd init``: migrations, roles, plugins), an organisation of 12
units and 60 positions, and a CSV of ``--rows`` employees with valid NIPs, golongan,
education and e-mail, whose names repeat (so user names need numbering). Then:

1. ``imports.import_file`` + commit in this process (the preview step, ``prepare``, is also
   timed on its own), then the same file again (everything unchanged);
2. ``sikd simantap import pegawai FILE`` in a subprocess on a copy of the same empty
   database (SQLite only), wall time including the app's start-up.

    .venv/bin/python benchmarks/simantap_import.py [--rows 100000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

With a PostgreSQL URL a throw-away database is created on that server and dropped after.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 15.0
SEED = 20260101
FIRST = ("Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Wahyu", "Sri", "Joko", "Ayu", "Eko")
LAST = ("Santoso", "Wijaya", "Lestari", "Pratama", "Hidayat", "Saputra", "Nugroho", "Kusuma")
GOLONGAN = ("II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c")
EDUCATION = ("S3", "S2", "S1", "D4", "D3", "SMA", "SMK")


def nip(rng: random.Random, serials: set[str]) -> str:
    """A valid, unused NIP: born 1965-1999, CPNS at 20-30, gender 1 or 2."""
    while True:
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(35 * 365))
        start = min(birth.year + rng.randint(20, 30), 2024)
        digits = (
            f"{birth:%Y%m%d}{start}{rng.randint(1, 12):02d}{rng.choice('12')}"
            f"{rng.randint(1, 999):03d}"
        )
        if digits not in serials:
            serials.add(digits)
            return digits


def generate(path: Path, rows: int, positions: list[str], seed: int = SEED) -> None:
    """The heads (J..) are structural: one holder each, the first rows; staff for the rest."""
    rng = random.Random(seed)
    used: set[str] = set()
    heads = [code for code in positions if code.startswith("J")]
    staff = [code for code in positions if not code.startswith("J")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ("nip", "nama", "golongan", "kode_jabatan", "pendidikan", "tmt_jabatan", "email")
        )
        for number in range(rows):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            tmt = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(14 * 365))
            writer.writerow(
                (
                    nip(rng, used),
                    name,
                    rng.choice(GOLONGAN),
                    heads[number] if number < len(heads) else rng.choice(staff),
                    rng.choice(EDUCATION),
                    tmt.isoformat(),
                    f"pegawai{number}@example.go.id",
                )
            )


def database(url: str | None, folder: Path) -> tuple[str, str | None]:
    """The URL to use and, for PostgreSQL, the server URL to drop it from afterwards."""
    if not url:
        return f"sqlite:///{folder / 'sikd.db'}", None
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"sikd_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False), url


def drop(url: str, server: str) -> None:
    admin = create_engine(
        make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        name = make_url(url).database
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build(url: str, instance: Path) -> Any:
    from sikd_host import create_app

    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})


def organisation() -> list[str]:
    """12 units under one root, 5 positions each; the position codes."""
    from sikd_host.extensions import db
    from sikd_host.org.models import Position, Unit

    root = Unit(code="ROOT", name="Sekretariat Jenderal")
    db.session.add(root)
    codes = []
    for u in range(12):
        unit = Unit(code=f"U{u:02d}", name=f"Biro {u}", parent=root)
        head = Position(
            code=f"J{u:02d}", name=f"Kepala Biro {u}", unit=unit, kind="struktural", eselon="II.a"
        )
        db.session.add_all([unit, head])
        codes.append(head.code)
        for p in range(4):
            position = Position(code=f"P{u:02d}{p}", name=f"Staf {u}.{p}", unit=unit, superior=head)
            db.session.add(position)
            codes.append(position.code)
    db.session.commit()
    return codes


def in_process(app: Any, csv_path: Path) -> dict[str, float]:
    from sikd_simantap import imports
    from sikd_simantap.models import Employee

    from sikd_host.auth.models import User
    from sikd_host.extensions import db

    data = csv_path.read_bytes()
    timings: dict[str, float] = {}
    with app.app_context():
        started = time.perf_counter()
        plan = imports.prepare("pegawai", data, csv_path.name)
        timings["preview (prepare only)"] = time.perf_counter() - started
        db.session.rollback()

        started = time.perf_counter()
        plan = imports.import_file("pegawai", data, csv_path.name, actor="benchmark")
        db.session.commit()
        timings["import (prepare + apply + commit)"] = time.perf_counter() - started
        assert plan.created == plan.rows, plan.summary()
        users = db.session.scalar(select(func.count()).select_from(User))
        talent = db.session.scalar(select(func.count()).select_from(Employee))
        assert talent == plan.rows and users >= plan.rows, (users, talent)

        started = time.perf_counter()
        again = imports.import_file("pegawai", data, csv_path.name, actor="benchmark")
        db.session.commit()
        timings["same file again (all unchanged)"] = time.perf_counter() - started
        assert again.unchanged == again.rows, again.summary()
        db.session.remove()
        db.engine.dispose()
    return timings


def through_cli(db_file: Path, instance: Path, csv_path: Path) -> float:
    env = dict(
        os.environ,
        SIKD_DATABASE_URL=f"sqlite:///{db_file}",
        SIKD_INSTANCE_PATH=str(instance),
        SIKD_SECRET_KEY="bench",
    )
    sikd = Path(sys.executable).with_name("sikd")
    started = time.perf_counter()
    result = subprocess.run(
        [str(sikd), "simantap", "import", "pegawai", str(csv_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the command failed:\n{result.stdout}\n{result.stderr}")
    print(f"  sikd says: {result.stdout.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="A PostgreSQL server URL.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sikd-simantap-bench-"))
    url, server = database(args.database_url, folder)
    try:
        app = build(url, folder / "instance")
        with app.app_context():
            from sikd_host.cli import run_init
            from sikd_host.extensions import db

            run_init("admin", "benchmark password")
            positions = organisation()
            db.session.remove()
            db.engine.dispose()
        csv_path = folder / "pegawai.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows, positions)
        size = csv_path.stat().st_size / 1024 / 1024
        took = time.perf_counter() - started
        print(f"{args.rows:,} rows generated ({size:.1f} MiB) in {took:.1f} s")
        cli_db = None
        if server is None:
            cli_db = folder / "cli.db"
            shutil.copyfile(folder / "sikd.db", cli_db)
        print(f"database: {make_url(url).get_backend_name()}")
        timings = in_process(app, csv_path)
        if cli_db is not None:
            timings["sikd simantap import (subprocess, wall)"] = through_cli(
                cli_db, folder / "instance", csv_path
            )
        for label, seconds in timings.items():
            print(f"  {label:42} {seconds:6.2f} s")
        worst = max(
            timings["import (prepare + apply + commit)"],
            timings.get("sikd simantap import (subprocess, wall)", 0.0),
        )
        verdict = "met" if worst <= GOAL_SECONDS else "MISSED"
        print(f"goal <= {GOAL_SECONDS:.0f} s: {verdict} (worst {worst:.2f} s)")
    finally:
        if server is not None:
            drop(url, server)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
