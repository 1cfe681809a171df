"""Rounding and simple normalisations shared by every indicator."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

K = TypeVar("K")


def round2(value: float) -> float:
    """Two decimals, half up (2.345 -> 2.35), as DOMAIN.md section 6 item 3 asks.

    Going through ``repr`` keeps what the float shows: 2.675 is stored as 2.67499..., but
    the user and the spreadsheet see 2.675 and expect 2.68.
    """
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def linear_down(value: float, best_at: float, worst_at: float) -> float:
    """100 at or below ``best_at``, 0 at or above ``worst_at``, linear between."""
    if value <= best_at:
        return 100.0
    if value >= worst_at:
        return 0.0
    return (worst_at - value) / (worst_at - best_at) * 100


def percentile_ranks(values: Mapping[K, float]) -> dict[K, float]:
    """Each key's percentile rank 0-100 among the given values: the share of values at or
    below its own (ties share a rank; the highest is 100, a lone value is 100)."""
    ordered = sorted(values.values())
    count = len(ordered)
    return {key: bisect_right(ordered, value) / count * 100 for key, value in values.items()}


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def median(values: Iterable[float]) -> float | None:
    items = sorted(values)
    if not items:
        return None
    middle = len(items) // 2
    return items[middle] if len(items) % 2 else (items[middle - 1] + items[middle]) / 2
