"""Tables of the archive plugin; every name starts with ``archive_``.

Dates that lists and reports filter on (retention due dates, disposition timestamps) are
stored as columns, so that retention lists and Simantap's figures are single SQL queries.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sikd_archive.rules.register import KEAMANAN, KINDS, SIFAT, TINGKAT  # noqa: F401
from sikd_host.plugin_api import db, utcnow

FINAL = ("musnah", "permanen", "dinilai_kembali")
STATUS = ("aktif", "inaktif", "musnah", "serah")
ROUTING = ("disposisi", "tembusan", "teruskan")


class Klasifikasi(db.Model):
    """A classification code with its JRA: active and inactive years and final disposition."""

    __tablename__ = "archive_klasifikasi"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("archive_klasifikasi.id"), index=True)
    active_years: Mapped[int | None] = mapped_column(Integer)
    inactive_years: Mapped[int | None] = mapped_column(Integer)
    final: Mapped[str | None] = mapped_column(String(20))
    condition: Mapped[str] = mapped_column(Text, default="")
    security: Mapped[str | None] = mapped_column(String(2))

    parent: Mapped[Klasifikasi | None] = relationship(remote_side=[id])

    @property
    def has_retention(self) -> bool:
        return self.active_years is not None and self.inactive_years is not None


class Berkas(db.Model):
    """A case file grouping records; closing it starts the retention clock and locks them."""

    __tablename__ = "archive_berkas"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    klasifikasi_id: Mapped[int | None] = mapped_column(ForeignKey("archive_klasifikasi.id"))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    klasifikasi: Mapped[Klasifikasi | None] = relationship()

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


class AgendaCounter(db.Model):
    """The last agenda number given out per unit and year."""

    __tablename__ = "archive_agenda_counter"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Record(db.Model):
    """A naskah dinas with every field of DOMAIN.md section 8."""

    __tablename__ = "archive_record"
    __table_args__ = (
        UniqueConstraint("unit_id", "agenda_year", "agenda_seq", name="uq_archive_record_agenda"),
        Index("ix_archive_record_unit_date", "unit_id", "tanggal"),
        Index("ix_archive_record_due", "status", "final_due_on"),
        Index("ix_archive_record_tanggal", "tanggal", "id"),  # newest-first lists
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    agenda_year: Mapped[int] = mapped_column(Integer)
    agenda_seq: Mapped[int] = mapped_column(Integer)
    agenda_number: Mapped[str] = mapped_column(String(60))
    nomor: Mapped[str] = mapped_column(String(120), index=True)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    perihal: Mapped[str] = mapped_column(String(500))
    asal: Mapped[str] = mapped_column(String(300), default="")
    tujuan: Mapped[str] = mapped_column(String(300), default="")
    ringkasan: Mapped[str] = mapped_column(Text, default="")
    klasifikasi_id: Mapped[int | None] = mapped_column(
        ForeignKey("archive_klasifikasi.id"), index=True
    )
    sifat: Mapped[str] = mapped_column(String(20), default="biasa")
    keamanan: Mapped[str] = mapped_column(String(2), default="B")
    tingkat: Mapped[str] = mapped_column(String(20), default="asli")
    media: Mapped[str] = mapped_column(String(40), default="kertas")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    berkas_id: Mapped[int | None] = mapped_column(ForeignKey("archive_berkas.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="aktif")
    active_until: Mapped[dt.date | None] = mapped_column(Date)
    final_due_on: Mapped[dt.date | None] = mapped_column(Date)
    final: Mapped[str | None] = mapped_column(String(20))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="")
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("archive_proposal.id"))
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    klasifikasi: Mapped[Klasifikasi | None] = relationship()
    berkas: Mapped[Berkas | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="record", order_by="(Attachment.name, Attachment.version)"
    )

    @property
    def is_secret(self) -> bool:
        return self.keamanan in ("R", "SR")

    @property
    def is_destroyed(self) -> bool:
        return self.status == "musnah"

    @property
    def is_locked(self) -> bool:
        return (
            self.is_destroyed
            or self.status == "serah"
            or bool(self.berkas and self.berkas.is_closed)
        )


class Attachment(db.Model):
    """One version of an attached file; a new version is a new row, never an overwrite."""

    __tablename__ = "archive_attachment"
    __table_args__ = (
        UniqueConstraint("record_id", "name", "version", name="uq_archive_attachment_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("archive_record.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str | None] = mapped_column(ForeignKey("storage_blob.sha256"), index=True)

    size: Mapped[int] = mapped_column(Integer, default=0)
    mimetype: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text, default="")

    record: Mapped[Record] = relationship(back_populates="attachments")


class Change(db.Model):
    """Edit history: who changed which field of a record, from what, to what."""

    __tablename__ = "archive_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("archive_record.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Instruction(db.Model):
    """The configurable list of disposition instructions."""

    __tablename__ = "archive_instruction"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Disposition(db.Model):
    """One routing step of a record to one recipient, with every timestamp of its life."""

    __tablename__ = "archive_disposition"
    __table_args__ = (
        Index("ix_archive_disposition_inbox", "recipient_id", "done_at"),
        Index("ix_archive_disposition_sent", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("archive_record.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("archive_disposition.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="disposisi")
    sender_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    instruction: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_action_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    response_hours: Mapped[float | None] = mapped_column(Float)

    record: Mapped[Record] = relationship()
    parent: Mapped[Disposition | None] = relationship(remote_side=[id])


# An inbox page (the open items, unread first, newest first) read straight from the index
# instead of sorting every open item of the recipient for a page of 50; on PostgreSQL it
# also holds what the inbox's counts read, which then come from the index alone.
Index(
    "ix_archive_disposition_open",
    Disposition.recipient_id,
    Disposition.read_at.is_not(None),
    Disposition.sent_at.desc(),
    postgresql_where=Disposition.done_at.is_(None),
    postgresql_include=["read_at", "due_on"],
    sqlite_where=Disposition.done_at.is_(None),
)


class DispositionAction(db.Model):
    """A recipient's reply, forward or completion, with its note."""

    __tablename__ = "archive_disposition_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_id: Mapped[int] = mapped_column(ForeignKey("archive_disposition.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(20))  # balasan, teruskan, selesai
    note: Mapped[str] = mapped_column(Text, default="")
    acted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Proposal(db.Model):
    """A destruction proposal; approval by someone else produces the berita acara."""

    __tablename__ = "archive_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="diusulkan")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    minutes: Mapped[str] = mapped_column(Text, default="")  # the berita acara as JSON

    items: Mapped[list[ProposalItem]] = relationship(
        back_populates="proposal", order_by="ProposalItem.id"
    )


class ProposalItem(db.Model):
    """A record proposed for destruction, with the metadata kept after it is destroyed."""

    __tablename__ = "archive_proposal_item"
    __table_args__ = (
        UniqueConstraint("proposal_id", "record_id", name="uq_archive_proposal_item_record"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("archive_proposal.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("archive_record.id"), index=True)
    snapshot: Mapped[str] = mapped_column(Text, default="{}")

    proposal: Mapped[Proposal] = relationship(back_populates="items")
