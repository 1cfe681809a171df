"""Shared column helpers for host models."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp column stores UTC without a zone, on every engine."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
