"""Generate a large institution for the Simantap scoring benchmark, in bulk through
SQLAlchemy Core (the schema comes from the migrations):

- N employees (default 100,000) with valid-looking NIPs in 20 biro x 10 bagian (or, with
  ``--units 500``, a four-level tree of 500 units, each with a head and staff);
- one row per employee in every source table: talent data (golongan, pendidikan), SKP,
  e-Kinerja, kehadiran, kompetensi, pelatihan, disiplin;
- about 1,000,000 raw 360 item ratings: every employee is rated by their superior, and one
  in seven also by three peers (7 BerAKHLAK items per submitted assignment);
- the period 2026 with the MK profile.

    .venv/bin/python benchmarks/simantap_generate.py [--employees 100000]
        [--database-url sqlite:////tmp/sikd-simantap-bench/sikd.db | postgresql+psycopg://...]
        [--drop] [--units 500]

The HR user is ``sdm`` (role sdm: simantap.view_all), password ``benchmark password``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

DEFAULT_SQLITE = "sqlite:////tmp/sikd-simantap-bench/sikd.db"
PASSWORD = "benchmark password"
HR_USER = "sdm"
CHUNK = 20_000
SEED = 20_260_101
PERIOD = "2026"
GOLONGAN = ["II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]
HEAD_GOLONGAN = ["III/d", "IV/a", "IV/b", "IV/c", "IV/d"]
PENDIDIKAN = ["SMA", "D3", "S1", "S1", "S1", "S2", "S2", "S3"]
PREDIKAT = ["Sangat Baik", "Baik", "Baik", "Baik", "Butuh Perbaikan", "Kurang"]
TINGKAT = ["ringan", "ringan", "ringan", "sedang", "berat"]
RELATIONS_PER_RATEE = 7  # one in seven employees also gets three peers


def prepare(url: str, drop: bool) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        if drop:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return url
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if drop:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def build_app(url: str, instance: Path) -> Any:
    from sikd_host import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": "",
            "RATELIMIT_ENABLED": False,
        }
    )


def nip(index: int) -> str:
    # births spread over 1966-1993 in every run of consecutive indexes (7919 is prime to
    # 10,000, so each block of 10,000 indexes still has 10,000 different days)
    birth = dt.date(1966, 1, 1) + dt.timedelta(days=index * 7919 % 10_000)
    start = min(birth.year + 23, 2024)
    gender = 1 + index % 2
    serial = index // 10_000 + 1
    return f"{birth:%Y%m%d}{start}{1 + index % 12:02d}{gender}{serial:03d}"


def chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def bulk(table: Any, rows: list[dict[str, Any]]) -> None:
    from sikd_host.extensions import db

    for part in chunks(rows):
        db.session.execute(insert(table), part)


ESELON_BY_DEPTH = ("I.a", "II.a", "III.a", "IV.a")


def organisation_tree(total: int, fanout: int = 8) -> tuple[list[int], list[int]]:
    """A tree of exactly ``total`` units, filled breadth first with ``fanout`` children per
    unit (500 units: 1 + 8 + 64 + 427, four levels); every unit has a head (structural,
    reporting to the parent unit's head) and a staff position. Returns (staff position ids,
    head ids), one of each per unit in the same order."""
    from sikd_host.extensions import db
    from sikd_host.org.models import Position, Unit

    root = Unit(code="S", name="Sekretariat Jenderal")
    top = Position(
        code="P-S", name="Sekretaris Jenderal", unit=root, kind="struktural", eselon="I.a"
    )
    units, heads = [root], [top]
    depth = {0: 0}
    parent_index = 0
    while len(units) < total:
        for child in range(1, fanout + 1):
            if len(units) >= total:
                break
            parent, level = units[parent_index], depth[parent_index] + 1
            unit = Unit(code=f"{parent.code}.{child}", name=f"Unit {parent.code}.{child}",
                        parent=parent)  # fmt: skip
            head = Position(
                code=f"P-{unit.code}", name=f"Kepala {unit.name}", unit=unit,
                superior=heads[parent_index], kind="struktural",
                eselon=ESELON_BY_DEPTH[min(level, len(ESELON_BY_DEPTH) - 1)],
            )  # fmt: skip
            depth[len(units)] = level
            units.append(unit)
            heads.append(head)
        parent_index += 1
    staff = [
        Position(
            code=f"P-{unit.code}-S",
            name=f"Pelaksana {unit.code}",
            unit=unit,
            superior=head,
            kind="pelaksana",
        )
        for unit, head in zip(units, heads, strict=True)
    ]
    db.session.add_all(units + heads + staff)
    db.session.flush()
    return [p.id for p in staff], [p.id for p in heads]


def organisation() -> tuple[list[int], list[int]]:
    """Units and positions: 20 biro x 10 bagian; returns (staff position ids, head ids)."""
    from sikd_host.extensions import db
    from sikd_host.org.models import Position, Unit

    root = Unit(code="S", name="Sekretariat Jenderal")
    top = Position(
        code="P-S", name="Sekretaris Jenderal", unit=root, kind="struktural", eselon="I.a"
    )
    units, positions, staff, heads = [root], [top], [], []
    for b in range(1, 21):
        biro = Unit(code=f"S.{b}", name=f"Biro {b}", parent=root)
        kabiro = Position(
            code=f"P-S.{b}", name=f"Kepala Biro {b}", unit=biro, superior=top,
            kind="struktural", eselon="II.a",
        )  # fmt: skip
        units.append(biro)
        positions.append(kabiro)
        for g in range(1, 11):
            bagian = Unit(code=f"S.{b}.{g}", name=f"Bagian {b}.{g}", parent=biro)
            kabag = Position(
                code=f"P-S.{b}.{g}", name=f"Kepala Bagian {b}.{g}", unit=bagian,
                superior=kabiro, kind="struktural", eselon="III.a",
            )  # fmt: skip
            pelaksana = Position(
                code=f"P-S.{b}.{g}-S", name=f"Pelaksana {b}.{g}", unit=bagian,
                superior=kabag, kind="pelaksana",
            )  # fmt: skip
            units.append(bagian)
            positions += [kabag, pelaksana]
            staff.append(pelaksana)
            heads.append(kabag)
    db.session.add_all(units + positions)
    db.session.flush()
    return [p.id for p in staff], [p.id for p in heads]


def generate(url: str, employees: int, instance: Path, units: int | None = None) -> None:
    """Fill the database; ``units``: a breadth-first tree of that many units (see
    ``organisation_tree``) instead of the default 20 biro x 10 bagian."""
    from sikd_host.auth import accounts
    from sikd_host.auth.models import Role, User, user_role
    from sikd_host.cli import run_init
    from sikd_host.extensions import db

    rng = random.Random(SEED)
    app = build_app(url, instance)
    with app.app_context():
        from sikd_simantap.models import (
            Assignment,
            Attendance,
            Competency,
            Discipline,
            EKinerja,
            Employee,
            Period,
            Rating,
            Skp,
            Training,
        )
        from sikd_simantap.scoring.profile import preset

        started = time.perf_counter()
        run_init("admin", PASSWORD)
        staff, heads = organisation_tree(units) if units else organisation()
        hr = accounts.create_user("bench", HR_USER, "Sri Dewi", PASSWORD, roles=["pegawai", "sdm"])
        db.session.flush()
        password_hash = hr.password_hash
        pegawai = db.session.scalar(select(Role.id).where(Role.name == "pegawai"))
        people = [
            {
                "username": f"p{i}",
                "full_name": f"Pegawai {i}",
                "email": "",
                "nip": nip(i),
                "active": True,
                "password_hash": password_hash,
                "session_version": 1,
                # the first 200 hold the kabag positions, the rest are staff
                "position_id": heads[i] if i < len(heads) else staff[i % len(staff)],
                "created_at": dt.datetime(2026, 1, 1),
            }
            for i in range(employees)
        ]
        bulk(User.__table__, people)
        ids = list(
            db.session.scalars(select(User.id).where(User.username.like("p%")).order_by(User.id))
        )
        bulk(user_role, [{"user_id": i, "role_id": pegawai} for i in ids])
        print(f"users: {len(ids)} ({time.perf_counter() - started:.1f} s)", flush=True)
        bulk(
            Employee.__table__,
            [
                {
                    "user_id": i,
                    # the heads of bagian (Eselon III) rank as such, so some of them can
                    # succeed an Eselon II head (golongan IV/c at least, DOMAIN.md section 7)
                    "golongan": rng.choice(HEAD_GOLONGAN if n < len(heads) else GOLONGAN),
                    "pendidikan": rng.choice(PENDIDIKAN),
                    "updated_at": dt.datetime(2026, 1, 1),
                }
                for n, i in enumerate(ids)
            ],
        )
        bulk(
            Skp.__table__,
            [{"user_id": i, "tahun": 2026, "predikat": rng.choice(PREDIKAT)} for i in ids],
        )
        bulk(
            EKinerja.__table__,
            [{"user_id": i, "periode": PERIOD, "nilai": rng.uniform(55, 100)} for i in ids],
        )
        bulk(
            Attendance.__table__,
            [
                {
                    "user_id": i,
                    "periode": PERIOD,
                    "persen_hadir": rng.uniform(80, 100),
                    "jam_lembur": float(rng.randint(0, 200)),
                    "persen_rapat": rng.uniform(50, 100),
                    "menit_terlambat": float(rng.randint(0, 900)),
                }
                for i in ids
            ],
        )
        bulk(
            Competency.__table__,
            [
                {
                    "user_id": i,
                    "tanggal": dt.date(2026, rng.randint(1, 11), rng.randint(1, 28)),
                    "jpm": rng.uniform(60, 100),
                    "skor_potensi": rng.uniform(55, 100),
                }
                for i in ids
            ],
        )
        bulk(
            Training.__table__,
            [
                {
                    "user_id": i,
                    "tanggal": dt.date(2026, rng.randint(1, 12), rng.randint(1, 28)),
                    "nama": "Pelatihan teknis",
                    "jp": float(rng.choice((8, 16, 24, 32))),
                }
                for i in ids
            ],
        )
        bulk(
            Discipline.__table__,
            [
                {
                    "user_id": i,
                    "tanggal": dt.date(rng.randint(2023, 2026), rng.randint(1, 12), 1),
                    "tingkat": rng.choice(TINGKAT),
                    "keterangan": "",
                }
                for i in ids
            ],
        )
        period = Period(
            code=PERIOD,
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
            status="open",
            profile_name="MK",
            profile=preset("MK"),
        )
        db.session.add(period)
        db.session.flush()
        print(f"sources: ({time.perf_counter() - started:.1f} s)", flush=True)
        # 360: superior of each staff member = the kabag (ids[0:200] hold kabag positions)
        head_of = {}
        for index, user in enumerate(ids[: len(heads)]):
            head_of[heads[index]] = user
        position_of = {i: row["position_id"] for i, row in zip(ids, people, strict=True)}
        kabag_position = {s: h for s, h in zip(staff, heads, strict=True)}
        by_position: dict[int, list[int]] = {}
        for user in ids[len(heads) :]:
            by_position.setdefault(position_of[user], []).append(user)
        submitted = dt.datetime(2026, 12, 1, 9)
        assignments = []
        for user in ids[len(heads) :]:
            superior = head_of[kabag_position[position_of[user]]]
            assignments.append((superior, user, "atasan"))
            if user % RELATIONS_PER_RATEE == 0:
                pool = by_position[position_of[user]]
                for peer in [p for p in rng.sample(pool, 4) if p != user][:3]:
                    assignments.append((peer, user, "rekan"))
        bulk(
            Assignment.__table__,
            [
                {
                    "id": n,
                    "period_id": period.id,
                    "rater_id": rater,
                    "ratee_id": ratee,
                    "relation": relation,
                    "submitted_at": submitted,
                    "comment": "",
                }
                for n, (rater, ratee, relation) in enumerate(assignments, start=1)
            ],
        )
        ratings = [
            {
                "assignment_id": n,
                "butir": butir,
                "nilai": rng.choices((2, 3, 4, 5), (1, 3, 5, 2))[0],
            }
            for n in range(1, len(assignments) + 1)
            for butir in range(1, 8)
        ]
        bulk(Rating.__table__, ratings)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        print(
            f"generated {len(ids)} employees, {len(assignments)} assignments, {len(ratings)} "
            f"ratings in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        db.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_SQLITE)
    parser.add_argument("--drop", action="store_true")
    parser.add_argument(
        "--units", type=int, default=None, help="A tree of this many units (e.g. 500)."
    )
    args = parser.parse_args(argv)
    url = prepare(args.database_url, args.drop)
    instance = Path("/tmp/sikd-simantap-bench/instance")
    instance.mkdir(parents=True, exist_ok=True)
    generate(url, args.employees, instance, args.units)
    return 0


if __name__ == "__main__":
    sys.exit(main())
