"""An employee's talent data: who they are (from the NIP), their rank, education, position,
retirement (BUP) and the records imported for them; and who may see it.

Visibility is a SQL condition on the user table, so lists filter in the database: holders of
``simantap.view_all`` or ``simantap.manage`` see everyone, a unit leader the employees of
their unit subtree, and everyone their own data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from sikd_host.plugin_api import NIP, NIPError, Position, Unit, User, db, org, parse_nip, ranks
from sikd_simantap.models import (
    Attendance,
    Competency,
    Discipline,
    EKinerja,
    Employee,
    Period,
    Skp,
    Training,
)
from sikd_simantap.scoring.people import bup_age, retirement_date, years_to

PAGE_SIZE = 50
SEE_ALL = ("simantap.view_all", "simantap.manage")


@dataclass(frozen=True)
class Retirement:
    bup: int
    retires_on: dt.date | None
    years_left: float | None


@dataclass(frozen=True)
class Talent:
    """What the talent page shows about one employee."""

    user_id: int
    username: str
    full_name: str
    email: str
    nip_digits: str | None
    nip: NIP | None  # None when the stored NIP is missing or invalid
    golongan: str | None
    pendidikan: str | None
    tmt_jabatan: dt.date | None
    position_code: str | None
    position_name: str | None
    position_kind: str | None
    eselon: str | None
    jenjang: str | None
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    reference: dt.date
    retirement: Retirement

    @property
    def nip_grouped(self) -> str:
        return self.nip.grouped if self.nip else (self.nip_digits or "")

    @property
    def birth_date(self) -> dt.date | None:
        return self.nip.birth_date if self.nip else None

    @property
    def gender(self) -> str | None:
        return self.nip.gender if self.nip else None

    @property
    def pangkat(self) -> str | None:
        return pangkat(self.golongan)


def pangkat(golongan: str | None) -> str | None:
    """The rank's name of a golongan (``III/a`` -> ``Penata Muda``)."""
    return ranks.GOLONGAN.get(golongan) if golongan else None


def parsed_nip(digits: str | None) -> NIP | None:
    if not digits:
        return None
    try:
        return parse_nip(digits)
    except NIPError:
        return None


def retirement(
    birth: dt.date | None,
    kind: str | None,
    eselon: str | None,
    jenjang: str | None,
    reference: dt.date,
) -> Retirement:
    """BUP from the position; the retirement date and the years left from the birth date."""
    bup = bup_age(kind, eselon, jenjang)
    if birth is None:
        return Retirement(bup, None, None)
    retires_on = retirement_date(birth, bup)
    return Retirement(bup, retires_on, years_to(retires_on, reference))


def reference_date(period_code: str | None, today: dt.date | None = None) -> dt.date:
    """The reference date of the named period, else today."""
    if period_code:
        ends_on = db.session.scalar(select(Period.ends_on).where(Period.code == period_code))
        if ends_on is not None:
            return ends_on
    return today or dt.date.today()


# --- who may see whom ---------------------------------------------------------------


def sees_everyone(viewer: Any) -> bool:
    return any(viewer.has_permission(name) for name in SEE_ALL)


def visible(viewer: Any) -> ColumnElement[bool]:
    """The WHERE condition on ``User`` of the employees whose talent data ``viewer`` sees."""
    if viewer is None or not viewer.is_authenticated:
        return false()
    if sees_everyone(viewer):
        return true()
    own = User.id == viewer.id
    if viewer.position is not None and org.leads_unit(viewer):
        subtree = select(Position.id).where(
            Position.unit_id.in_(org.unit_subtree_ids(viewer.position.unit_id))
        )
        return or_(own, User.position_id.in_(subtree))
    return own


def may_list(viewer: Any) -> bool:
    """The employee list is for those who see more than themselves."""
    return sees_everyone(viewer) or (viewer.position is not None and org.leads_unit(viewer))


def is_employee() -> ColumnElement[bool]:
    """A user is an employee when they have a NIP or Simantap talent data."""
    return or_(User.nip.is_not(None), Employee.user_id.is_not(None))


def _talent_query() -> Select:
    return (
        select(User, Employee, Position, Unit)
        .outerjoin(Employee, Employee.user_id == User.id)
        .outerjoin(Position, Position.id == User.position_id)
        .outerjoin(Unit, Unit.id == Position.unit_id)
    )


def _talent(row: Any, reference: dt.date) -> Talent:
    user, employee, position, unit = row
    nip = parsed_nip(user.nip)
    return Talent(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        nip_digits=user.nip,
        nip=nip,
        golongan=employee.golongan if employee else None,
        pendidikan=employee.pendidikan if employee else None,
        tmt_jabatan=employee.tmt_jabatan if employee else None,
        position_code=position.code if position else None,
        position_name=position.name if position else None,
        position_kind=position.kind if position else None,
        eselon=position.eselon if position else None,
        jenjang=position.jenjang if position else None,
        unit_id=unit.id if unit else None,
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        reference=reference,
        retirement=retirement(
            nip.birth_date if nip else None,
            position.kind if position else None,
            position.eselon if position else None,
            position.jenjang if position else None,
            reference,
        ),
    )


def talent_of(viewer: Any, user_id: int, reference: dt.date) -> Talent | None:
    """One employee's talent data, or None when there is none or ``viewer`` may not see it."""
    row = db.session.execute(
        _talent_query().where(User.id == user_id, is_employee(), visible(viewer))
    ).first()
    return _talent(row, reference) if row else None


def employees(
    viewer: Any, reference: dt.date, unit_id: int | None = None, page: int = 1
) -> tuple[list[Talent], bool]:
    """A page of the employees ``viewer`` sees, optionally within a unit's subtree, by name;
    and whether another page follows."""
    statement = _talent_query().where(User.active, is_employee(), visible(viewer))
    if unit_id is not None:
        statement = statement.where(Position.unit_id.in_(org.unit_subtree_ids(unit_id)))
    rows = db.session.execute(
        statement.order_by(User.full_name, User.id)
        .limit(PAGE_SIZE + 1)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return [_talent(row, reference) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


# --- the records imported for an employee --------------------------------------------


@dataclass(frozen=True)
class History:
    skp: list[Skp]
    competency: list[Competency]
    training: list[Training]
    discipline: list[Discipline]
    attendance: list[Attendance]
    ekinerja: list[EKinerja]


def history(user_id: int) -> History:
    """Every imported record of the employee, newest first (one query per kind)."""

    def rows(model: Any, *order: Any) -> list[Any]:
        return list(
            db.session.scalars(select(model).where(model.user_id == user_id).order_by(*order))
        )

    return History(
        skp=rows(Skp, Skp.tahun.desc()),
        competency=rows(Competency, Competency.tanggal.desc()),
        training=rows(Training, Training.tanggal.desc(), Training.nama),
        discipline=rows(Discipline, Discipline.tanggal.desc()),
        attendance=rows(Attendance, Attendance.periode.desc()),
        ekinerja=rows(EKinerja, EKinerja.periode.desc()),
    )
