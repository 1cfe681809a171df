"""Simantap demo data for the host's demo institution: talent data, SKP, e-Kinerja,
attendance, competency, training, discipline and a submitted 360 assessment for every demo
employee, a period of the current year with the MK profile, and a published scoring run, so
the nine-box is filled on first start.

Figures follow each employee's hidden "form" (so performance, potential and the 360 agree
the way they do in real life), with a few gaps: some employees have no assessment-centre
results yet and stay "not mapped". Built from the seed, so every start looks the same.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from sikd_host.plugin_api import Position, Unit, User, db, utcnow
from sikd_simantap import runs
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

ACTOR = "demo"
GOLONGAN = {
    "I.a": ("IV/d", "IV/e"),
    "II.a": ("IV/c", "IV/d"),
    "III.a": ("IV/a", "IV/b", "IV/b", "IV/c"),
    "IV.a": ("III/c", "III/d", "III/d", "IV/a"),
    "ahli utama": ("IV/d", "IV/e"),
    "ahli muda": ("III/c", "III/d", "IV/a"),
    "terampil": ("II/c", "II/d", "III/a", "III/b"),
    None: ("II/a", "II/b", "II/c", "II/d", "III/a", "III/b"),
}
EDUCATION = {
    "struktural": ("S2", "S2", "S3", "S1"),
    "fungsional": ("S1", "S1", "S2", "D4"),
    "pelaksana": ("SMA", "D3", "S1", "S1", "SMK", "D3"),
}
TRAININGS = ("Pelatihan Kepemimpinan", "Bimtek Kearsipan", "Diklat Teknis", "Webinar ASN")


@dataclass(frozen=True)
class Person:
    user_id: int
    position_id: int
    unit_id: int
    superior_id: int | None
    kind: str
    eselon: str | None
    jenjang: str | None


def _people() -> list[Person]:
    rows = db.session.execute(
        select(
            User.id,
            Position.id,
            Position.unit_id,
            Position.superior_id,
            Position.kind,
            Position.eselon,
            Position.jenjang,
        )
        .join(Position, Position.id == User.position_id)
        .where(User.active.is_(True), User.nip.is_not(None))
        .order_by(User.id)
    )
    return [Person(*row) for row in rows]


def _clamp(value: float, low: float = 0, high: float = 100) -> float:
    return round(max(low, min(high, value)), 2)


def _day(rng: random.Random, year: int, last: dt.date) -> dt.date:
    start = dt.date(year, 1, 1)
    return start + dt.timedelta(days=rng.randrange(max(1, (last - start).days + 1)))


def _predikat(form: float) -> str:
    if form > 1.1:
        return "Sangat Baik"
    if form > -0.9:
        return "Baik"
    if form > -1.9:
        return "Butuh Perbaikan"
    return "Kurang"


def _source_rows(rng: random.Random, people: list[Person], year: int, today: dt.date) -> dict:
    """Every source table's rows; returns each employee's form too (for the 360)."""
    code = str(year)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "employee", "skp", "ekinerja", "attendance", "competency", "training", "discipline",
    )}  # fmt: skip
    forms: dict[int, float] = {}
    for person in people:
        talent = rng.gauss(0.6 if person.kind == "struktural" else 0.0, 1)  # promoted on merit
        kinerja = 0.7 * talent + 0.7 * rng.gauss(0, 1)
        potensi = 0.7 * talent + 0.7 * rng.gauss(0, 1)
        forms[person.user_id] = kinerja
        key = person.eselon if person.kind == "struktural" else person.jenjang
        rows["employee"].append(
            {
                "user_id": person.user_id,
                "golongan": rng.choice(GOLONGAN.get(key, GOLONGAN[None])),
                "pendidikan": rng.choice(EDUCATION.get(person.kind, EDUCATION["pelaksana"])),
                "tmt_jabatan": dt.date(rng.randint(year - 8, year - 1), rng.randint(1, 12), 1),
                "updated_at": utcnow(),
            }
        )
        for tahun, shift in ((year - 1, rng.gauss(0, 0.5)), (year, 0.0)):
            rows["skp"].append(
                {"user_id": person.user_id, "tahun": tahun, "predikat": _predikat(kinerja + shift)}
            )
        rows["ekinerja"].append(
            {
                "user_id": person.user_id,
                "periode": code,
                "nilai": _clamp(83 + 7 * kinerja + rng.gauss(0, 3), 40),
            }
        )
        rows["attendance"].append(
            {
                "user_id": person.user_id,
                "periode": code,
                "persen_hadir": _clamp(94 + 3 * kinerja + rng.gauss(0, 2), 60),
                "jam_lembur": round(max(0.0, 40 + 25 * kinerja + rng.gauss(0, 15)), 1),
                "persen_rapat": _clamp(82 + 8 * kinerja + rng.gauss(0, 6), 30),
                "menit_terlambat": round(max(0.0, 140 - 90 * kinerja + rng.gauss(0, 50))),
            }
        )
        if rng.random() > 0.08:  # some have not been to the assessment centre yet
            for when, drift in ((dt.date(year - 2, 9, 1), -2.0), (_day(rng, year, today), 0.0)):
                rows["competency"].append(
                    {
                        "user_id": person.user_id,
                        "tanggal": when,
                        "jpm": _clamp(86 + 8 * potensi + drift + rng.gauss(0, 3), 40),
                        "skor_potensi": _clamp(83 + 9 * potensi + drift + rng.gauss(0, 4), 30),
                    }
                )
        for number in range(rng.choice((0, 1, 1, 2, 2, 3))):
            rows["training"].append(
                {
                    "user_id": person.user_id,
                    "tanggal": _day(rng, year, today),
                    "nama": f"{TRAININGS[number % len(TRAININGS)]} {number + 1}",
                    "jp": float(rng.choice((8, 12, 16, 24, 32))),
                }
            )
        chance = rng.random()
        if chance < 0.09:
            tingkat = "ringan" if chance < 0.06 else ("sedang" if chance < 0.08 else "berat")
            rows["discipline"].append(
                {
                    "user_id": person.user_id,
                    "tanggal": _day(rng, year - 1, dt.date(year - 1, 12, 31)),
                    "tingkat": tingkat,
                    "keterangan": "Data contoh",
                }
            )
    rows["forms"] = forms  # type: ignore[assignment]
    return rows


def _period(year: int) -> Period:
    """An open period of the year, with the MK profile, through the periods service."""
    from sikd_simantap import periods as service

    period = service.create(ACTOR, str(year), "MK")
    service.open_period(ACTOR, period)
    return period


def _assignments(period: Period, seed: int) -> None:
    from sikd_simantap.assessment import generate_assignments
    from sikd_simantap.scoring.assignments import Options

    generate_assignments(ACTOR, period, Options(seed=seed))


def _ratings(rng: random.Random, period: Period, forms: dict[int, float], year: int) -> int:
    """Most raters submitted their forms; ratings follow the ratee's form."""
    submitted = dt.datetime(year, 11, 20, 10) if dt.date.today().year > year else utcnow()
    assignments = db.session.execute(
        select(Assignment.id, Assignment.ratee_id).where(Assignment.period_id == period.id)
    ).all()
    ratings, done = [], []
    for assignment_id, ratee in assignments:
        if rng.random() < 0.1:
            continue  # still open
        done.append(assignment_id)
        centre = 3.7 + 0.6 * forms.get(ratee, 0.0)
        ratings.extend(
            {
                "assignment_id": assignment_id,
                "butir": item,
                "nilai": int(max(1, min(5, round(rng.gauss(centre, 0.6))))),
            }
            for item in range(1, 8)
        )
    if ratings:
        db.session.execute(insert(Rating), ratings)
    for start in range(0, len(done), 500):
        db.session.execute(
            Assignment.__table__.update()
            .where(Assignment.id.in_(done[start : start + 500]))
            .values(submitted_at=submitted)
        )
    return len(done)


