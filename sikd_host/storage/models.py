"""The blob registry and the checkpoints of ``verify`` runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sikd_host.extensions import db
from sikd_host.models import utcnow

VERIFY_OK = "ok"
VERIFY_MISMATCH = "mismatch"
VERIFY_MISSING = "missing"


class StoredBlob(db.Model):
    """One stored content, named by its SHA-256; the file is ``<STORAGE_DIR>/ab/cd/<sha256>``.

    Plugin tables that point at a blob should hold a foreign key to ``storage_blob.sha256``
    (no cascade): ``destroy`` then refuses to delete content that a record still uses.
    """

    __tablename__ = "storage_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # 'ok' | 'mismatch' | 'missing', or None before the first verify
    last_verify_result: Mapped[str | None] = mapped_column(String(8), index=True)


class VerifyRun(db.Model):
    """One run of ``verify``: its counters and the last blob checked (blobs go in sha order)."""

    __tablename__ = "storage_verify_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default="running")  # running|done|abandoned
    checked: Mapped[int] = mapped_column(Integer, default=0)
    mismatched: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    last_sha256: Mapped[str | None] = mapped_column(String(64))
