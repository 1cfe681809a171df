"""The talent pool's history across periods: when each member joined and when each left.
A plain function of which employees were in the pool in each period's published run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stint:
    joined: str  # the period code in which the employee entered the pool
    left: str | None  # the first later period without them in the pool; None: still in it


def history(periods: Sequence[str], members: Mapping[str, set[int]]) -> dict[int, list[Stint]]:
    """``periods`` oldest first (those with a published run); ``members[period]`` the user
    ids in boxes 7-9 of that period's published run. Each employee's stints, oldest first."""
    stints: dict[int, list[Stint]] = {}
    open_since: dict[int, str] = {}
    for period in periods:
        now = members.get(period, set())
        for user in sorted(set(open_since) - now):
            stints.setdefault(user, []).append(Stint(open_since.pop(user), period))
        for user in sorted(now - set(open_since)):
            open_since[user] = period
    for user, since in open_since.items():
        stints.setdefault(user, []).append(Stint(since, None))
    return stints
