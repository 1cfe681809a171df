"""Penyusutan: due lists, moving records to inactive, destruction proposals and their
approval with the berita acara, hand-over of permanent records to ANRI, re-assessment.

Destroying outside this procedure is a crime (UU 43/2009), so this module is the only code
that calls ``storage.destroy`` and the only code that marks a record ``musnah``, and only
from :func:`approve`, which re-checks every item itself whatever the caller checked before.

Every function works inside the caller's transaction and never commits; on
:class:`LifecycleError` the caller rolls back, so a refusal leaves nothing half-saved. The
decisions themselves (who may, when) are pure functions in ``rules.lifecycle``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, select, update
from sqlalchemy.exc import IntegrityError

from sikd_archive import access, search
from sikd_archive.models import Attachment, Change, Klasifikasi, Proposal, ProposalItem, Record
from sikd_archive.rules import lifecycle as rules
from sikd_archive.rules.params import MAX_ID
from sikd_host.plugin_api import N_, Unit, User, audit, db, settings, storage, utcnow

MAX_ITEMS = 1000  # records per submitted selection
FINALS = ("musnah", "permanen", "dinilai_kembali")


@dataclass(frozen=True)
class Refusal:
    """A record that may not take part, with every reason (English msgids)."""

    record_id: int
    label: str  # the agenda number, or "#id" when the user may not see the record
    reasons: tuple[str, ...]


class LifecycleError(Exception):
    """A refused request: ``message`` (English msgid with ``params``), an HTTP ``status``
    and the ``refusals`` of single records. Nothing was changed that the caller commits."""

    def __init__(
        self,
        message: str,
        status: int = 409,
        refusals: Sequence[Refusal] = (),
        **params: Any,
    ):
        super().__init__(message % params if params else message)
        self.message, self.status, self.params = message, status, params
        self.refusals = list(refusals)


# --- due lists ---------------------------------------------------------------------------


def today() -> dt.date:
    return dt.date.today()


def inactive_due(on: dt.date) -> ColumnElement[bool]:
    """Active records whose active period has ended: due to move to the inactive records."""
    return and_(Record.status == "aktif", Record.active_until <= on)


def final_due(on: dt.date, final: str | None = None) -> ColumnElement[bool]:
    """Live records whose final disposition (one of ``FINALS``, or ``final``) is due."""
    condition = and_(
        Record.status.in_(rules.LIVE),
        Record.final_due_on <= on,
        Record.final.in_(FINALS if final is None else (final,)),
    )
    return condition


def due_records(user: Any, where: ColumnElement[bool], limit: int | None = None) -> list[Any]:
    """(Record, code, in_open_proposal) rows the user may see, oldest due first."""
    open_item = (
        select(ProposalItem.id)
        .join(Proposal, ProposalItem.proposal_id == Proposal.id)
        .where(ProposalItem.record_id == Record.id, Proposal.status == rules.OPEN)
        .exists()
    )
    statement = (
        select(Record, Klasifikasi.code, open_item.label("in_open"))
        .join(Klasifikasi, Record.klasifikasi_id == Klasifikasi.id, isouter=True)
        .where(access.visible(user), where)
        .order_by(Record.final_due_on, Record.active_until, Record.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.execute(statement).all())


def code_counts(user: Any, on: dt.date) -> list[Any]:
    """Per classification code: how many visible records are due to go inactive and how
    many are due for their final disposition (one grouped query)."""
    inactive = func.sum(case((inactive_due(on), 1), else_=0))
    final = func.sum(case((final_due(on), 1), else_=0))
    statement = (
        select(
            Klasifikasi.code,
            Klasifikasi.name,
            Record.final,
            inactive.label("inactive"),
            final.label("final_due"),
        )
        .select_from(Record)
        .join(Klasifikasi, Record.klasifikasi_id == Klasifikasi.id, isouter=True)
        .where(access.visible(user), Record.status.in_(rules.LIVE))
        .where((Record.active_until <= on) | (Record.final_due_on <= on))
        .group_by(Klasifikasi.code, Klasifikasi.name, Record.final)
        .order_by(Klasifikasi.code, Record.final)
    )
    return list(db.session.execute(statement).all())


def due_counts(user: Any, on: dt.date | None = None) -> dict[str, int]:
    """For the dashboard widget: ``{"inactive", "final", "musnah", "permanen",
    "dinilai_kembali"}`` counts of the records the user may see, in one query."""
    on = on or today()
    columns = [func.sum(case((inactive_due(on), 1), else_=0))]
    columns += [func.sum(case((final_due(on, final), 1), else_=0)) for final in FINALS]
    row = db.session.execute(select(*columns).select_from(Record).where(access.visible(user))).one()
    counts = {"inactive": int(row[0] or 0)}
    counts.update({final: int(value or 0) for final, value in zip(FINALS, row[1:], strict=True)})
    counts["final"] = sum(counts[final] for final in FINALS)
    return counts


# --- loading plain data ----------------------------------------------------------------


def _record_rows(where: ColumnElement[bool], lock: bool = False) -> list[dict[str, Any]]:
    statement = (
        select(
            Record.id,
            Record.agenda_number,
            Record.nomor,
            Record.perihal,
            Record.tanggal,
            Record.tingkat,
            Record.media,
            Record.status,
            Record.final,
            Record.active_until,
            Record.final_due_on,
            Record.legal_hold,
            Klasifikasi.code,
            Unit.name.label("unit"),
        )
        .join(Klasifikasi, Record.klasifikasi_id == Klasifikasi.id, isouter=True)
        .join(Unit, Record.unit_id == Unit.id)
        .where(where)
        .order_by(Record.id)
    )
    if lock:
        # Another transaction setting a legal hold waits for us (PostgreSQL), or we see it.
        statement = statement.with_for_update(of=Record)
    return [dict(row) for row in db.session.execute(statement).mappings()]


def _attachments(record_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The stored files of each record (rows whose content is still kept)."""
    rows = db.session.execute(
        select(
            Attachment.record_id,
            Attachment.name,
            Attachment.version,
            Attachment.size,
            Attachment.sha256,
        )
        .where(Attachment.record_id.in_(list(record_ids)), Attachment.sha256.is_not(None))
        .order_by(Attachment.record_id, Attachment.name, Attachment.version)
    ).mappings()
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["record_id"]].append(dict(row))
    return found


