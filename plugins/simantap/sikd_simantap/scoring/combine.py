"""Pure helpers of the scoring run: the 360 indicator from group aggregates, the two-year
window, the input fingerprint and box movements (DOMAIN.md section 6).

The scoring run aggregates raw rows in SQL; these functions finish the job on the small
per-employee aggregates, with the same rules as ``indicators``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import repeat
from operator import itemgetter
from typing import Any

from sikd_simantap.scoring.indicators import rater_to_100

LIMITED_GROUPS = ("rekan", "bawahan")


def three_sixty_groups(
    groups: Mapping[str, tuple[float, int]],
    weights: Mapping[str, float],
    k: int,
) -> float | None:
    """The 360 indicator from each relation's (mean of rater scores, number of raters).

    Same rule as ``indicators.three_sixty``: peer and subordinate groups with fewer than
    ``k`` raters are left out, the superior's group always counts, groups without a positive
    weight are left out; the weighted mean of what is left, or None.
    """
    total = weight_sum = 0.0
    for relation, (group_mean, raters) in groups.items():
        weight = weights.get(relation, 0.0)
        if raters <= 0 or weight <= 0:
            continue
        if relation in LIMITED_GROUPS and raters < k:
            continue
        total += weight * rater_to_100(group_mean)
        weight_sum += weight
    return total / weight_sum if weight_sum else None


def two_years_before(reference: dt.date) -> dt.date:
    """The exclusive start of "the last 2 years" (see ``indicators.in_last_two_years``)."""
    try:
        return reference.replace(year=reference.year - 2)
    except ValueError:  # 29 February
        return reference.replace(year=reference.year - 2, day=28)


def canonical_numbers(values: Iterable[float]) -> bytes:
    """Values as fingerprinted: rounded to nine decimals (so the last bits of a database's
    float arithmetic do not count), as little-endian IEEE doubles."""
    packed = array("d", map(round, values, repeat(9)))
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def canonical_ids(ids: Iterable[int]) -> bytes:
    packed = array("q", ids)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _pick(column: Mapping[int, float], users: list[int]) -> tuple[float, ...]:
    if not users:
        return ()
    if len(users) == 1:
        return (column[users[0]],)
    return itemgetter(*users)(column)


def fingerprint(
    profile: Mapping[str, Any],
    employees: Iterable[int],
    values: Mapping[str, Mapping[int, float]],
) -> str:
    """SHA-256 over a canonical serialisation of the profile, the employees scored and every
    indicator value used: the same inputs give the same fingerprint, in any order."""
    digest = hashlib.sha256()
    digest.update(json.dumps(profile, sort_keys=True, separators=(",", ":")).encode())
    staff = sorted(employees)
    digest.update(b"\nemployees:%d:" % len(staff))
    digest.update(canonical_ids(staff))
    for indicator in sorted(values):
        column = values[indicator]
        users = sorted(column)
        digest.update(f"\n{indicator}:{len(users)}:".encode())
        digest.update(canonical_ids(users))
        digest.update(canonical_numbers(_pick(column, users)))
    return digest.hexdigest()


def box_moves(
    before: Mapping[int, int | None], after: Mapping[int, int | None]
) -> Counter[tuple[int | None, int | None]]:
    """(box before, box after) -> number of employees, for employees in both (None: not
    mapped); pairs with the same box are counted too, so the sum is everyone compared."""
    return Counter((before[user], after[user]) for user in before.keys() & after.keys())
