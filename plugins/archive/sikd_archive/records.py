"""The naskah dinas register: registering, editing with history, attachments, berkas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, BinaryIO

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sikd_archive import search
from sikd_archive.klasifikasi import apply_retention, default_security
from sikd_archive.models import AgendaCounter, Attachment, Berkas, Change, Record
from sikd_archive.rules.register import DEFAULTS, EDITABLE, agenda_number, validate_record
from sikd_host.plugin_api import N_, Unit, audit, db, storage, utcnow


class RecordError(ValueError):
    """Refused input: ``errors`` maps each field to an English msgid."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def next_agenda_seq(unit_id: int, year: int) -> int:
    """Take the next agenda number of a unit and year inside the current transaction."""
    counter = AgendaCounter.__table__
    bump = (
        update(counter)
        .where(counter.c.unit_id == unit_id, counter.c.year == year)
        .values(last=counter.c.last + 1)
        .returning(counter.c.last)
    )
    value = db.session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.execute(insert(counter).values(unit_id=unit_id, year=year, last=1))
        return 1
    except IntegrityError:  # another transaction created the counter first
        return db.session.execute(bump).scalar_one()


def _check(data: Mapping[str, Any], record: Record | None = None) -> None:
    errors = validate_record(data, dt.date.today())
    berkas_id = data.get("berkas_id")
    if berkas_id:
        berkas = db.session.get(Berkas, berkas_id)
        if berkas is None:
            errors["berkas_id"] = N_("Not a valid choice.")
        elif berkas.is_closed and (record is None or record.berkas_id != berkas_id):
            errors["berkas_id"] = N_("This berkas is closed.")
    if errors:
        raise RecordError(errors)


def register(actor: Any, unit_id: int, data: Mapping[str, Any]) -> Record:
    """Register a record with the next agenda number of its unit; audited, indexed.

    Sifat, tingkat and media take their usual values when not given; a record given no
    security class (keamanan) takes its classification code's default (that of the nearest
    code up the tree that has one), else B."""
    given = dict(data)
    if not given.get("keamanan"):
        given["keamanan"] = default_security(given.get("klasifikasi_id")) or DEFAULTS["keamanan"]
    data = {**DEFAULTS, **given}
    _check(data)

    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise RecordError({"unit_id": N_("Not a valid choice.")})
    year = data["tanggal"].year
    seq = next_agenda_seq(unit_id, year)
    record = Record(
        unit_id=unit_id,
        agenda_year=year,
        agenda_seq=seq,
        agenda_number=agenda_number(seq, unit.code, year),
        created_by_id=actor.id,
        **{k: data.get(k) for k in EDITABLE if k in data},
    )
    db.session.add(record)
    db.session.flush()
    apply_retention(record)
    audit.record(
        actor,
        "archive.record_registered",
        "archive_record",
        record.id,
        {"agenda": record.agenda_number, "nomor": record.nomor},
    )
    search.index_record(record)
    return record


def edit(actor: Any, record: Record, data: Mapping[str, Any]) -> list[Change]:
    """Change fields, keeping who changed which field from what to what."""
    if record.is_locked:
        raise RecordError({"record": N_("This record is locked (closed berkas or destroyed).")})
    merged = {k: getattr(record, k) for k in EDITABLE} | dict(data)
    _check(merged, record)
    changes = []
    for field in EDITABLE:
        if field in data and getattr(record, field) != data[field]:
            changes.append(
                Change(
                    record_id=record.id,
                    user_id=actor.id,
                    field=field,
                    old=_text(getattr(record, field)),
                    new=_text(data[field]),
                )
            )
            setattr(record, field, data[field])
    if changes:
        db.session.add_all(changes)
        apply_retention(record)
        audit.record(
            actor,
            "archive.record_changed",
            "archive_record",
            record.id,
            {c.field: [c.old, c.new] for c in changes},
        )
        search.index_record(record)
    return changes


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def attach(actor: Any, record: Record, stream: BinaryIO, filename: str) -> Attachment:
    """Store a file (streamed, hashed, fsynced) and add it as the next version of its name."""
    if record.is_locked:
        raise RecordError({"file": N_("This record is locked (closed berkas or destroyed).")})
    blob = storage.store(stream, filename)
    name = blob.filename
    version = (
        db.session.scalar(
            select(func.max(Attachment.version)).where(
                Attachment.record_id == record.id, Attachment.name == name
            )
        )
        or 0
    ) + 1
    attachment = Attachment(
        record_id=record.id,
        name=name,
        version=version,
        sha256=blob.sha256,
        size=blob.size,
        mimetype=blob.mimetype,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
        text=search.extract_text(blob.sha256, name, blob.size),
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record(
        actor,
        "archive.attachment_added",
        "archive_record",
        record.id,
        {"name": name, "version": version, "sha256": blob.sha256},
    )
    search.index_record(record)
    return attachment


def set_legal_hold(actor: Any, record: Record, hold: bool, reason: str) -> None:
    """Set (``hold``) or lift a legal hold, with its reason; audited.

    Refused, changing nothing, when the record is already in the asked state (a form sent
    twice must not undo itself), when no reason is given, or when the record is destroyed
    or handed over. The change is a conditional UPDATE, so of two people acting at once
    only one succeeds."""
    reason = (reason or "").strip()
    if not reason:
        raise RecordError({"reason": N_("Write the reason.")})
    if record.status not in ("aktif", "inaktif"):
        raise RecordError({"legal_hold": N_("This record was destroyed or handed over.")})
    result = db.session.execute(
        update(Record)
        .where(Record.id == record.id, Record.legal_hold == (not hold))
        .values(legal_hold=hold, legal_hold_reason=reason if hold else "")
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        message = (
            N_("This record is already on legal hold; nothing was changed.")
            if hold
            else N_("This record is not on legal hold; nothing was changed.")
        )
        raise RecordError({"legal_hold": message})
    audit.record(
        actor,
        "archive.legal_hold_set" if hold else "archive.legal_hold_lifted",
        "archive_record",
        record.id,
        {"reason": reason},
    )


def close_berkas(actor: Any, berkas: Berkas, closed_on: dt.date) -> int:
    """Close a berkas: its records lock and their retention clock starts."""
    if berkas.is_closed:
        raise RecordError({"berkas": N_("This berkas is closed.")})
    berkas.closed_on = closed_on
    from sikd_archive.klasifikasi import refresh_retention

    count = refresh_retention(Record.berkas_id == berkas.id)
    audit.record(
        actor,
        "archive.berkas_closed",
        "archive_berkas",
        berkas.id,
        {"closed_on": closed_on.isoformat(), "records": count},
    )
    return count
