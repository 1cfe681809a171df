"""``audit.record`` for everyone, and chain verification."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from sikd_host.audit.chain import GENESIS, Break, entry_hash, find_break
from sikd_host.audit.models import AuditEvent, AuditHead
from sikd_host.extensions import db
from sikd_host.models import utcnow


def _actor(actor: Any) -> tuple[int | None, str]:
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.username


def record(
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the current transaction; it is committed with the caller's change.

    ``actor`` is a user, a name for non-user actors, or None for the logged-in user (or
    "system" outside a request).
    """
    actor_id, actor_name = _actor(actor)
    head = db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS)
        db.session.add(head)
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        ip=(request.remote_addr or "") if has_request_context() else "",
        prev_hash=head.last_hash,
    )
    event.hash = entry_hash(_as_mapping(event), event.prev_hash)
    db.session.add(event)
    head.last_hash = event.hash
    return event


def _as_mapping(event: AuditEvent) -> dict[str, Any]:
    return {column.name: getattr(event, column.name) for column in AuditEvent.__table__.columns}


def verify() -> Break | None:
    """Walk the whole chain in id order, streaming rows; the first broken link or None."""
    table = AuditEvent.__table__
    head = db.session.execute(select(AuditHead.last_hash).where(AuditHead.id == 1)).scalar()
    rows = db.session.execute(
        select(table).order_by(table.c.id).execution_options(yield_per=2000)
    ).mappings()
    return find_break(rows, head)
