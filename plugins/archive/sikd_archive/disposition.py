"""Disposisi: routing a record down the hierarchy, the inbox, actions and tracking.

Every step stores when it was sent, read, first acted on and done, and the hours from
sending to the first action, so that a period's figures per employee are one SQL query.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, case, func, select, true
from sqlalchemy.orm import aliased

from sikd_archive import access, search
from sikd_archive.instructions import active_texts
from sikd_archive.models import Disposition, DispositionAction, Record
from sikd_host.plugin_api import N_, User, audit, db, org, plain_rows, utcnow

ACTIONS = ("balasan", "teruskan", "selesai")
SENDER = aliased(User)  # made once: an alias copies the table's columns


class DispositionError(ValueError):
    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def instructions() -> list[str]:
    """The instructions a sender may choose now (the admin's list, or the defaults)."""
    return active_texts()


def allowed_recipients(sender: Any, kind: str, record: Record | None = None) -> Any:
    """A SELECT of the user ids the sender may route to: anyone below them in the tree
    (for disposisi and teruskan), anyone active in the institution for tembusan.

    A tembusan of a Rahasia or Sangat Rahasia ``record`` never widens who sees it: unless
    the sender holds ``archive.view_secret``, it may go only to people already named on the
    record (its recipients and its registrar), for whom it is a notice, not new access."""
    if kind == "tembusan":
        everyone = select(User.id).where(User.active, User.id != sender.id)
        if record is not None and secret_copy_is_restricted(sender, record):
            return everyone.where(User.id.in_(access.named_user_ids(record.id)))
        return everyone
    if sender.position_id is None:
        return select(User.id).where(False)
    # The positions first (a handful): a recursive CTE inside IN () hides how few they are
    # from PostgreSQL's planner, which then reads every user instead of using the index.
    below = db.session.scalars(org.position_subtree_ids(sender.position_id)).all()
    return select(User.id).where(User.active, User.position_id.in_(below))


def secret_copy_is_restricted(sender: Any, record: Record) -> bool:
    """Whether a tembusan of ``record`` by ``sender`` may reach only the people named on it."""
    return record.is_secret and not sender.has_permission("archive.view_secret")


def send(
    sender: Any,
    record: Record,
    recipient_ids: Iterable[int],
    kind: str = "disposisi",
    instruction: str = "",
    note: str = "",
    due_on: dt.date | None = None,
    parent: Disposition | None = None,
) -> list[Disposition]:
    """Route a record to each recipient; every one must be allowed. Audited."""
    recipients = sorted(set(recipient_ids))
    if kind not in ("disposisi", "tembusan", "teruskan"):
        raise DispositionError(N_("Not a valid choice."))
    if not recipients:
        raise DispositionError(N_("Choose at least one recipient."))
    if kind != "tembusan" and instruction not in instructions():
        raise DispositionError(N_("Choose an instruction from the list."))
    if due_on is not None and due_on < dt.date.today():
        raise DispositionError(N_("The due date is in the past."))
    allowed = set(
        db.session.scalars(allowed_recipients(sender, kind, record).where(User.id.in_(recipients)))
    )
    refused = [r for r in recipients if r not in allowed]
    if refused:
        raise DispositionError(_refusal(sender, kind, record))
    now = utcnow()
    rows = [
        Disposition(
            record_id=record.id,
            parent_id=parent.id if parent else None,
            kind=kind,
            sender_id=sender.id,
            recipient_id=recipient,
            instruction=instruction,
            note=note.strip(),
            due_on=due_on,
            sent_at=now,
        )
        for recipient in recipients
    ]
    db.session.add_all(rows)
    db.session.flush()
    search.index_record(record)  # the recipients join the record's scope in the index
    audit.record(
        sender,
        f"archive.{kind}_sent",
        "archive_record",
        record.id,
        {
            "to": recipients,
            "instruction": instruction,
            "due_on": due_on.isoformat() if due_on else None,
        },
    )
    return rows


def _refusal(sender: Any, kind: str, record: Record) -> str:
    if kind != "tembusan":
        return N_("You may only send a disposition to people below you in the organisation.")
    if secret_copy_is_restricted(sender, record):
        return N_(
            "A tembusan of a Rahasia or Sangat Rahasia record may go only to people already "
            "named on it; ask a holder of archive.view_secret to copy it to others."
        )
    return N_("Choose recipients from the list.")


def open_item(disposition: Disposition, user: Any) -> None:
    """Opening an item as its recipient records the read time (once)."""
    if disposition.recipient_id == user.id and disposition.read_at is None:
        disposition.read_at = utcnow()
        audit.record(user, "archive.disposition_read", "archive_disposition", disposition.id)


def _first_action(disposition: Disposition, when: dt.datetime) -> None:
    if disposition.read_at is None:
        disposition.read_at = when
    if disposition.first_action_at is None:
        disposition.first_action_at = when
        disposition.response_hours = round((when - disposition.sent_at).total_seconds() / 3600, 4)


def act(
    user: Any,
    disposition: Disposition,
    action: str,
    note: str = "",
    recipient_ids: Sequence[int] = (),
    instruction: str = "",
    due_on: dt.date | None = None,
) -> DispositionAction:
    """Reply (balasan), forward further down (teruskan) or mark done (selesai)."""
    if disposition.recipient_id != user.id:
        raise DispositionError(N_("Only the recipient can act on this disposition."))
    if action not in ACTIONS:
        raise DispositionError(N_("Not a valid choice."))
    if disposition.done_at is not None:
        raise DispositionError(N_("This disposition is already done."))
    if action == "balasan" and not note.strip():
        raise DispositionError(N_("Write a reply."))
    now = utcnow()
    if action == "teruskan":
        send(
            user,
            disposition.record,
            recipient_ids,
            "teruskan",
            instruction or disposition.instruction,
            note,
            due_on,
            parent=disposition,
        )
    _first_action(disposition, now)
    if action == "selesai":
        disposition.done_at = now
    row = DispositionAction(
        disposition_id=disposition.id,
        user_id=user.id,
        action=action,
        note=note.strip(),
        acted_at=now,
    )
    db.session.add(row)
    audit.record(user, f"archive.disposition_{action}", "archive_disposition", disposition.id)
    return row


def overdue_condition(today: Any) -> Any:
    """Open, with a due date before ``today`` (a date, or a bound parameter for one)."""
    return and_(
        Disposition.done_at.is_(None), Disposition.due_on.is_not(None), Disposition.due_on < today
    )


@dataclass(frozen=True)
class InboxCounts:
    total: int
    unread: int
    overdue: int


INBOX_VIEWS = ("open", "unread", "overdue", "done")
RECIPIENT = bindparam("recipient_id", type_=Integer)
TODAY = bindparam("today", type_=Date)


@functools.cache
def inbox_counts_statement() -> Any:
    """The open, unread and overdue counts: on PostgreSQL from ix_archive_disposition_open
    alone, which holds every column they read (an open item is overdue when its due date
    has passed: ``done_at`` is not read again, or the index would not do). Built once, like
    :func:`inbox_statement`: the recipient and the day are parameters."""
    return select(
        func.count().label("open_count"),
        func.coalesce(func.sum(case((Disposition.read_at.is_(None), 1), else_=0)), 0).label(
            "unread_count"
        ),
        func.coalesce(func.sum(case((Disposition.due_on < TODAY, 1), else_=0)), 0).label(
            "overdue_count"
        ),
    ).where(Disposition.recipient_id == RECIPIENT, Disposition.done_at.is_(None))


def inbox_counts_query(user: Any, today: dt.date) -> Any:
    """:func:`inbox_counts_statement` with its parameters bound, for a plan or a test."""
    return inbox_counts_statement().params(recipient_id=user.id, today=today)


def inbox_counts(user: Any, today: dt.date | None = None) -> InboxCounts:
    parameters = {"recipient_id": user.id, "today": today or dt.date.today()}
    return InboxCounts(*db.session.execute(inbox_counts_statement(), parameters).one())


@functools.cache
def inbox_statement(show: str) -> Any:
    """One view of the inbox (:data:`INBOX_VIEWS`) as plain rows, each item with its
    record's subject and its sender's name, unread first, newest first: one statement for a
    page, no ORM objects. Built once per view, with the recipient, the day and the page as
    parameters: building it took longer than running it (0.2 ms, and the counts 0.3)."""
    conditions = {
        "open": [Disposition.done_at.is_(None)],
        "unread": [Disposition.read_at.is_(None), Disposition.done_at.is_(None)],
        "overdue": [overdue_condition(TODAY)],
        "done": [Disposition.done_at.is_not(None)],
    }[show]
    return (
        select(
            Disposition.id,
            Disposition.kind,
            Disposition.instruction,
            Disposition.sent_at,
            Disposition.due_on,
            Disposition.read_at,
            Disposition.done_at,
            Record.perihal,
            SENDER.full_name.label("sender_name"),
        )
        .join(Record, Record.id == Disposition.record_id)
        .outerjoin(SENDER, SENDER.id == Disposition.sender_id)
        .where(Disposition.recipient_id == RECIPIENT, *conditions)
        .order_by(Disposition.read_at.is_not(None), Disposition.sent_at.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


def inbox_query(
    user: Any, show: str = "open", today: dt.date | None = None, limit: int = 50, offset: int = 0
) -> Any:
    """:func:`inbox_statement` with its parameters bound, for a plan or a test."""
    return inbox_statement(show).params(**_inbox_parameters(user, today, limit, offset))


@functools.cache
def inbox_page_statement(show: str) -> Any:
    """:func:`inbox_statement` with the counts of :func:`inbox_counts_statement` on every row
    (one row, computed once and joined to each), so that a page of the inbox and the counts
    of its tabs come in one round trip."""
    counts = inbox_counts_statement().subquery("counts")
    return inbox_statement(show).add_columns(*counts.c).join(counts, true())


def inbox_page(
    user: Any, show: str, limit: int, offset: int = 0, today: dt.date | None = None
) -> tuple[list[Any], InboxCounts]:
    """A page of the view ``show`` (plain named tuples) and the open, unread and overdue
    counts; the counts are asked for on their own only when the page is empty."""
    parameters = _inbox_parameters(user, today, limit, offset)
    rows = plain_rows(db.session.execute(inbox_page_statement(show), parameters))
    if not rows:
        return rows, inbox_counts(user, parameters["today"])
    first = rows[0]
    return rows, InboxCounts(first.open_count, first.unread_count, first.overdue_count)


def _inbox_parameters(user: Any, today: dt.date | None, limit: int, offset: int) -> dict:
    return {
        "recipient_id": user.id,
        "today": today or dt.date.today(),
        "limit": limit,
        "offset": offset,
    }


@dataclass
class TrackNode:
    disposition: Disposition
    recipient: Any
    sender: Any
    actions: list[DispositionAction]
    children: list[TrackNode] = field(default_factory=list)


def tracking_tree(record: Record) -> list[TrackNode]:
    """Every routing of a record as a tree (forwards under what they forward): 3 queries."""
    rows = db.session.scalars(
        select(Disposition)
        .where(Disposition.record_id == record.id)
        .order_by(Disposition.sent_at, Disposition.id)
    ).all()
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_({r.recipient_id for r in rows} | {r.sender_id for r in rows})
            )
        )
    }
    actions: dict[int, list[DispositionAction]] = {}
    for action in db.session.scalars(
        select(DispositionAction)
        .where(DispositionAction.disposition_id.in_([r.id for r in rows]))
        .order_by(DispositionAction.acted_at)
    ):
        actions.setdefault(action.disposition_id, []).append(action)
    nodes = {
        r.id: TrackNode(r, users.get(r.recipient_id), users.get(r.sender_id), actions.get(r.id, []))
        for r in rows
    }
    roots = []
    for row in rows:
        parent = nodes.get(row.parent_id) if row.parent_id else None
        (parent.children if parent else roots).append(nodes[row.id])
    return roots


