"""The hash chain of the audit log, as pure functions of plain data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "created_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "details",
    "ip",
)


def canonical(entry: Mapping[str, Any], prev_hash: str) -> bytes:
    """Sorted-key, compact JSON of the hashed fields plus the previous hash."""
    payload = {field: entry.get(field) for field in HASHED_FIELDS}
    created = payload["created_at"]
    if isinstance(created, dt.datetime):
        payload["created_at"] = created.isoformat(timespec="microseconds")
    payload["prev_hash"] = prev_hash
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(entry, prev_hash)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link: the row id (or None for the chain head) and what is wrong."""

    row_id: int | None
    reason: str


def find_break(rows: Iterable[Mapping[str, Any]], head_hash: str | None) -> Break | None:
    """Walk rows in id order; return the first broken link, or None when the chain holds."""
    expected_prev = GENESIS
    last_id = None
    for row in rows:
        if row["prev_hash"] != expected_prev:
            return Break(row["id"], "previous entry missing or changed")
        if entry_hash(row, row["prev_hash"]) != row["hash"]:
            return Break(row["id"], "entry edited")
        expected_prev = row["hash"]
        last_id = row["id"]
    if head_hash is not None and head_hash != expected_prev:
        return Break(last_id, "entries after this one were deleted")
    return None
