"""``notify`` for everyone (plugins reach it as ``plugin_api.notifications``).

A notification keeps its English msgid and parameters, so each user reads it in their own
language; rows are added to the caller's transaction and committed with its change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import g
from flask_babel import gettext
from sqlalchemy import func, insert, select, update

from sikd_host.extensions import db
from sikd_host.models import utcnow
from sikd_host.notifications.models import Notification
from sikd_host.security import safe_next

MAX_MESSAGE = 500
MAX_LINK = 500


def notify(user_ids: Iterable[int], message: str, link: str = "", **params: Any) -> int:
    """Add one notification per user (duplicates ignored); returns how many were added.

    ``message`` is an English msgid marked for translation (``N_``), ``params`` its
    placeholders (JSON values); ``link`` a path inside SIKD (``/simantap/360``) or empty.
    """
    ids = sorted({int(user_id) for user_id in user_ids})
    if not message or len(message) > MAX_MESSAGE:
        raise ValueError("message must be a msgid of 1 to 500 characters")
    if link and (safe_next(link, "") != link or len(link) > MAX_LINK):
        raise ValueError("link must be a path inside SIKD, starting with a single /")
    json.dumps(params)  # refuse values the JSON column could not keep
    if not ids:
        return 0
    _forget_unread(ids)
    now = utcnow()
    db.session.execute(
        insert(Notification),
        [
            {"user_id": i, "message": message, "params": params, "link": link, "created_at": now}
            for i in ids
        ],
    )
    return len(ids)


def unread_count(user: Any) -> int:
    """The user's unread notifications: the count read with the session's user once
    (``remember_unread``), else one COUNT."""
    remembered = g.get("sikd_unread_counts", {}).pop(user.id, None)
    if remembered is not None:
        return remembered
    return db.session.scalar(select(func.count()).where(_unread_of(user.id))) or 0


def unread_count_of(user_id: Any) -> Any:
    """The unread count as a scalar subquery, for a statement that reads users (``user_id``
    is their id column): the session's user comes with it in one round trip."""
    return select(func.count()).where(_unread_of(user_id)).scalar_subquery()


def remember_unread(user: Any, count: int) -> None:
    """Keep ``count`` for the next ``unread_count(user)`` of this request; a notification
    added or read meanwhile forgets it."""
    g.setdefault("sikd_unread_counts", {})[user.id] = count


def _unread_of(user_id: Any) -> Any:
    return (Notification.user_id == user_id) & Notification.read_at.is_(None)


def _forget_unread(user_ids: Iterable[int]) -> None:
    remembered = g.get("sikd_unread_counts")
    for user_id in user_ids if remembered else ():
        remembered.pop(user_id, None)


def recent(user: Any, limit: int = 50, offset: int = 0) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those of ``ids``) read; returns how many."""
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    _forget_unread([user.id])
    return db.session.execute(statement.values(read_at=utcnow())).rowcount or 0


def text(notification: Notification) -> str:
    """The message in the current language, its placeholders filled in."""
    params = notification.params or {}
    try:
        return gettext(notification.message, **params)
    except (KeyError, ValueError, TypeError):  # a translation with broken placeholders
        try:
            return notification.message % params if params else notification.message
        except (KeyError, ValueError, TypeError):
            return notification.message