def _in_open_proposals(record_ids: Iterable[int], except_id: int | None = None) -> set[int]:
    statement = (
        select(ProposalItem.record_id)
        .join(Proposal, ProposalItem.proposal_id == Proposal.id)
        .where(Proposal.status == rules.OPEN, ProposalItem.record_id.in_(list(record_ids)))
    )
    if except_id is not None:
        statement = statement.where(Proposal.id != except_id)
    return set(db.session.scalars(statement))


def valid_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (PostgreSQL refuses larger integers)."""
    return 0 < value <= MAX_ID


def _clean_ids(record_ids: Iterable[Any]) -> list[int]:
    ids = sorted({int(i) for i in record_ids})
    if not all(valid_id(i) for i in ids):
        raise LifecycleError(N_("Not a valid choice."), 400)
    if not ids:
        raise LifecycleError(N_("Choose at least one record."), 400)
    if len(ids) > MAX_ITEMS:
        raise LifecycleError(N_("Choose at most %(n)s records at a time."), 400, n=MAX_ITEMS)
    return ids


def _visible_rows(actor: Any, ids: list[int], lock: bool = False) -> list[dict[str, Any]]:
    """The rows of ``ids`` the actor may see; refuses the whole request when some are not."""
    rows = _record_rows(and_(Record.id.in_(ids), access.visible(actor)), lock=lock)
    missing = sorted(set(ids) - {row["id"] for row in rows})
    if missing:
        raise LifecycleError(
            N_("Nothing was changed: %(n)s record(s) do not exist or you may not see them."),
            404,
            [Refusal(i, f"#{i}", (N_("not found, or you may not see it"),)) for i in missing],
            n=len(missing),
        )
    return rows


def _refuse_if_any(refusals: list[Refusal], message: str) -> None:
    if refusals:
        raise LifecycleError(message, 409, refusals, n=len(refusals))


def _person(user: Any) -> dict[str, Any]:
    if user is None:
        return {"id": None, "name": "", "nip": "", "position": ""}
    position = getattr(user, "position", None)
    return {
        "id": user.id,
        "name": user.full_name,
        "nip": getattr(user, "nip", None) or "",
        "position": position.name if position is not None else "",
    }


def _unit_of(user: Any) -> str:
    position = getattr(user, "position", None)
    if position is None:
        return ""
    unit = db.session.get(Unit, position.unit_id)
    return unit.name if unit is not None else ""


def _new_document(series: str, on: dt.date, **fields: Any) -> Proposal:
    """A Proposal row with the next free number of ``series`` for the year, numbered inside
    a savepoint so that two users numbering at once both succeed (the loser retries)."""
    for _attempt in range(5):
        numbers = db.session.scalars(
            select(Proposal.number).where(Proposal.number.like(f"%/{series}/{on.year}"))
        )
        number = rules.document_number(series, rules.next_seq(numbers, series, on.year), on.year)
        proposal = Proposal(number=number, **fields)
        try:
            with db.session.begin_nested():
                db.session.add(proposal)
        except IntegrityError:
            continue
        return proposal
    raise LifecycleError(N_("Could not give the document a number; try again."), 409)


# --- moving to the inactive records ----------------------------------------------------------


def move_to_inactive(actor: Any, record_ids: Iterable[Any], on: dt.date | None = None) -> int:
    """Mark active records whose active period has ended as inaktif; all or nothing."""
    on = on or today()
    ids = _clean_ids(record_ids)
    rows = _visible_rows(actor, ids, lock=True)
    refusals = [
        Refusal(row["id"], row["agenda_number"], tuple(reasons))
        for row in rows
        if (reasons := rules.inactive_refusals(row, on))
    ]
    _refuse_if_any(refusals, N_("Nothing was moved: %(n)s record(s) may not move yet."))
    db.session.execute(
        update(Record).where(Record.id.in_(ids), inactive_due(on)).values(status="inaktif")
    )
    for row in rows:
        audit.record(
            actor,
            "archive.record_inactivated",
            "archive_record",
            row["id"],
            {"agenda": row["agenda_number"], "active_until": row["active_until"]},
        )
    _reindex(ids)
    return len(ids)


# --- destruction --------------------------------------------------------------------------


def propose(actor: Any, record_ids: Iterable[Any], note: str = "", on: dt.date | None = None):
    """Propose due records for destruction.

    Every item is checked here, whatever the form showed: a record on legal hold, not yet
    due, whose final disposition is not musnah, already in an open proposal, destroyed or
    handed over, or not visible to the proposer refuses the **whole** proposal (nothing is
    saved), with each item and its reasons named. Refusing whole keeps one proposal equal to
    what its proposer saw and chose, and can never leave half a proposal behind.
    """
    on = on or today()
    ids = _clean_ids(record_ids)
    rows = _visible_rows(actor, ids)
    in_open = _in_open_proposals(ids)
    refusals = [
        Refusal(row["id"], row["agenda_number"], tuple(reasons))
        for row in rows
        if (reasons := rules.proposal_refusals(row, on, row["id"] in in_open))
    ]
    _refuse_if_any(refusals, N_("Nothing was proposed: %(n)s record(s) may not be destroyed."))
    proposal = _new_document(
        rules.DESTRUCTION_SERIES,
        on,
        status=rules.OPEN,
        proposed_by_id=actor.id,
        proposed_at=utcnow(),
        note=(note or "").strip(),
    )
    files = _attachments(ids)
    for row in rows:
        snapshot = rules.minutes_item(row, files.get(row["id"], []))
        db.session.add(
            ProposalItem(
                proposal_id=proposal.id,
                record_id=row["id"],
                snapshot=json.dumps(snapshot, ensure_ascii=False, sort_keys=True),
            )
        )
    db.session.flush()
    audit.record(
        actor,
        "archive.destruction_proposed",
        "archive_proposal",
        proposal.id,
        {
            "number": proposal.number,
            "records": ids,
            "agenda": [row["agenda_number"] for row in rows],
            "note": proposal.note,
        },
    )
    return proposal


def get_proposal(proposal_id: int, handover: bool | None = False) -> Proposal:
    """The proposal (``handover`` False: destruction only; True: hand-over only; None: any),
    or a 404 refusal."""
    proposal = db.session.get(Proposal, proposal_id) if valid_id(proposal_id) else None
    is_handover = proposal is not None and proposal.status == rules.HANDED_OVER
    if proposal is None or (handover is not None and is_handover != handover):
        raise LifecycleError(N_("No such proposal."), 404)
    return proposal


def _require_open(proposal: Proposal) -> None:
    if proposal.status != rules.OPEN:
        raise LifecycleError(
            N_("Proposal %(number)s is no longer open (%(state)s)."),
            409,
            number=proposal.number,
            state=proposal.status,
        )


def approval_refusals(actor: Any, proposal: Proposal, on: dt.date) -> list[Refusal]:
    """What stands in the way of approving now (shown on the proposal page too)."""
    ids = [item.record_id for item in proposal.items]
    rows = _record_rows(Record.id.in_(ids)) if ids else []
    in_open = _in_open_proposals(ids, except_id=proposal.id)
    visible = set(
        db.session.scalars(select(Record.id).where(Record.id.in_(ids), access.visible(actor)))
    )
    refusals = []
    for row in rows:
        reasons = rules.proposal_refusals(row, on, row["id"] in in_open)
        if row["id"] not in visible:
            reasons.append(N_("you may not see it"))
        if reasons:
            label = row["agenda_number"] if row["id"] in visible else f"#{row['id']}"
            refusals.append(Refusal(row["id"], label, tuple(reasons)))
    return refusals


def approve(actor: Any, proposal_id: int, on: dt.date | None = None) -> Proposal:
    """Approve a destruction proposal: re-check, write the berita acara, keep a metadata
    stub of every record, clear its files' text and hash, delete the unshared blobs.

    Crash safety, in order: everything in the database (the proposal's status and berita
    acara, the stubs, the attachments' cleared hashes, the deleted ``storage_blob`` rows and
    the audit events) is one transaction; the files are unlinked by the storage service only
    *after* that transaction commits, and only when their row is then really gone. So a
    crash before the commit changes nothing at all (files and rows stay, the proposal stays
    open); a crash between the commit and the unlink leaves files without a row, which
    ``sikd storage reconcile`` removes. The other order (files first) could lose a record
    whose destruction then rolled back, which is worse than a late unlink.
    """
    on = on or today()
    proposal = get_proposal(proposal_id)
    _require_open(proposal)
    if not rules.can_decide(proposal.proposed_by_id, actor.id):
        raise LifecycleError(
            N_("You proposed %(number)s; someone else must approve it."),
            403,
            number=proposal.number,
        )
    ids = sorted(item.record_id for item in proposal.items)
    if not ids:
        raise LifecycleError(N_("This proposal has no items."), 409)
    _record_rows(Record.id.in_(ids), lock=True)  # lock the rows before the re-check
    refusals = approval_refusals(actor, proposal, on)
    if any(N_("you may not see it") in r.reasons for r in refusals):
        raise LifecycleError(
            N_("You may not see every record of this proposal, so you may not approve it."),
            403,
            refusals,
        )
    _refuse_if_any(
        refusals,
        N_(
            "Not approved: %(n)s record(s) may no longer be destroyed. "
            "Reject the proposal and propose again without them."
        ),
    )
    now = utcnow()
    _claim(proposal, actor, now)
    rows = _record_rows(Record.id.in_(ids))
    files = _attachments(ids)
    items = [rules.minutes_item(row, files.get(row["id"], [])) for row in rows]
    _mark_destroyed(ids, proposal.id, now, on)
    destroyed, kept = _destroy_blobs({a["sha256"] for fs in files.values() for a in fs})
    proposer = db.session.get(User, proposal.proposed_by_id)
    proposal.minutes = _dump(
        rules.minutes(
            "pemusnahan",
            proposal.number,
            now,
            settings("INSTITUTION_NAME", ""),
            _unit_of(proposer),
            _person(proposer),
            _person(actor),
            items,
            proposed_at=proposal.proposed_at.isoformat(timespec="seconds"),
            note=proposal.note,
            blobs_destroyed=destroyed,
            blobs_kept_shared=kept,
        )
    )
    for item in items:
        audit.record(
            actor,
            "archive.record_destroyed",
            "archive_record",
            item["record_id"],
            {
                "proposal": proposal.number,
                "agenda": item["agenda_number"],
                "sha256": [a["sha256"] for a in item["attachments"]],
            },
        )
    audit.record(
        actor,
        "archive.destruction_approved",
        "archive_proposal",
        proposal.id,
        {
            "number": proposal.number,
            "records": ids,
            "blobs_destroyed": destroyed,
            "blobs_kept_shared": kept,
        },
    )
    _reindex(ids)
    return proposal


def _claim(proposal: Proposal, actor: Any, now: dt.datetime) -> None:
    """Move the proposal from open to approved, atomically: of two approvers at once, one
    wins and the other is refused."""
    result = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == rules.OPEN)
        .values(status=rules.APPROVED, approved_by_id=actor.id, approved_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise LifecycleError(N_("This proposal was decided meanwhile."), 409)


def _mark_destroyed(ids: list[int], proposal_id: int, now: dt.datetime, on: dt.date) -> None:
    """Stubs: status musnah, destroyed_at, the proposal; the files' text and hash cleared.

    The UPDATE repeats every rule in its WHERE clause, so a record that changed since the
    re-check (a legal hold set a moment ago) is left out and the whole approval fails.
    """
    result = db.session.execute(
        update(Record)
        .where(
            Record.id.in_(ids),
            Record.legal_hold == false(),
            final_due(on, "musnah"),
        )
        .values(status="musnah", destroyed_at=now, proposal_id=proposal_id)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != len(ids):
        raise LifecycleError(N_("Some records changed meanwhile; nothing was destroyed."), 409)
    db.session.execute(
        update(Attachment)
        .where(Attachment.record_id.in_(ids))
        .values(sha256=None, text="")
        .execution_options(synchronize_session="fetch")
    )


def _destroy_blobs(shas: set[str]) -> tuple[list[str], list[str]]:
    """Delete each blob that nothing references any more; keep the shared ones.

    The same content is stored once, so a file of a destroyed record may also be another
    record's file, or a file of another plugin's row: every table with a foreign key to the
    blob is asked (one query per such table), and a blob still referenced is kept. The
    deletes run in the approval's own transaction, not in savepoints: the storage service
    unlinks files after a commit, and a savepoint's release counts as one for SQLAlchemy.
    """
    if not shas:
        return [], []
    still_used = _referenced(shas)
    destroyed = []
    for sha256 in sorted(shas - still_used):
        try:
            storage.destroy(sha256)
        except storage.BlobNotFound:
            pass  # already gone: nothing left to delete
        except IntegrityError as error:  # a reference the metadata does not know of
            raise LifecycleError(
                N_("A file of this proposal is still in use elsewhere; nothing was destroyed."),
                409,
            ) from error
        destroyed.append(sha256)
    return destroyed, sorted(still_used)


def _referenced(shas: set[str]) -> set[str]:
    """The blobs among ``shas`` that some row of any table still points to."""
    blob_table = storage.StoredBlob.__table__
    found: set[str] = set()
    for table in db.metadata.tables.values():
        for key in table.foreign_keys:
            if key.column.table is blob_table:
                column = key.parent
                found |= set(
                    db.session.scalars(select(column).where(column.in_(sorted(shas))).distinct())
                )
    return found


def reject(actor: Any, proposal_id: int, reason: str) -> Proposal:
    """Reject (approver) or withdraw (proposer) an open proposal, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError(N_("Write the reason."), 400)
    proposal = get_proposal(proposal_id)
    _require_open(proposal)
    is_proposer = proposal.proposed_by_id == actor.id
    if not (is_proposer or actor.has_permission("archive.approve_destruction")):
        raise LifecycleError(N_("You may not reject this proposal."), 403)
    result = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == rules.OPEN)
        .values(status=rules.REJECTED, approved_by_id=actor.id, approved_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise LifecycleError(N_("This proposal was decided meanwhile."), 409)
    proposal.minutes = _dump({"kind": "ditolak", "reason": reason, "by": _person(actor)})
    audit.record(
        actor,
        "archive.destruction_withdrawn" if is_proposer else "archive.destruction_rejected",
        "archive_proposal",
        proposal.id,
        {"number": proposal.number, "reason": reason},
    )
    return proposal


def record_refusal(actor: Any, action: str, proposal_id: int, error: LifecycleError) -> None:
    """Audit a refused decision (call after rolling back, then commit): who tried what."""
    audit.record(
        actor,
        f"archive.{action}_refused",
        "archive_proposal",
        proposal_id,
        {
            "message": error.message % error.params if error.params else error.message,
            "records": {str(r.record_id): list(r.reasons) for r in error.refusals},
        },
    )


# --- hand-over to ANRI ---------------------------------------------------------------------


def hand_over(
    actor: Any,
    record_ids: Iterable[Any],
    receiver: str,
    note: str = "",
    on: dt.date | None = None,
) -> Proposal:
    """Record the hand-over of due permanent records to the national archive (ANRI) with a
    berita acara serah; all or nothing. The files are kept (static records stay intact)."""
    on = on or today()
    receiver = (receiver or "").strip()
    if not receiver:
        raise LifecycleError(N_("Name who received the records."), 400)
    ids = _clean_ids(record_ids)
    rows = _visible_rows(actor, ids, lock=True)
    in_open = _in_open_proposals(ids)
    refusals = []
    for row in rows:
        reasons = rules.handover_refusals(row, on)
        if row["id"] in in_open:
            reasons.append(N_("already in an open proposal"))
        if reasons:
            refusals.append(Refusal(row["id"], row["agenda_number"], tuple(reasons)))
    _refuse_if_any(refusals, N_("Nothing was handed over: %(n)s record(s) may not be."))
    now = utcnow()
    document = _new_document(
        rules.HANDOVER_SERIES,
        on,
        status=rules.HANDED_OVER,
        proposed_by_id=actor.id,
        proposed_at=now,
        approved_by_id=actor.id,
        approved_at=now,
        note=(note or "").strip(),
    )
    files = _attachments(ids)
    items = [rules.minutes_item(row, files.get(row["id"], [])) for row in rows]
    for item in items:
        db.session.add(
            ProposalItem(
                proposal_id=document.id,
                record_id=item["record_id"],
                snapshot=json.dumps(item, ensure_ascii=False, sort_keys=True),
            )
        )
    result = db.session.execute(
        update(Record)
        .where(Record.id.in_(ids), Record.legal_hold == false(), final_due(on, "permanen"))
        .values(status="serah", handed_over_at=now, proposal_id=document.id)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != len(ids):
        raise LifecycleError(N_("Some records changed meanwhile; nothing was handed over."), 409)
    document.minutes = _dump(
        rules.minutes(
            "serah",
            document.number,
            now,
            settings("INSTITUTION_NAME", ""),
            _unit_of(actor),
            _person(actor),
            _person(actor),
            items,
            receiver=receiver,
            note=document.note,
        )
    )
    for item in items:
        audit.record(
            actor,
            "archive.record_handed_over",
            "archive_record",
            item["record_id"],
            {"document": document.number, "agenda": item["agenda_number"], "receiver": receiver},
        )
    audit.record(
        actor,
        "archive.handover_recorded",
        "archive_proposal",
        document.id,
        {"number": document.number, "records": ids, "receiver": receiver},
    )
    _reindex(ids)
    return document


# --- re-assessment (dinilai kembali) -----------------------------------------------------


def reassess(
    actor: Any,
    record_id: int,
    decision: str,
    years: int | None,
    reason: str,
    on: dt.date | None = None,
) -> Record:
    """Settle a due *dinilai kembali* record: review again in ``years`` years, or decide
    musnah or permanen from now on. Kept in the edit history and audited."""
    on = on or today()
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError(N_("Write the reason."), 400)
    rows = (
        _record_rows(and_(Record.id == record_id, access.visible(actor)), lock=True)
        if valid_id(record_id)
        else []
    )
    if not rows:
        raise LifecycleError(N_("No such record."), 404)
    row = rows[0]
    reasons = rules.reassess_refusals(row, on)
    if reasons:
        raise LifecycleError(
            N_("This record cannot be re-assessed now."),
            409,
            [Refusal(row["id"], row["agenda_number"], tuple(reasons))],
        )
    values, problem = rules.reassessment(decision, years, on)
    if problem:
        raise LifecycleError(problem, 400)
    record = db.session.get(Record, record_id)
    changes = {}
    for name, value in values.items():
        old = getattr(record, name)
        changes[name] = [_text(old), _text(value)]
        db.session.add(
            Change(
                record_id=record.id,
                user_id=actor.id,
                field=name,
                old=_text(old),
                new=_text(value),
            )
        )
        setattr(record, name, value)
    audit.record(
        actor,
        "archive.record_reassessed",
        "archive_record",
        record.id,
        {"decision": decision, "years": years, "reason": reason, "changes": changes},
    )
    db.session.flush()
    search.index_record(record)
    return record


# --- helpers ----------------------------------------------------------------------------------


def _reindex(ids: list[int]) -> None:
    db.session.flush()
    for record in db.session.scalars(select(Record).where(Record.id.in_(ids))):
        search.index_record(record)


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def minutes_of(proposal: Proposal) -> dict[str, Any]:
    """The stored berita acara as a dict (empty while the proposal is open)."""
    try:
        data = json.loads(proposal.minutes or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def proposals(status: str | None = None, limit: int = 200) -> list[Any]:
    """Proposals and hand-overs, newest first, with their proposer's name and item count."""
    count = (
        select(func.count(ProposalItem.id))
        .where(ProposalItem.proposal_id == Proposal.id)
        .scalar_subquery()
    )
    statement = (
        select(Proposal, User.full_name, count.label("items"))
        .join(User, Proposal.proposed_by_id == User.id)
        .order_by(Proposal.proposed_at.desc(), Proposal.id.desc())
        .limit(limit)
    )
    if status in rules.PROPOSAL_STATUSES:
        statement = statement.where(Proposal.status == status)
    return list(db.session.execute(statement).all())


def visible_item_ids(user: Any, proposal: Proposal) -> set[int]:
    """Which of the proposal's records the user may see (the others are shown masked)."""
    return set(
        db.session.scalars(
            select(ProposalItem.record_id)
            .join(Record, ProposalItem.record_id == Record.id)
            .where(ProposalItem.proposal_id == proposal.id, access.visible(user))
        )
    )
