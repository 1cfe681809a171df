"""Critical positions, the talent pool and succession plans (DOMAIN.md sections 5 and 7).

Everything is computed from the latest published run: its period's last day is the
reference date. The facts the rules need are read for the whole pool in one query per
table, then ``scoring.succession`` (pure) decides eligibility, rank and readiness, so the
plans of all critical positions cost a handful of queries, whatever their number.

Overrides (a nomination outside the computed list, a removal from it) always carry a
written reason, are audited and are shown on the plan; a frozen plan keeps the ranked list
as it stood.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select

from sikd_host.plugin_api import N_, NIPError, Position, Unit, User, audit, db, parse_nip, utcnow
from sikd_simantap.models import (
    Competency,
    CompetencyLevel,
    CriticalPosition,
    Discipline,
    Employee,
    Period,
    Result,
    Run,
    SuccessionOverride,
    SuccessionPlan,
)
from sikd_simantap.scoring import succession as rules
from sikd_simantap.scoring.mapping import TALENT_POOL
from sikd_simantap.scoring.people import bup_age, retirement_date

MANAGERIAL = (
    ("integritas", N_("Integritas")),
    ("kerja_sama", N_("Kerja Sama")),
    ("komunikasi", N_("Komunikasi")),
    ("orientasi_hasil", N_("Orientasi pada Hasil")),
    ("pelayanan_publik", N_("Pelayanan Publik")),
    ("pengembangan_diri", N_("Pengembangan Diri dan Orang Lain")),
    ("mengelola_perubahan", N_("Mengelola Perubahan")),
    ("pengambilan_keputusan", N_("Pengambilan Keputusan")),
)
SOCIO_CULTURAL = (("perekat_bangsa", N_("Perekat Bangsa")),)
COMPETENCIES = MANAGERIAL + SOCIO_CULTURAL
COMPETENCY_KEYS = tuple(key for key, _label in COMPETENCIES)
MAX_REASON = 2000


class SuccessionError(Exception):
    """A refused action; ``message`` is an English msgid, ``params`` its parameters."""

    def __init__(self, message: str, field_name: str | None = None, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params, self.field = message, params, field_name


# --- the latest published run ----------------------------------------------------------


@dataclass(frozen=True)
class Basis:
    """The run succession is computed from, and its reference date."""

    run_id: int
    period_id: int
    period_code: str
    reference: dt.date


def latest_basis() -> Basis | None:
    row = db.session.execute(
        select(Run.id, Period.id, Period.code, Period.ends_on)
        .join(Period, Period.id == Run.period_id)
        .where(Run.published.is_(True))
        .order_by(Period.ends_on.desc())
        .limit(1)
    ).first()
    return Basis(*row) if row else None


# --- facts about people, for the whole set at once --------------------------------------


def _birth(nip: str | None) -> dt.date | None:
    try:
        return parse_nip(nip).birth_date if nip else None
    except NIPError:
        return None


def people(basis: Basis, user_ids: Iterable[int] | None = None) -> dict[int, rules.Person]:
    """The talent-pool members of the basis run (and any ``user_ids`` besides), as the
    rules see them: one query per table."""
    extra = sorted(set(user_ids or ()))
    in_pool = Result.box.in_(TALENT_POOL)
    wanted = in_pool if not extra else (in_pool | Result.user_id.in_(extra))
    rows = db.session.execute(
        select(
            User.id, User.nip, Result.box, Result.kinerja, Result.potensial, User.position_id,
            Position.kind, Position.eselon, Position.jenjang, Employee.golongan,
        )
        .join(Result, and_(Result.user_id == User.id, Result.run_id == basis.run_id))
        .outerjoin(Position, Position.id == User.position_id)
        .outerjoin(Employee, Employee.user_id == User.id)
        .where(wanted)
    ).all()  # fmt: skip
    missing = [u for u in extra if u not in {row[0] for row in rows}]
    if missing:  # nominated people without a result in the run
        rows += db.session.execute(
            select(
                User.id, User.nip, None, None, None, User.position_id, Position.kind,
                Position.eselon, Position.jenjang, Employee.golongan,
            )
            .outerjoin(Position, Position.id == User.position_id)
            .outerjoin(Employee, Employee.user_id == User.id)
            .where(User.id.in_(missing))
        ).all()  # fmt: skip
    ids = [row[0] for row in rows]
    penalties = _penalties(ids, basis.reference)
    jpm = _latest_jpm(ids, basis.reference)
    found = {}
    for user, nip, box, kinerja, potensial, position, kind, eselon, jenjang, golongan in rows:
        birth = _birth(nip)
        retires = retirement_date(birth, bup_age(kind, eselon, jenjang)) if birth else None
        found[user] = rules.Person(
            user_id=user,
            nip=nip or "",
            box=box,
            kinerja=kinerja,
            potensial=potensial,
            position_id=position,
            position_kind=kind,
            eselon=eselon,
            golongan=golongan,
            penalties=tuple(penalties.get(user, ())),
            retires_on=retires,
            jpm=jpm.get(user),
        )
    return found


def _chunks(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _penalties(ids: Sequence[int], reference: dt.date) -> dict[int, list[tuple[dt.date, str]]]:
    """Discipline penalties dated up to the reference date and not older than 3 years (the
    rule then keeps those of the last 2 years)."""
    since = reference.replace(year=reference.year - 3, day=min(reference.day, 28))
    found: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for part in _chunks(list(ids)):
        for user, day, level in db.session.execute(
            select(Discipline.user_id, Discipline.tanggal, Discipline.tingkat).where(
                Discipline.user_id.in_(part),
                Discipline.tanggal <= reference,
                Discipline.tanggal > since,
            )
        ):
            found[user].append((day, level))
    return found


def _latest_jpm(ids: Sequence[int], reference: dt.date) -> dict[int, float]:
    """The JPM of each employee's latest assessment on or before the reference date."""
    latest = (
        select(Competency.user_id, func.max(Competency.tanggal).label("tanggal"))
        .where(Competency.tanggal <= reference, Competency.jpm.is_not(None))
        .group_by(Competency.user_id)
        .subquery()
    )
    found = {}
    for part in _chunks(list(ids)):
        for user, jpm in db.session.execute(
            select(Competency.user_id, Competency.jpm)
            .join(
                latest,
                and_(
                    latest.c.user_id == Competency.user_id, latest.c.tanggal == Competency.tanggal
                ),
            )
            .where(Competency.user_id.in_(part))
        ):
            found[user] = jpm
    return found