def period_figures(start: dt.datetime, end: dt.datetime) -> Any:
    """One SQL query: per recipient, dispositions received in [start, end) and the median
    hours to first action (over those acted on). Portable median with window functions."""
    received = (
        select(Disposition.recipient_id.label("user_id"), Disposition.response_hours.label("hours"))
        .where(
            Disposition.kind != "tembusan", Disposition.sent_at >= start, Disposition.sent_at < end
        )
        .subquery()
    )
    ranked = select(
        received.c.user_id,
        received.c.hours,
        func.count().over(partition_by=received.c.user_id).label("received"),
        func.row_number()
        .over(partition_by=received.c.user_id, order_by=received.c.hours.asc().nulls_last())
        .label("position"),
        func.count(received.c.hours).over(partition_by=received.c.user_id).label("acted"),
    ).subquery()
    middle = and_(
        ranked.c.hours.is_not(None),
        ranked.c.position.in_([(ranked.c.acted + 1) // 2, (ranked.c.acted + 2) // 2]),
    )
    return select(
        ranked.c.user_id,
        func.max(ranked.c.received).label("received"),
        func.avg(case((middle, ranked.c.hours))).label("median_hours"),
    ).group_by(ranked.c.user_id)


def overdue_sent(user: Any, today: dt.date | None = None, limit: int = 5) -> tuple[int, list]:
    """How many dispositions the user sent are overdue, and the oldest few of them."""
    today = today or dt.date.today()
    condition = and_(Disposition.sender_id == user.id, overdue_condition(today))
    count = db.session.scalar(select(func.count()).where(condition)) or 0
    rows = db.session.execute(
        select(Disposition.id, Disposition.due_on, Record.perihal, User.full_name)
        .join(Record, Record.id == Disposition.record_id)
        .join(User, User.id == Disposition.recipient_id)
        .where(condition)
        .order_by(Disposition.due_on, Disposition.id)
        .limit(limit)
    ).all()
    return count, rows
