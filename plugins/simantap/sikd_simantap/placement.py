"""Measurable placement ("Cari kandidat"): up to five candidates for a position side by side,
on everything a placement committee weighs: box history, axis scores with their breakdown,
JPM against the position's standard competency by competency, golongan, years left to BUP,
discipline and training. One query per table for the whole set of candidates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from sikd_host.plugin_api import Position, Unit, User, db
from sikd_simantap import results
from sikd_simantap.models import CriticalPosition, Employee, Result, Run, Training
from sikd_simantap.pool import published_periods
from sikd_simantap.scoring import succession as rules
from sikd_simantap.scoring.indicators import in_last_two_years, worst_discipline
from sikd_simantap.scoring.numbers import round2
from sikd_simantap.scoring.people import years_to
from sikd_simantap.succession import (
    COMPETENCIES,
    Basis,
    competency_levels,
    latest_basis,
    people,
)

MAX_CANDIDATES = 5


@dataclass(frozen=True)
class CompetencyGap:
    key: str
    label: str
    standard: int | None
    level: int | None

    @property
    def gap(self) -> int | None:
        if self.standard is None or self.level is None:
            return None
        return self.level - self.standard


@dataclass
class Candidate:
    user_id: int
    name: str
    nip: str
    unit: str | None
    position: str | None
    eselon: str | None
    golongan: str | None
    person: rules.Person
    assessment: rules.Assessment
    boxes: list[tuple[str, int | None]]  # (period code, box) oldest first
    explanation: results.Explanation | None
    competencies: list[CompetencyGap]
    jpm_for_position: float | None  # levels against this position's standard
    years_to_bup: float | None
    penalties: list[tuple[dt.date, str]]
    worst_penalty: str | None
    training_jp: float  # JP dated in the basis period
    training_count: int


@dataclass
class Comparison:
    position: Position
    basis: Basis
    standard: Mapping[str, int]
    candidates: list[Candidate] = field(default_factory=list)


def jpm_against(levels: Mapping[str, int], standard: Mapping[str, int]) -> float | None:
    """Levels as a percentage of the standard, each competency counted up to its standard
    (a level above the standard does not make up for a gap elsewhere); None without data."""
    keys = [key for key, wanted in standard.items() if wanted and key in levels]
    if not keys or len(keys) < len([k for k, w in standard.items() if w]):
        return None
    wanted = sum(standard[key] for key in keys)
    return round2(sum(min(levels[key], standard[key]) for key in keys) / wanted * 100)


def _box_history(user_ids: Sequence[int]) -> dict[int, dict[str, int | None]]:
    periods = {run: code for _id, code, run in published_periods()}
    found: dict[int, dict[str, int | None]] = defaultdict(dict)
    if not periods:
        return found
    for run_id, user, box in db.session.execute(
        select(Result.run_id, Result.user_id, Result.box).where(
            Result.run_id.in_(list(periods)), Result.user_id.in_(list(user_ids))
        )
    ):
        found[user][periods[run_id]] = box
    return found


def _training(user_ids: Sequence[int], basis: Basis, starts_on: dt.date) -> dict[int, tuple]:
    return {
        user: (float(jp or 0), count)
        for user, jp, count in db.session.execute(
            select(Training.user_id, func.sum(Training.jp), func.count())
            .where(
                Training.user_id.in_(list(user_ids)),
                Training.tanggal >= starts_on,
                Training.tanggal <= basis.reference,
            )
            .group_by(Training.user_id)
        )
    }


def compare(position: Position, user_ids: Sequence[int], viewer: Any) -> Comparison | None:
    """The comparison of up to five candidates for ``position`` (None: no published run)."""
    basis = latest_basis()
    if basis is None:
        return None
    ids = list(dict.fromkeys(user_ids))[:MAX_CANDIDATES]
    entry = db.session.get(CriticalPosition, position.id)
    standard = dict(entry.standard) if entry else {}
    comparison = Comparison(position, basis, standard)
    if not ids:
        return comparison
    holders = frozenset(db.session.scalars(select(User.id).where(User.position_id == position.id)))
    target = rules.Target(position.id, position.eselon or "", holders)
    facts = people(basis, ids)
    rows = db.session.execute(
        select(User.id, User.full_name, User.nip, Unit.name, Position.name, Position.eselon,
               Employee.golongan)
        .outerjoin(Position, Position.id == User.position_id)
        .outerjoin(Unit, Unit.id == Position.unit_id)
        .outerjoin(Employee, Employee.user_id == User.id)
        .where(User.id.in_(ids))
    ).all()  # fmt: skip
    by_id = {row[0]: row for row in rows}
    boxes = _box_history(ids)
    period_codes = [code for _id, code, _run in published_periods()]
    levels = competency_levels(ids, basis.reference)
    run = db.session.get(Run, basis.run_id)
    training = _training(ids, basis, run.period.starts_on)
    for user in ids:
        if user not in by_id or user not in facts:
            continue
        _id, name, nip, unit, held, eselon, golongan = by_id[user]
        person = facts[user]
        own_levels = levels.get(user, {})
        gaps = [
            CompetencyGap(key, label, standard.get(key), own_levels.get(key))
            for key, label in COMPETENCIES
        ]
        gaps += [
            CompetencyGap(item["name"], item["name"], item["level"], own_levels.get(item["name"]))
            for item in (entry.technical if entry else [])
        ]
        penalties = [
            (day, level)
            for day, level in person.penalties
            if in_last_two_years(day, basis.reference)
        ]
        jp, count = training.get(user, (0.0, 0))
        comparison.candidates.append(
            Candidate(
                user_id=user,
                name=name,
                nip=nip or "",
                unit=unit,
                position=held,
                eselon=eselon,
                golongan=golongan,
                person=person,
                assessment=rules.assess(person, target, basis.reference),
                boxes=[(code, boxes.get(user, {}).get(code)) for code in period_codes],
                explanation=results.explain(run, user, viewer),
                competencies=gaps,
                jpm_for_position=jpm_against(own_levels, standard) if standard else None,
                years_to_bup=years_to(person.retires_on, basis.reference)
                if person.retires_on
                else None,
                penalties=sorted(penalties),
                worst_penalty=worst_discipline(level for _day, level in penalties),
                training_jp=jp,
                training_count=count,
            )
        )
    return comparison


def suggestions(position: Position, limit: int = MAX_CANDIDATES) -> list[int]:
    """The best eligible candidates for any structural position (the plan's top for a
    critical one), by the section 7 ranking; nobody for a position without an eselon."""
    basis = latest_basis()
    if basis is None or not position.eselon:
        return []
    holders = frozenset(db.session.scalars(select(User.id).where(User.position_id == position.id)))
    target = rules.Target(position.id, position.eselon, holders)
    eligible, _failing = rules.plan(people(basis).values(), target, basis.reference)
    return [a.person.user_id for a in eligible[:limit]]