def competency_levels(user_ids: Sequence[int], reference: dt.date) -> dict[int, dict[str, int]]:
    """Each employee's levels per competency at their latest detailed assessment on or
    before the reference date."""
    latest = (
        select(CompetencyLevel.user_id, func.max(CompetencyLevel.tanggal).label("tanggal"))
        .where(CompetencyLevel.tanggal <= reference)
        .group_by(CompetencyLevel.user_id)
        .subquery()
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for part in _chunks(list(user_ids)):
        for user, name, level in db.session.execute(
            select(CompetencyLevel.user_id, CompetencyLevel.kompetensi, CompetencyLevel.level)
            .join(
                latest,
                and_(
                    latest.c.user_id == CompetencyLevel.user_id,
                    latest.c.tanggal == CompetencyLevel.tanggal,
                ),
            )
            .where(CompetencyLevel.user_id.in_(part))
        ):
            found[user][name] = level
    return dict(found)


# --- the register of critical positions -------------------------------------------------


@dataclass
class Holder:
    user_id: int
    name: str
    nip: str | None
    retires_on: dt.date | None


@dataclass
class Critical:
    position_id: int
    code: str
    name: str
    eselon: str | None
    unit_code: str | None
    unit_name: str | None
    details: CriticalPosition | None
    holders: list[Holder] = field(default_factory=list)

    @property
    def target(self) -> rules.Target:
        return rules.Target(
            self.position_id, self.eselon or "", frozenset(h.user_id for h in self.holders)
        )


def critical_positions(position_id: int | None = None) -> list[Critical]:
    """Every position flagged critical, by eselon then code, with its holders."""
    statement = (
        select(Position, Unit.code, Unit.name, CriticalPosition)
        .outerjoin(Unit, Unit.id == Position.unit_id)
        .outerjoin(CriticalPosition, CriticalPosition.position_id == Position.id)
        .where(Position.critical.is_(True))
        .order_by(Position.eselon, Position.code)
    )
    if position_id is not None:
        statement = statement.where(Position.id == position_id)
    found = {
        position.id: Critical(
            position.id,
            position.code,
            position.name,
            position.eselon,
            unit_code,
            unit_name,
            details,
        )  # fmt: skip
        for position, unit_code, unit_name, details in db.session.execute(statement)
    }
    if found:
        for user, name, nip, position, kind, eselon, jenjang in db.session.execute(
            select(
                User.id, User.full_name, User.nip, User.position_id, Position.kind,
                Position.eselon, Position.jenjang,
            )
            .join(Position, Position.id == User.position_id)
            .where(User.position_id.in_(found), User.active.is_(True))
            .order_by(User.full_name)
        ):  # fmt: skip
            birth = _birth(nip)
            retires = retirement_date(birth, bup_age(kind, eselon, jenjang)) if birth else None
            found[position].holders.append(Holder(user, name, nip, retires))
    return list(found.values())


def critical_position(position_id: int) -> Critical | None:
    found = critical_positions(position_id)
    return found[0] if found else None


def validate_standard(standard: Mapping[str, Any]) -> dict[str, str]:
    """Errors by field of a competency standard: each level a whole number from 1 to 5."""
    errors = {}
    for key in COMPETENCY_KEYS:
        value = standard.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[key] = N_("Choose a level from 1 to 5.")
    return errors


def save_register_entry(
    position: Position,
    actor: Any,
    *,
    reason: str,
    flagged_on: dt.date,
    standard: Mapping[str, int],
    technical: Sequence[Mapping[str, Any]],
) -> CriticalPosition:
    """Flag a position critical (or update its entry), with its standard; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise SuccessionError(N_("Write why the position is critical."), "reason")
    if len(reason) > MAX_REASON:
        raise SuccessionError(N_("At most %(n)s characters."), "reason", n=MAX_REASON)
    if not position.eselon or rules.tier(position.eselon) not in (1, 2, 3):
        raise SuccessionError(
            N_("Only Eselon I to III positions are critical positions."), "position"
        )
    errors = validate_standard(standard)
    if errors:
        key = next(iter(errors))
        raise SuccessionError(errors[key], key)
    entry = db.session.get(CriticalPosition, position.id)
    before = None
    if entry is None:
        entry = CriticalPosition(position_id=position.id)
        db.session.add(entry)
    else:
        before = {"reason": entry.reason, "standard": entry.standard}
    entry.reason = reason
    entry.flagged_on = flagged_on
    entry.standard = {key: int(standard[key]) for key in COMPETENCY_KEYS}
    entry.technical = [
        {"name": str(item["name"])[:200], "level": int(item["level"])}
        for item in technical
        if str(item.get("name") or "").strip()
    ]
    entry.updated_at = utcnow()
    entry.updated_by_id = getattr(actor, "id", None)
    position.critical = True
    audit.record(
        actor,
        "simantap.critical_saved",
        "position",
        position.id,
        {"code": position.code, "reason": reason, "before": before},
    )
    return entry


def unflag(position: Position, actor: Any, reason: str) -> None:
    """Take a position off the register (its entry and plans are kept); audited."""
    reason = (reason or "").strip()
    if not reason:
        raise SuccessionError(N_("Write why the position is no longer critical."), "reason")
    position.critical = False
    audit.record(
        actor, "simantap.critical_removed", "position", position.id,
        {"code": position.code, "reason": reason[:MAX_REASON]},
    )  # fmt: skip


# --- plans ------------------------------------------------------------------------------


@dataclass
class Line:
    """One candidate on a plan."""

    assessment: rules.Assessment
    name: str
    unit: str | None
    position: str | None
    override: SuccessionOverride | None = None  # the nomination or removal behind the line

    @property
    def person(self) -> rules.Person:
        return self.assessment.person


@dataclass
class Plan:
    critical: Critical
    basis: Basis
    candidates: list[Line]  # ranked, nominations included
    failing: list[Line]  # pool members who fail, with their rules
    removed: list[Line]  # taken off by HR, with the reason
    overrides: list[SuccessionOverride]
    frozen: SuccessionPlan | None

    @property
    def ready_counts(self) -> Mapping[str, int]:
        return rules.ready_counts([line.assessment for line in self.candidates])

    @property
    def ready_now(self) -> int:
        return self.ready_counts[rules.READY_NOW]

    @property
    def red_flag(self) -> bool:
        return self.ready_now == 0 or any(
            rules.retires_within(holder.retires_on, self.basis.reference)
            for holder in self.critical.holders
        )

    def red_flag_reasons(self) -> list[str]:
        reasons = []
        if self.ready_now == 0:
            reasons.append(N_("No successor is ready now."))
        if any(
            rules.retires_within(h.retires_on, self.basis.reference) for h in self.critical.holders
        ):
            reasons.append(N_("The holder retires within 2 years."))
        return reasons


def active_overrides(position_ids: Iterable[int]) -> dict[int, list[SuccessionOverride]]:
    found: dict[int, list[SuccessionOverride]] = defaultdict(list)
    ids = list(position_ids)
    if not ids:
        return found
    for override in db.session.scalars(
        select(SuccessionOverride)
        .where(SuccessionOverride.position_id.in_(ids), SuccessionOverride.active.is_(True))
        .order_by(SuccessionOverride.created_at)
    ):
        found[override.position_id].append(override)
    return found


def _labels(user_ids: Iterable[int]) -> dict[int, tuple[str, str | None, str | None]]:
    ids = sorted(set(user_ids))
    found = {}
    for part in _chunks(ids):
        for user, name, unit, position in db.session.execute(
            select(User.id, User.full_name, Unit.name, Position.name)
            .outerjoin(Position, Position.id == User.position_id)
            .outerjoin(Unit, Unit.id == Position.unit_id)
            .where(User.id.in_(part))
        ):
            found[user] = (name, unit, position)
    return found


def plans(position_id: int | None = None, basis: Basis | None = None) -> list[Plan]:
    """The succession plan of one critical position, or of all of them, computed now."""
    basis = basis or latest_basis()
    if basis is None:
        return []
    positions = critical_positions(position_id)
    overrides = active_overrides(c.position_id for c in positions)
    nominated = {o.user_id for items in overrides.values() for o in items if o.action == "nominate"}
    facts = people(basis, nominated)
    frozen = {
        plan.position_id: plan
        for plan in db.session.scalars(
            select(SuccessionPlan).where(
                SuccessionPlan.period_id == basis.period_id,
                SuccessionPlan.position_id.in_([c.position_id for c in positions]),
            )
        )
    }
    computed = []
    shown: set[int] = set()
    for critical in positions:
        eligible, failing = rules.plan(facts.values(), critical.target, basis.reference)
        computed.append((critical, eligible, failing))
        shown.update(a.person.user_id for a in eligible + failing)
    shown.update(nominated)
    labels = _labels(shown)
    result = []
    for critical, eligible, failing in computed:
        own = overrides.get(critical.position_id, [])
        removed_ids = {o.user_id: o for o in own if o.action == "remove"}
        nominations = {o.user_id: o for o in own if o.action == "nominate"}

        def line(assessment: rules.Assessment, override: SuccessionOverride | None = None):
            name, unit, position = labels.get(assessment.person.user_id, ("?", None, None))
            return Line(assessment, name, unit, position, override)

        candidates = [line(a) for a in eligible if a.person.user_id not in removed_ids]
        listed = {c.person.user_id for c in candidates}
        for user, override in nominations.items():
            if user in listed or user in removed_ids or user not in facts:
                continue
            candidates.append(
                line(rules.assess(facts[user], critical.target, basis.reference), override)
            )
        candidates.sort(key=lambda c: rules.rank_key(c.assessment))
        removed = [
            line(rules.assess(facts[u], critical.target, basis.reference), o)
            for u, o in removed_ids.items()
            if u in facts
        ]
        result.append(
            Plan(
                critical,
                basis,
                candidates,
                [line(a) for a in failing if a.person.user_id not in nominations],
                removed,
                own,
                frozen.get(critical.position_id),
            )
        )
    return result


def plan_of(position_id: int) -> Plan | None:
    found = plans(position_id)
    return found[0] if found else None


def _reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SuccessionError(N_("A written reason is required."), field_name)
    if len(reason) > MAX_REASON:
        raise SuccessionError(N_("At most %(n)s characters."), field_name, n=MAX_REASON)
    return reason


def add_override(position_id: int, user_id: int, action: str, reason: str, actor: Any):
    """Nominate someone outside the computed list, or remove someone from it; audited."""
    if action not in ("nominate", "remove"):
        raise SuccessionError(N_("Choose nominate or remove."), "action")
    reason = _reason(reason)
    if critical_position(position_id) is None:
        raise SuccessionError(N_("That position is not a critical position."), "position")
    if db.session.get(User, user_id) is None:
        raise SuccessionError(N_("There is no such employee."), "user")
    if db.session.scalar(
        select(SuccessionOverride.id).where(
            SuccessionOverride.position_id == position_id,
            SuccessionOverride.user_id == user_id,
            SuccessionOverride.active.is_(True),
        )
    ):
        raise SuccessionError(N_("This employee already has a manual change on this plan."), "user")
    override = SuccessionOverride(
        position_id=position_id,
        user_id=user_id,
        action=action,
        reason=reason,
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
    )
    db.session.add(override)
    db.session.flush()
    audit.record(
        actor,
        f"simantap.succession_{action}",
        "position",
        position_id,
        {"user_id": user_id, "reason": reason, "override": override.id},
    )
    return override


def lift_override(override_id: int, reason: str, actor: Any) -> SuccessionOverride:
    override = db.session.get(SuccessionOverride, override_id)
    if override is None or not override.active:
        raise SuccessionError(N_("There is no such manual change."), "override")
    override.lift_reason = _reason(reason)
    override.active = False
    override.lifted_at = utcnow()
    override.lifted_by_id = getattr(actor, "id", None)
    audit.record(
        actor, "simantap.succession_override_lifted", "position", override.position_id,
        {"override": override.id, "user_id": override.user_id, "reason": override.lift_reason},
    )  # fmt: skip
    return override


def snapshot(plan: Plan) -> dict[str, Any]:
    """The plan as plain data, as a frozen plan keeps it."""

    def item(line: Line) -> dict[str, Any]:
        person, assessment = line.person, line.assessment
        return {
            "user_id": person.user_id, "nip": person.nip, "name": line.name,
            "unit": line.unit, "position": line.position, "box": person.box,
            "kinerja": person.kinerja, "potensial": person.potensial, "jpm": person.jpm,
            "golongan": person.golongan, "eselon": person.eselon,
            "retires_on": person.retires_on.isoformat() if person.retires_on else None,
            "score": assessment.score, "readiness": assessment.readiness,
            "failed": list(assessment.failed),
            "override": line.override.reason if line.override else None,
        }  # fmt: skip

    return {
        "position": {"id": plan.critical.position_id, "code": plan.critical.code,
                     "name": plan.critical.name, "eselon": plan.critical.eselon},
        "period": plan.basis.period_code,
        "run_id": plan.basis.run_id,
        "reference": plan.basis.reference.isoformat(),
        "candidates": [item(line) for line in plan.candidates],
        "removed": [item(line) for line in plan.removed],
        "failing": [item(line) for line in plan.failing],
    }  # fmt: skip


def freeze(position_id: int, actor: Any, note: str = "") -> SuccessionPlan:
    """Freeze (publish) the plan of a position for the basis period; once per period."""
    plan = plan_of(position_id)
    if plan is None:
        raise SuccessionError(N_("There is no plan to freeze: no published run yet."), "position")
    if plan.frozen is not None:
        raise SuccessionError(
            N_("The plan of this position is already frozen for period %(code)s."),
            "position",
            code=plan.basis.period_code,
        )
    frozen = SuccessionPlan(
        position_id=position_id,
        period_id=plan.basis.period_id,
        run_id=plan.basis.run_id,
        snapshot=snapshot(plan),
        frozen_at=utcnow(),
        frozen_by_id=getattr(actor, "id", None),
        note=(note or "").strip()[:MAX_REASON],
    )
    db.session.add(frozen)
    db.session.flush()
    audit.record(
        actor, "simantap.succession_frozen", "position", position_id,
        {"period": plan.basis.period_code, "plan": frozen.id,
         "candidates": len(plan.candidates)},
    )  # fmt: skip
    return frozen
