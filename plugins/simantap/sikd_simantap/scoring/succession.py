"""Succession rules (DOMAIN.md section 7): who may succeed to a critical position, how the
candidates rank and how ready each is. Plain functions of plain data, no database.

The rules, each with the code a failing candidate is listed with:

- ``pool``: in the talent pool (box 7-9) of the latest published run;
- ``holder``: does not hold this position already;
- ``tier``: holds a structural position one eselon tier below, or in the same tier;
- ``golongan``: golongan at least the minimum for the position's eselon (PP 13/2002);
- ``discipline``: no sedang or berat penalty in the last 2 years;
- ``retirement``: retires no earlier than one year after the reference date;
- ``jpm``: has a competency assessment (a JPM).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sikd_simantap.scoring import N_
from sikd_simantap.scoring.indicators import in_last_two_years
from sikd_simantap.scoring.mapping import TALENT_POOL
from sikd_simantap.scoring.numbers import round2

GOLONGAN_ORDER = (
    "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d",
    "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
)  # fmt: skip
MIN_GOLONGAN = {
    "I.a": "IV/d",
    "I.b": "IV/c",
    "II.a": "IV/c",
    "II.b": "IV/b",
    "III.a": "IV/a",
    "III.b": "III/d",
    "IV.a": "III/c",
    "IV.b": "III/b",
}
RULES = ("pool", "holder", "tier", "golongan", "discipline", "retirement", "jpm")
RULE_LABELS = {
    "pool": N_("In the talent pool of the latest published run"),
    "holder": N_("Does not hold this position already"),
    "tier": N_("Holds a structural position one eselon tier below, or in the same tier"),
    "golongan": N_("Golongan at least the minimum for the eselon"),
    "discipline": N_("No sedang or berat discipline penalty in the last 2 years"),
    "retirement": N_("Retires no earlier than one year after the reference date"),
    "jpm": N_("Has a competency assessment (JPM)"),
}
SERIOUS_PENALTIES = frozenset({"sedang", "berat"})

READY_NOW = "siap_sekarang"
READY_SOON = "siap_1_2_tahun"
FUTURE = "potensial_masa_depan"
READINESS = (READY_NOW, READY_SOON, FUTURE)
READINESS_LABELS = {
    READY_NOW: N_("Ready now (Siap sekarang)"),
    READY_SOON: N_("Ready in 1-2 years (Siap 1-2 tahun)"),
    FUTURE: N_("Future potential (Potensial masa depan)"),
}


@dataclass(frozen=True)
class Target:
    """A critical position."""

    position_id: int
    eselon: str
    holder_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Person:
    """What the rules need to know about a talent-pool member (or anyone HR nominates)."""

    user_id: int
    nip: str
    box: int | None
    kinerja: float | None
    potensial: float | None
    position_id: int | None
    position_kind: str | None
    eselon: str | None
    golongan: str | None
    penalties: tuple[tuple[dt.date, str], ...]  # (date, tingkat)
    retires_on: dt.date | None
    jpm: float | None


@dataclass(frozen=True)
class Assessment:
    person: Person
    failed: tuple[str, ...]  # rule codes, in RULES order
    score: float | None  # the ranking score, when it can be computed
    readiness: str | None

    @property
    def eligible(self) -> bool:
        return not self.failed


def tier(eselon: str | None) -> int | None:
    """1 for I.a/I.b, 2 for II, 3 for III, 4 for IV (5 for the legacy V); None otherwise."""
    if not eselon:
        return None
    return {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}.get(eselon.split(".")[0])


def golongan_at_least(golongan: str | None, minimum: str | None) -> bool:
    if minimum is None:
        return True
    if golongan not in GOLONGAN_ORDER:
        return False
    return GOLONGAN_ORDER.index(golongan) >= GOLONGAN_ORDER.index(minimum)


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, month=3, day=1)


def failed_rules(person: Person, target: Target, reference: dt.date) -> tuple[str, ...]:
    """Every rule of section 7 the person fails for the target, in RULES order."""
    failed = []
    if person.box not in TALENT_POOL:
        failed.append("pool")
    if person.user_id in target.holder_ids or person.position_id == target.position_id:
        failed.append("holder")
    own, wanted = tier(person.eselon), tier(target.eselon)
    structural = person.position_kind == "struktural"
    if not (structural and own is not None and wanted is not None and own in (wanted, wanted + 1)):
        failed.append("tier")
    if not golongan_at_least(person.golongan, MIN_GOLONGAN.get(target.eselon)):
        failed.append("golongan")
    if any(
        level in SERIOUS_PENALTIES and in_last_two_years(day, reference)
        for day, level in person.penalties
    ):
        failed.append("discipline")
    if person.retires_on is None or person.retires_on < one_year_after(reference):
        failed.append("retirement")
    if person.jpm is None:
        failed.append("jpm")
    return tuple(failed)


def ranking_score(
    kinerja: float | None, potensial: float | None, jpm: float | None
) -> float | None:
    """``0.5 * mean(kinerja, potensial) + 0.5 * JPM``, rounded to 2 decimals (half up)."""
    if kinerja is None or potensial is None or jpm is None:
        return None
    return round2(0.5 * ((kinerja + potensial) / 2) + 0.5 * jpm)


def readiness(box: int | None, jpm: float | None) -> str:
    """Siap sekarang: box 9 and JPM >= 90; Siap 1-2 tahun: box 7-9 and JPM >= 78."""
    if jpm is not None and box == 9 and jpm >= 90:
        return READY_NOW
    if jpm is not None and box in TALENT_POOL and jpm >= 78:
        return READY_SOON
    return FUTURE


def assess(person: Person, target: Target, reference: dt.date) -> Assessment:
    failed = failed_rules(person, target, reference)
    return Assessment(
        person,
        failed,
        ranking_score(person.kinerja, person.potensial, person.jpm),
        readiness(person.box, person.jpm),
    )


def rank_key(assessment: Assessment) -> tuple:
    """Best first: higher score, then higher box, then lower NIP."""
    person = assessment.person
    score = assessment.score if assessment.score is not None else -1.0
    return (-score, -(person.box or 0), person.nip)


def plan(
    people: Iterable[Person], target: Target, reference: dt.date
) -> tuple[list[Assessment], list[Assessment]]:
    """(eligible candidates ranked best first, pool members who fail with their rules)."""
    eligible, failing = [], []
    for person in people:
        assessment = assess(person, target, reference)
        if assessment.eligible:
            eligible.append(assessment)
        elif person.box in TALENT_POOL:  # outside the pool is not worth a line each
            failing.append(assessment)
    eligible.sort(key=rank_key)
    failing.sort(key=lambda a: a.person.nip)
    return eligible, failing


def ready_counts(ranked: Sequence[Assessment]) -> Mapping[str, int]:
    counts = dict.fromkeys(READINESS, 0)
    for assessment in ranked:
        counts[assessment.readiness] += 1
    return counts


def retires_within(retires_on: dt.date | None, reference: dt.date, years: int = 2) -> bool:
    """Whether the holder retires within ``years`` of the reference date."""
    if retires_on is None:
        return False
    try:
        limit = reference.replace(year=reference.year + years)
    except ValueError:
        limit = reference.replace(year=reference.year + years, month=3, day=1)
    return retires_on <= limit
