"""Full-text search over records (being written: SQLite FTS5 and PostgreSQL tsvector)."""

from __future__ import annotations

from typing import Any


def index_record(record: Any) -> None:
    """Bring the record's index entry up to date in the current transaction."""


def extract_text(sha256: str, filename: str) -> str:
    """Text of a PDF or DOCX attachment, for the index."""
    return ""
