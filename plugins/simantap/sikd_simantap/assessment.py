"""The 360 assessment: generating a period's assignments from the organisation, a rater's
own forms, completion per unit and reminders.

Anonymity: nothing here returns a rating together with its rater to anyone but that rater.
The completion figures count assignments and name raters who still have forms open; they
never carry a rating. Functions change the current transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from sikd_host.plugin_api import N_, Position, Unit, User, audit, db, notifications, utcnow
from sikd_simantap.models import Assignment, Period, Rating
from sikd_simantap.periods import PeriodError
from sikd_simantap.scoring.assignments import REKAN, Options, Person, generate
from sikd_simantap.scoring.indicators import BERAKHLAK

ITEMS = tuple(range(1, len(BERAKHLAK) + 1))
MAX_COMMENT = 2000
CHUNK = 500


@dataclass(frozen=True)
class Generated:
    created: int
    removed: int
    kept_submitted: int
    total: int


def organisation() -> list[Person]:
    """Every active employee holding a position, in one query."""
    rows = db.session.execute(
        select(User.id, User.position_id, Position.unit_id, Position.superior_id)
        .join(Position, Position.id == User.position_id)
        .where(User.active.is_(True))
    )
    return [Person(*row) for row in rows]


def generate_assignments(actor: Any, period: Period, options: Options) -> Generated:
    """(Re)generate the period's assignments: new pairs are inserted in bulk, unsubmitted
    pairs no longer wanted are removed, submitted ones are always kept."""
    if period.status == "closed":
        raise PeriodError(
            {"": N_("The period is closed; its assignments can no longer change.")}, 409
        )
    existing = db.session.execute(
        select(
            Assignment.id,
            Assignment.rater_id,
            Assignment.ratee_id,
            Assignment.relation,
            Assignment.submitted_at,
        ).where(Assignment.period_id == period.id)
    ).all()
    rated = set(
        db.session.scalars(
            select(Rating.assignment_id)
            .join(Assignment, Assignment.id == Rating.assignment_id)
            .where(Assignment.period_id == period.id)
            .distinct()
        )
    )
    done = {row.id for row in existing if row.submitted_at is not None or row.id in rated}
    fixed = [
        (row.rater_id, row.ratee_id) for row in existing if row.id in done and row.relation == REKAN
    ]
    wanted = {
        (p.rater_id, p.ratee_id): p.relation for p in generate(organisation(), options, fixed)
    }
    have = {(row.rater_id, row.ratee_id): row for row in existing}
    stale = [
        row.id
        for key, row in have.items()
        if row.id not in done and wanted.get(key) != row.relation
    ]
    kept = {key for key, row in have.items() if row.id not in stale}
    new = [
        {
            "period_id": period.id,
            "rater_id": rater,
            "ratee_id": ratee,
            "relation": relation,
            "comment": "",
        }
        for (rater, ratee), relation in sorted(wanted.items())
        if (rater, ratee) not in kept
    ]
    try:
        for start in range(0, len(stale), CHUNK):  # bounded IN lists on every engine
            chunk = stale[start : start + CHUNK]
            db.session.execute(delete(Assignment).where(Assignment.id.in_(chunk)))
        if new:
            db.session.execute(insert(Assignment), new)
    except IntegrityError as error:  # generated at the same moment elsewhere
        raise PeriodError(
            {"": N_("The assignments were being generated at the same time; try again.")}, 409
        ) from error
    result = Generated(len(new), len(stale), len(done), len(kept) + len(new))
    audit.record(
        actor,
        "simantap.assignments_generated",
        "simantap_period",
        period.id,
        {
            "code": period.code,
            "seed": options.seed,
            "peers_per_ratee": options.peers_per_ratee,
            "peers_per_rater": options.peers_per_rater,
            "include_self": options.include_self,
            "created": result.created,
            "removed": result.removed,
            "total": result.total,
        },
    )
    return result


@dataclass(frozen=True)
class MyAssignment:
    id: int
    period_code: str
    ratee_name: str
    relation: str
    done: bool


def my_assignments(user: Any) -> list[MyAssignment]:
    """Whom ``user`` is to rate in open periods."""
    rows = db.session.execute(
        select(
            Assignment.id, Period.code, User.full_name, Assignment.relation, Assignment.submitted_at
        )
        .join(Period, Period.id == Assignment.period_id)
        .join(User, User.id == Assignment.ratee_id)
        .where(Assignment.rater_id == user.id, Period.status == "open")
        .order_by(Period.ends_on.desc(), Assignment.submitted_at.is_not(None), User.full_name)
    )
    return [
        MyAssignment(i, code, name, relation, at is not None)
        for i, code, name, relation, at in rows
    ]


def own_assignment(user: Any, assignment_id: int) -> Assignment | None:
    """The assignment when ``user`` is its rater; None otherwise (for everyone else, HR
    included, it does not exist)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.rater_id != user.id:
        return None
    return assignment


