"""Who sees which record, as SQL conditions that every list, search and object URL uses.

A user sees the records of their own unit (and of its whole subtree when they lead it),
records sent or copied to them, and everything with ``archive.view_all``. Rahasia and
Sangat Rahasia records are shown only to their named recipients (and the person who
registered them) and to holders of ``archive.view_secret``. A berkas (case file) is seen by
the people of its unit (its subtree's head), by whoever opened it and with
``archive.view_all``; the records counted in it are only those the user may see.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam, false, or_, select, true

from sikd_archive import search
from sikd_archive.models import Berkas, Disposition, Record
from sikd_host.plugin_api import db, org

SECRET = ("R", "SR")


# The viewer's values in the cached conditions (``visible_condition``): bound per execution.
VIEWER_ID = bindparam("viewer_id", type_=Integer)
VIEWER_UNIT_ID = bindparam("viewer_unit_id", type_=Integer)


@dataclass(frozen=True)
class Viewer:
    """What decides which records a user sees: the *shape* of the condition (their
    permissions, and whether they see no unit, their unit or the subtree of the unit they
    lead), which picks a condition built once, and the values bound into it."""

    view_all: bool
    view_secret: bool
    units: str  # "none" (no position), "unit" (their own), "subtree" (the unit they lead)
    user_id: int
    unit_id: int

    @property
    def shape(self) -> tuple[bool, bool, str]:
        return (self.view_all, self.view_secret, self.units)

    @property
    def params(self) -> dict[str, int]:
        return {VIEWER_ID.key: self.user_id, VIEWER_UNIT_ID.key: self.unit_id}


def viewer(user: Any) -> Viewer | None:
    """The user's access as a :class:`Viewer`; None for nobody logged in."""
    if user is None or not user.is_authenticated:
        return None
    units, unit_id = _unit_scope(user)
    return Viewer(
        user.has_permission("archive.view_all"),
        user.has_permission("archive.view_secret"),
        units,
        user.id,
        unit_id,
    )


def _named(user_id: Any, one_record: bool) -> ColumnElement[bool]:
    if one_record:
        routed = (
            select(Disposition.id)
            .where(Disposition.record_id == Record.id, Disposition.recipient_id == user_id)
            .correlate_except(Disposition)  # the record of the statement it is used in
            .exists()
        )
        return or_(routed, Record.created_by_id == user_id)
    routed_ids = select(Disposition.record_id).where(Disposition.recipient_id == user_id)
    return or_(Record.id.in_(routed_ids), Record.created_by_id == user_id)


def named_on(user: Any, one_record: bool = False) -> ColumnElement[bool]:
    """The user is a recipient of some routing of the record, or registered it.

    For a statement that tests many records, the records routed to the user are one
    uncorrelated subquery, which both engines compute once per statement (a hashed subplan,
    an ephemeral index), not once per record tested: a search tests tens of thousands of
    records against this condition. For ``one_record`` (an object URL, or a page of records
    read by id), it is an EXISTS on each record's routings instead: collecting every routing
    of a head with a thousand open items cost more than the rest of the check."""
    return _named(user.id, one_record)


def named_user_ids(record_id: int) -> Any:
    """A SELECT of the ids of the users named on a record: its routings' recipients and the
    person who registered it."""
    recipients = select(Disposition.recipient_id).where(Disposition.record_id == record_id)
    registrar = select(Record.created_by_id).where(
        Record.id == record_id, Record.created_by_id.is_not(None)
    )
    return recipients.union(registrar)


def _unit_scope(user: Any) -> tuple[str, int]:
    """Which units' records the user sees as theirs: "none" (no position), "unit" (their
    own) or "subtree" (the unit they lead and every unit below it), and that unit's id."""
    position = user.position
    if position is None:
        return "none", 0
    return ("subtree" if org.leads_unit(user) else "unit"), position.unit_id


def _in_units(units: str, unit_id: Any, column: Any) -> ColumnElement[bool]:
    if units == "none":
        return false()
    if units == "subtree":
        return column.in_(org.unit_subtree_ids(unit_id))
    return column == unit_id


def own_units(user: Any, unit_id: Any = Record.unit_id) -> ColumnElement[bool]:
    """``unit_id`` is the user's unit, or in the subtree of the unit they lead."""
    return _in_units(*_unit_scope(user), unit_id)


def own_unit_ids(user: Any) -> list[int]:
    """The ids of the units of :func:`own_units`."""
    units, unit_id = _unit_scope(user)
    if units == "none":
        return []
    if units == "subtree":
        return list(db.session.scalars(org.unit_subtree_ids(unit_id)))
    return [unit_id]


def search_scope(user: Any) -> tuple[str, ...] | None:
    """The index terms of which a record must carry one for ``user`` to see it (a necessary
    condition of :func:`visible`, never a sufficient one), or None when the user may see
    every record."""
    if user.has_permission("archive.view_all"):
        return None
    return search.scope_terms(own_unit_ids(user), user.id)


def _visible(
    shape: tuple[bool, bool, str], one_record: bool, user_id: Any, unit_id: Any
) -> ColumnElement[bool]:
    view_all, view_secret, units = shape
    named = _named(user_id, one_record)
    base = true() if view_all else or_(_in_units(units, unit_id, Record.unit_id), named)
    if view_secret:
        return base
    return and_(base, or_(Record.keamanan.not_in(SECRET), named))


@functools.cache
def visible_condition(
    view_all: bool, view_secret: bool, units: str, one_record: bool = False
) -> ColumnElement[bool]:
    """:func:`visible` for any viewer of this shape (:attr:`Viewer.shape`), built once, with
    the viewer's id and unit as parameters to bind (:attr:`Viewer.params`).

    A statement built on it can be cached too, and is then neither built nor keyed again
    on each request (a search's statements cost about a millisecond to build)."""
    return _visible((view_all, view_secret, units), one_record, VIEWER_ID, VIEWER_UNIT_ID)


def visible(user: Any, one_record: bool = False) -> ColumnElement[bool]:
    """The WHERE condition of the records ``user`` may see (``one_record``: in a statement
    that reads one record by its id; see :func:`named_on`)."""
    seen = viewer(user)
    if seen is None:
        return false()
    return _visible(seen.shape, one_record, seen.user_id, seen.unit_id)


def visible_ids(user: Any) -> Any:
    return select(Record.id).where(visible(user))


def berkas_visible(user: Any) -> ColumnElement[bool]:
    """The WHERE condition of the berkas (case files) ``user`` may see: those of their own
    unit (of the subtree they lead), those they opened, and every one with
    ``archive.view_all``. Their records stay filtered by :func:`visible` on their own."""
    if user is None or not user.is_authenticated:
        return false()
    if user.has_permission("archive.view_all"):
        return true()
    return or_(own_units(user, Berkas.unit_id), Berkas.created_by_id == user.id)
