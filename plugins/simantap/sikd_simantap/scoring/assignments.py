"""Who rates whom in the 360 assessment (DOMAIN.md sections 2 and 3), from plain data.

Raters of an employee: the superior (the first holder, by id, of their position's superior
position), peers (other employees of the same unit whose positions report to the same
superior position), direct subordinates and, optionally, the employee. Peers are capped at
``peers_per_ratee`` raters per person rated and ``peers_per_rater`` ratings per rater,
chosen deterministically from the seed: the same people and seed give the same pairs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

ATASAN, REKAN, BAWAHAN, DIRI = "atasan", "rekan", "bawahan", "diri"


@dataclass(frozen=True)
class Person:
    """An active employee with a position: ids only."""

    id: int
    position_id: int
    unit_id: int
    superior_position_id: int | None


@dataclass(frozen=True)
class Options:
    peers_per_ratee: int = 5
    peers_per_rater: int = 10
    include_self: bool = False
    seed: int = 0


@dataclass(frozen=True, order=True)
class Pair:
    """``rater_id`` rates ``ratee_id`` as the ratee's ``relation`` (atasan: their superior)."""

    rater_id: int
    ratee_id: int
    relation: str


def generate(
    people: Iterable[Person],
    options: Options = Options(),
    fixed: Iterable[tuple[int, int]] = (),
) -> list[Pair]:
    """Every assignment for ``people``, sorted; each (rater, ratee) pair at most once.

    ``fixed`` are (rater, ratee) peer pairs that must stay (already rated): they are chosen
    first and count towards both caps.
    """
    staff = sorted(set(people), key=lambda p: p.id)
    holders: dict[int, list[int]] = defaultdict(list)
    reports: dict[int, list[int]] = defaultdict(list)  # position -> holders reporting to it
    for person in staff:
        holders[person.position_id].append(person.id)
        if person.superior_position_id is not None:
            reports[person.superior_position_id].append(person.id)
    pairs: dict[tuple[int, int], str] = {}

    def add(rater: int, ratee: int, relation: str) -> None:
        if rater != ratee or relation == DIRI:
            pairs.setdefault((rater, ratee), relation)

    for person in staff:
        superiors = holders.get(person.superior_position_id or -1, [])
        if superiors:
            add(superiors[0], person.id, ATASAN)
        for subordinate in reports.get(person.position_id, []):
            add(subordinate, person.id, BAWAHAN)
    for rater, ratee in _peers(staff, options, set(fixed)):
        add(rater, ratee, REKAN)
    if options.include_self:
        for person in staff:
            add(person.id, person.id, DIRI)
    return sorted(Pair(rater, ratee, relation) for (rater, ratee), relation in pairs.items())


def peer_groups(people: Iterable[Person]) -> dict[tuple[int, int | None], list[int]]:
    """(unit, superior position) -> sorted ids of the employees in it."""
    groups: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for person in people:
        groups[(person.unit_id, person.superior_position_id)].append(person.id)
    return {key: sorted(ids) for key, ids in groups.items()}


def _peers(
    staff: list[Person], options: Options, fixed: set[tuple[int, int]]
) -> list[tuple[int, int]]:
    chosen: list[tuple[int, int]] = []
    groups = peer_groups(staff)
    for key in sorted(groups, key=lambda k: (k[0], -1 if k[1] is None else k[1])):
        chosen += _pick_peers(groups[key], key, options, fixed)
    return chosen


def _pick_peers(
    members: list[int],
    key: tuple[int, int | None],
    options: Options,
    fixed: set[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Peers within one group: fixed pairs first, then the least-loaded raters, ties broken
    in a random order drawn from the seed and the group (so other groups do not matter)."""
    if len(members) < 2:
        return []
    rng = random.Random(f"{options.seed}:{key[0]}:{key[1]}")
    member_set = set(members)
    load = dict.fromkeys(members, 0)  # ratings each rater gives
    count = dict.fromkeys(members, 0)  # peer raters each ratee gets
    chosen: list[tuple[int, int]] = []
    for rater, ratee in sorted(fixed):
        if rater in member_set and ratee in member_set and rater != ratee:
            chosen.append((rater, ratee))
            load[rater] += 1
            count[ratee] += 1
    taken = set(chosen)
    ratees = list(members)
    rng.shuffle(ratees)
    for ratee in ratees:
        candidates = [m for m in members if m != ratee and (m, ratee) not in taken]
        rng.shuffle(candidates)
        candidates.sort(key=lambda m: load[m])  # stable: equal loads keep the random order
        for rater in candidates:
            if count[ratee] >= options.peers_per_ratee:
                break
            if load[rater] >= options.peers_per_rater:
                continue
            chosen.append((rater, ratee))
            taken.add((rater, ratee))
            load[rater] += 1
            count[ratee] += 1
    return chosen
