"""Each indicator's value 0-100 from its raw data (DOMAIN.md sections 3, 4 and 6).

A function returns None when the employee has no data for it: a missing source is never a
zero (section 6 item 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from sikd_simantap.scoring.numbers import clamp, linear_down, mean

SKP_VALUES = {
    "Sangat Baik": 100.0,
    "Baik": 80.0,
    "Butuh Perbaikan": 60.0,
    "Kurang": 40.0,
    "Sangat Kurang": 20.0,
}
EDUCATION_VALUES = {
    "S3": 100.0,
    "S2": 90.0,
    "S1": 80.0,
    "D4": 80.0,
    "D3": 70.0,
    "D2": 65.0,
    "D1": 65.0,
    "SMA": 60.0,
    "SMK": 60.0,
    "SMA/SMK": 60.0,
    "SMP": 50.0,
    "SD": 50.0,
}
DISCIPLINE_VALUES = {None: 100.0, "ringan": 70.0, "sedang": 30.0, "berat": 0.0}
DISCIPLINE_ORDER = {None: 0, "ringan": 1, "sedang": 2, "berat": 3}
RELATIONS = ("atasan", "rekan", "bawahan", "diri")
BERAKHLAK = (
    "Berorientasi Pelayanan",
    "Akuntabel",
    "Kompeten",
    "Harmonis",
    "Loyal",
    "Adaptif",
    "Kolaboratif",
)
TRAINING_JP_PER_YEAR = 20


def skp(predikat: str | None, values: Mapping[str, float] = SKP_VALUES) -> float | None:
    return values.get(predikat) if predikat else None


def education(level: str | None) -> float | None:
    """Formal education; unknown levels count as missing."""
    if not level:
        return None
    return EDUCATION_VALUES.get(level.strip().upper())


def training(jp_in_period: float) -> float:
    """min(100, JP / 20 * 100): no training is 0, not missing."""
    return clamp(jp_in_period / TRAINING_JP_PER_YEAR * 100)


def worst_discipline(levels: Iterable[str | None]) -> str | None:
    return max(levels, key=lambda level: DISCIPLINE_ORDER[level], default=None)


def discipline(levels: Iterable[str | None]) -> float:
    """The worst penalty of the last 2 years counts; none is 100."""
    return DISCIPLINE_VALUES[worst_discipline(levels)]


def track_record(level: str | None, jp_in_period: float, penalties: Sequence[str]) -> float | None:
    """Mean of education, training and discipline; missing when education is unknown."""
    schooling = education(level)
    if schooling is None:
        return None
    return mean([schooling, training(jp_in_period), discipline(penalties)])


def rater_to_100(value: float) -> float:
    """1-5 to 0-100: (x - 1) / 4 * 100."""
    return (value - 1) / 4 * 100


def three_sixty(
    raters: Mapping[str, Sequence[float]],
    weights: Mapping[str, float],
    k: int,
) -> float | None:
    """The 360 indicator from each relation's rater scores (each already a rater's item mean).

    A group's score is the mean of its raters, mapped to 0-100. Peer and subordinate groups
    with fewer than ``k`` raters are left out; the superior's group always counts. The result
    is the weighted mean of the groups left in with a positive weight; none -> missing.
    """
    total = weight_sum = 0.0
    for relation, scores in raters.items():
        weight = weights.get(relation, 0.0)
        if not scores or weight <= 0:
            continue
        if relation in ("rekan", "bawahan") and len(scores) < k:
            continue
        total += weight * rater_to_100(sum(scores) / len(scores))
        weight_sum += weight
    return total / weight_sum if weight_sum else None


def response_time(median_hours: float | None) -> float | None:
    """100 at <= 8 h, 0 at >= 120 h, linear between (section 6 item 7)."""
    return None if median_hours is None else linear_down(median_hours, 8, 120)


def lateness(minutes: float | None) -> float | None:
    """100 at 0 minutes in the period, 0 at >= 600 minutes, linear between."""
    return None if minutes is None else linear_down(minutes, 0, 600)


def in_last_two_years(day: dt.date, reference: dt.date) -> bool:
    """After the reference date minus 2 years and on or before the reference date."""
    try:
        start = reference.replace(year=reference.year - 2)
    except ValueError:  # 29 February
        start = reference.replace(year=reference.year - 2, day=28)
    return start < day <= reference
