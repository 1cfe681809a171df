"""The talent pool (kelompok rencana suksesi): employees in boxes 7-9 of the latest
published run, with their pool history across every period that has a published run."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sikd_host.plugin_api import Position, Unit, User, db
from sikd_simantap.models import Employee, Period, Result, Run
from sikd_simantap.scoring import pool as rules
from sikd_simantap.scoring.mapping import TALENT_POOL
from sikd_simantap.succession import Basis, latest_basis


@dataclass(frozen=True)
class Member:
    user_id: int
    nip: str | None
    name: str
    unit: str | None
    position: str | None
    eselon: str | None
    golongan: str | None
    box: int
    kinerja: float | None
    potensial: float | None
    stints: tuple[rules.Stint, ...]


def published_periods() -> list[tuple[int, str, int]]:
    """(period id, code, published run id), oldest first."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(Period.id, Period.code, Run.id)
            .join(Run, Run.period_id == Period.id)
            .where(Run.published.is_(True))
            .order_by(Period.ends_on)
        )
    ]


def history(user_ids: list[int] | None = None) -> dict[int, list[rules.Stint]]:
    """Pool stints of every employee (or of ``user_ids``), from one query."""
    periods = published_periods()
    statement = (
        select(Period.code, Result.user_id)
        .join(Run, Run.id == Result.run_id)
        .join(Period, Period.id == Run.period_id)
        .where(Run.published.is_(True), Result.box.in_(TALENT_POOL))
    )
    if user_ids is not None:
        statement = statement.where(Result.user_id.in_(user_ids))
    members: dict[str, set[int]] = defaultdict(set)
    for code, user in db.session.execute(statement):
        members[code].add(user)
    return rules.history([code for _id, code, _run in periods], members)


def members(basis: Basis | None = None, unit_ids: Any = None) -> list[Member]:
    """The pool of the basis run (the latest published one by default), best first."""
    basis = basis or latest_basis()
    if basis is None:
        return []
    statement = (
        select(
            User.id, User.nip, User.full_name, Unit.name, Position.name, Position.eselon,
            Employee.golongan, Result.box, Result.kinerja, Result.potensial,
        )
        .join(Result, Result.user_id == User.id)
        .outerjoin(Position, Position.id == Result.position_id)
        .outerjoin(Unit, Unit.id == Result.unit_id)
        .outerjoin(Employee, Employee.user_id == User.id)
        .where(Result.run_id == basis.run_id, Result.box.in_(TALENT_POOL))
        .order_by(Result.box.desc(), Result.kinerja.desc(), User.full_name, User.id)
    )  # fmt: skip
    if unit_ids is not None:
        statement = statement.where(Result.unit_id.in_(unit_ids))
    rows = db.session.execute(statement).all()
    ids = [row[0] for row in rows]
    stints = history(ids if len(ids) <= 900 else None) if rows else {}
    return [Member(*row, tuple(stints.get(row[0], ()))) for row in rows]