def load_demo(seed: int) -> str | None:
    """Load the demo data once, into the current transaction; None when there is nothing to
    do (no demo institution, or Simantap's demo data is already there)."""
    if db.session.scalar(select(Unit.id).where(Unit.code == "SETJEN")) is None:
        return None
    if db.session.scalar(select(Employee.user_id).limit(1)) is not None:
        return None
    today = dt.date.today()
    year = today.year
    if db.session.scalar(select(Period.id).where(Period.code == str(year))) is not None:
        return None
    rng = random.Random(seed + 3020)
    people = _people()
    rows = _source_rows(rng, people, year, today)
    forms = rows.pop("forms")
    tables = {
        "employee": Employee, "skp": Skp, "ekinerja": EKinerja, "attendance": Attendance,
        "competency": Competency, "training": Training, "discipline": Discipline,
    }  # fmt: skip
    for name, model in tables.items():
        if rows[name]:
            db.session.execute(insert(model.__table__), rows[name])
    previous = _previous_year(rng, people, forms, year, seed)
    period = _period(year)
    _assignments(period, seed)
    submitted = _ratings(rng, period, forms, year)
    run = runs.score(period, ACTOR, commit=False)
    runs.publish(run, ACTOR, commit=False)
    mapped = sum(1 for box in runs.box_map(run.id).values() if box is not None)
    critical = _critical_positions(rng, today)
    _competency_levels(rng, today)
    return (
        f"Simantap demo: periods {previous.code} and {period.code} (MK), {len(people)} "
        f"employees, {submitted} 360 forms submitted, run {run.id} published ({mapped} "
        f"mapped), {critical} critical positions."
    )