def ratings_of(assignment: Assignment) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Rating.butir, Rating.nilai).where(Rating.assignment_id == assignment.id)
        ).all()
    )


def submit(user: Any, assignment: Assignment, values: Mapping[int, int], comment: str) -> None:
    """Save the rater's 7 item ratings and comment (again, while the period is open)."""
    period = db.session.get(Period, assignment.period_id)
    if assignment.rater_id != user.id:
        raise PeriodError({"": N_("This is not your assessment.")}, 404)
    if period is None or period.status != "open":
        message = (
            N_("The period is closed; this assessment can no longer change.")
            if period is not None and period.status == "closed"
            else N_("The period is not open yet.")
        )
        raise PeriodError({"": message}, 409)
    errors = {
        f"butir_{item}": N_("Choose a value from 1 to 5.")
        for item in ITEMS
        if not isinstance(values.get(item), int) or not 1 <= values[item] <= 5
    }
    if len(comment or "") > MAX_COMMENT:
        errors["comment"] = N_("The comment is too long.")
    if errors:
        raise PeriodError(errors)
    try:
        db.session.execute(delete(Rating).where(Rating.assignment_id == assignment.id))
        db.session.execute(
            insert(Rating),
            [{"assignment_id": assignment.id, "butir": i, "nilai": values[i]} for i in ITEMS],
        )
    except IntegrityError as error:  # the same form saved at the same moment elsewhere
        raise PeriodError(
            {"": N_("The form was saved at the same time elsewhere; try again.")}, 409
        ) from error
    first = assignment.submitted_at is None
    assignment.submitted_at = utcnow()
    assignment.comment = (comment or "").strip()
    # no values in the audit trail: it only says that a form was saved
    audit.record(
        user,
        "simantap.assessment_submitted" if first else "simantap.assessment_edited",
        "simantap_assignment",
        assignment.id,
        {"period": period.code},
    )


@dataclass
class UnitCompletion:
    unit_id: int | None
    unit_code: str
    unit_name: str
    assignments: int = 0
    submitted: int = 0
    pending: list[tuple[str, int]] = field(default_factory=list)  # (rater name, open forms)

    @property
    def percent(self) -> float:
        return round(self.submitted / self.assignments * 100, 1) if self.assignments else 0.0


def completion(period: Period) -> list[UnitCompletion]:
    """Per unit of the rater: assignments, submitted, and raters with forms still open."""
    counts = db.session.execute(
        select(
            Position.unit_id,
            func.count(Assignment.id),
            func.count(Assignment.submitted_at),
        )
        .select_from(Assignment)
        .join(User, User.id == Assignment.rater_id)
        .outerjoin(Position, Position.id == User.position_id)
        .where(Assignment.period_id == period.id)
        .group_by(Position.unit_id)
    ).all()
    units = {
        unit_id: (code, name)
        for unit_id, code, name in db.session.execute(
            select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_([c[0] for c in counts if c[0]]))
        )
    }
    result = {
        unit_id: UnitCompletion(unit_id, *units.get(unit_id, ("-", "")), total, submitted)
        for unit_id, total, submitted in counts
    }
    pending = db.session.execute(
        select(Position.unit_id, User.full_name, func.count(Assignment.id))
        .select_from(Assignment)
        .join(User, User.id == Assignment.rater_id)
        .outerjoin(Position, Position.id == User.position_id)
        .where(Assignment.period_id == period.id, Assignment.submitted_at.is_(None))
        .group_by(Position.unit_id, User.id, User.full_name)
        .order_by(User.full_name)
    )
    for unit_id, name, open_forms in pending:
        result[unit_id].pending.append((name, open_forms))
    return sorted(result.values(), key=lambda row: (row.unit_id is None, row.unit_code))


def open_raters(period: Period) -> list[int]:
    return list(
        db.session.scalars(
            select(Assignment.rater_id)
            .join(User, User.id == Assignment.rater_id)
            .where(
                Assignment.period_id == period.id,
                Assignment.submitted_at.is_(None),
                User.active.is_(True),
            )
            .distinct()
        )
    )


def send_reminders(actor: Any, period: Period, link: str) -> int:
    """One in-app notification to every rater with open forms; returns how many."""
    if period.status != "open":
        raise PeriodError({"": N_("Reminders can only be sent while the period is open.")}, 409)
    raters = open_raters(period)
    count = notifications.notify(
        raters,
        N_("Reminder: please complete your 360 assessment for period %(period)s."),
        link,
        period=period.code,
    )
    audit.record(
        actor,
        "simantap.reminders_sent",
        "simantap_period",
        period.id,
        {"code": period.code, "raters": count},
    )
    return count


def default_seed(period: Period) -> int:
    """A stable seed of the period, used when none is given."""
    return sum((index + 1) * ord(char) for index, char in enumerate(period.code))
