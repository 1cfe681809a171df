"""Whom a routing form offers, and which of the people a form sent back may be routed to.

The people a user may route a record to (``disposition.allowed_recipients``) can be many: a
tembusan may go to anyone in the institution, a Sekretaris Jenderal's disposisi to everyone
below him. A form lists them all only when they are few; otherwise it lists the people a
search finds by name, NIP or position, so that no page carries the whole institution. A form
sent back is checked against the ids it carries alone, never against the whole list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from sikd_archive import disposition
from sikd_archive.models import Record
from sikd_archive.rules.params import whole_number
from sikd_host.plugin_api import Position, User, db

LIST_ALL_UP_TO = 100  # a list of at most this many people is offered whole
MATCHES = 30  # a search offers at most this many of the people it finds
MIN_QUERY = 2  # a shorter search text asks for more: "a" would match nearly everyone


@dataclass(frozen=True)
class Offer:
    """What a routing form shows: ``choices`` as (user id, label); ``anyone``, whether the
    user may route it to anybody at all; ``query``, the search text; ``more``, whether there
    are more people to choose from than the choices (too many to list and no search made,
    or the search found more than MATCHES)."""

    choices: list[tuple[int, str]]
    anyone: bool
    query: str
    more: bool
    too_short: bool = False  # a search text given, but shorter than MIN_QUERY


def label(full_name: str, position: str | None) -> str:
    """How a person is told apart in a list: the name, then the position held."""
    return f"{full_name} · {position}" if position else full_name


def like_pattern(text: str) -> str:
    """``text`` as a case-insensitive LIKE pattern that matches it anywhere, with ``%``,
    ``_`` and the escape character itself taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _people(allowed: Any) -> Any:
    return (
        select(User.id, User.full_name, Position.name)
        .outerjoin(Position, Position.id == User.position_id)
        .where(User.id.in_(allowed))
        .order_by(User.full_name, User.id)
    )


def offer(sender: Any, kind: str, record: Record | None = None, query: str = "") -> Offer:
    """The choices of a routing form of ``kind`` for ``sender``: everyone allowed when they
    are at most LIST_ALL_UP_TO, else the first MATCHES found by ``query`` (none without
    one). Never counts past LIST_ALL_UP_TO: a page does not count the institution."""
    query = " ".join(query.split())[:100]
    allowed = disposition.allowed_recipients(sender, kind, record)
    first = allowed.limit(LIST_ALL_UP_TO + 1).subquery()
    count = db.session.scalar(select(func.count()).select_from(first)) or 0
    if len(query) < MIN_QUERY:
        short = bool(query)
        if count > LIST_ALL_UP_TO:
            return Offer([], anyone=True, query=query, more=True, too_short=short)
        rows = db.session.execute(_people(allowed)).all()
        return Offer(_choices(rows), count > 0, query, more=False, too_short=short)
    pattern = like_pattern(query)
    # matched inside the allowed set, so that PostgreSQL reads the few people below a head
    # through their positions' index instead of matching the text of every user first
    found = allowed.outerjoin(Position, Position.id == User.position_id).where(
        or_(
            func.lower(User.full_name).like(pattern, escape="\\"),
            User.nip.like(pattern, escape="\\"),
            func.lower(Position.name).like(pattern, escape="\\"),
        )
    )
    rows = db.session.execute(_people(found).limit(MATCHES + 1)).all()
    return Offer(_choices(rows[:MATCHES]), count > 0, query, more=len(rows) > MATCHES)


def chosen(
    sender: Any, kind: str, submitted: Iterable[str], record: Record | None = None
) -> list[tuple[int, str]]:
    """The people among the ``submitted`` ids (form values, any text) that ``sender`` may
    route ``record`` to as a ``kind``, as choices: those a form sent back with "Find" keeps
    chosen. Anyone else is dropped."""
    ids = _ids(submitted)
    if not ids:
        return []
    allowed = disposition.allowed_recipients(sender, kind, record)
    return _choices(db.session.execute(_people(allowed).where(User.id.in_(ids))).all())


def anyone(sender: Any, kind: str, record: Record | None = None) -> bool:
    """Whether ``sender`` may route a ``kind`` to anybody at all."""
    allowed = disposition.allowed_recipients(sender, kind, record)
    return bool(db.session.scalar(select(allowed.exists())))


def named(submitted: Iterable[str]) -> list[tuple[int, str]]:
    """The active people among the ``submitted`` ids, as choices: what a form being sent
    is validated against, so that ``disposition.send`` (the one judge of who may receive
    a routing) refuses anyone else with its reason."""
    ids = _ids(submitted)
    if not ids:
        return []
    everyone = select(User.id).where(User.active)
    return _choices(db.session.execute(_people(everyone).where(User.id.in_(ids))).all())


def _ids(submitted: Iterable[str]) -> set[int]:
    return {number for number in map(whole_number, submitted) if number is not None}


def _choices(rows: Iterable[Any]) -> list[tuple[int, str]]:
    return [(user_id, label(name, position)) for user_id, name, position in rows]