def _previous_year(
    rng: random.Random, people: list[Person], forms: dict[int, float], year: int, seed: int
) -> Period:
    """Last year's period, scored, published and closed, so that trends and the pool's
    history have something to show. Forms drift a little from year to year."""
    code = str(year - 1)
    drift = {user: form + rng.gauss(0, 0.45) for user, form in forms.items()}
    ekinerja, attendance = [], []
    for person in people:
        form = drift[person.user_id]
        ekinerja.append({"user_id": person.user_id, "periode": code,
                         "nilai": _clamp(82 + 7 * form + rng.gauss(0, 3), 40)})  # fmt: skip
        attendance.append(
            {
                "user_id": person.user_id,
                "periode": code,
                "persen_hadir": _clamp(93 + 3 * form + rng.gauss(0, 2), 60),
                "jam_lembur": round(max(0.0, 35 + 25 * form + rng.gauss(0, 15)), 1),
                "persen_rapat": _clamp(80 + 8 * form + rng.gauss(0, 6), 30),
                "menit_terlambat": round(max(0.0, 150 - 90 * form + rng.gauss(0, 50))),
            }
        )
    training = [
        {"user_id": person.user_id, "tanggal": _day(rng, year - 1, dt.date(year - 1, 12, 31)),
         "nama": f"{TRAININGS[number % len(TRAININGS)]} {year - 1}-{number + 1}",
         "jp": float(rng.choice((8, 12, 16, 24)))}
        for person in people
        for number in range(rng.choice((0, 1, 2, 2)))
    ]  # fmt: skip
    db.session.execute(insert(EKinerja.__table__), ekinerja)
    db.session.execute(insert(Attendance.__table__), attendance)
    if training:
        db.session.execute(insert(Training.__table__), training)
    from sikd_simantap import periods as service

    period = _period(year - 1)
    _assignments(period, seed + 1)
    _ratings(rng, period, drift, year - 1)
    run = runs.score(period, ACTOR, commit=False)
    runs.publish(run, ACTOR, commit=False)
    service.close_period(ACTOR, period)
    return period


STANDARD_BY_TIER = {1: 5, 2: 4, 3: 4, 4: 3}
REASONS = {
    1: "Pimpinan tertinggi kesekretariatan; menentukan arah kebijakan instansi.",
    2: "Memimpin biro; pejabatnya memasuki usia pensiun dalam beberapa tahun.",
    3: "Memimpin bagian dengan layanan inti; sulit diisi dari luar instansi.",
}


def _critical_positions(rng: random.Random, today: dt.date) -> int:
    """Every Eselon I to III position in the register, with a competency standard."""
    from sikd_simantap.models import CriticalPosition
    from sikd_simantap.scoring.succession import tier
    from sikd_simantap.succession import COMPETENCY_KEYS

    positions = db.session.scalars(
        select(Position).where(Position.kind == "struktural").order_by(Position.code)
    ).all()
    count = 0
    for position in positions:
        level = tier(position.eselon)
        if level not in (1, 2, 3):
            continue
        base = STANDARD_BY_TIER[level]
        position.critical = True
        db.session.add(
            CriticalPosition(
                position_id=position.id,
                reason=REASONS[level],
                flagged_on=dt.date(today.year, 1, 15),
                standard={
                    key: max(1, min(5, base - (1 if rng.random() < 0.25 else 0)))
                    for key in COMPETENCY_KEYS
                },
                technical=[{"name": "Manajemen Kearsipan", "level": base - 1}]
                if "UMUM" in position.code
                else [],
                updated_at=utcnow(),
            )
        )
        count += 1
    return count


def _competency_levels(rng: random.Random, today: dt.date) -> None:
    """Levels per competency at each employee's latest assessment, in line with its JPM."""
    from sqlalchemy import func

    from sikd_simantap.models import CompetencyLevel
    from sikd_simantap.scoring.succession import tier
    from sikd_simantap.succession import COMPETENCY_KEYS

    latest = (
        select(Competency.user_id, func.max(Competency.tanggal).label("tanggal"))
        .group_by(Competency.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Competency.user_id, Competency.tanggal, Competency.jpm, Position.eselon)
        .join(latest, (latest.c.user_id == Competency.user_id)
              & (latest.c.tanggal == Competency.tanggal))
        .join(User, User.id == Competency.user_id)
        .outerjoin(Position, Position.id == User.position_id)
    ).all()  # fmt: skip
    levels = []
    for user, day, jpm, eselon in rows:
        own = STANDARD_BY_TIER.get(tier(eselon) or 4, 3)
        for key in COMPETENCY_KEYS:
            value = round(own * (jpm or 80) / 100 + rng.gauss(0.3, 0.5))
            levels.append({"user_id": user, "tanggal": day, "kompetensi": key,
                           "level": max(1, min(5, value))})  # fmt: skip
    if levels:
        db.session.execute(insert(CompetencyLevel.__table__), levels)
