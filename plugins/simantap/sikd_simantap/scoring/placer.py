"""``mapping.place`` for many employees at once: the same rules (weighted mean over the
indicators with data, coverage per axis, rounding before banding, the nine-box), with the
profile prepared once, so a run over 100,000 employees spends its time in SQL, not here.

``Placer(profile)(values)`` gives exactly what ``mapping.place(values, profile)`` gives
(tests check it on generated data), as a flat tuple instead of nested dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sikd_simantap.scoring.mapping import KINERJA_BANDS, NINE_BOX, POTENSIAL_BANDS
from sikd_simantap.scoring.numbers import round2


def fast_round2(value: float) -> float:
    """``round2`` (half up on the shown decimals), fast: Python's ``round`` agrees with it
    unless the shown value ends exactly in a 5 at the third decimal, which goes to
    ``round2`` (as does anything within a hair of such a tie)."""
    thousandths = value * 1000
    nearest = round(thousandths)
    if nearest % 10 == 5 and abs(thousandths - nearest) < 1e-6:
        return round2(value)
    return round(value, 2)


class Placed(NamedTuple):
    kinerja: float | None
    potensial: float | None
    coverage_kinerja: float
    coverage_potensial: float
    kinerja_band: str | None
    potensial_band: str | None
    box: int | None
    missing: tuple[str, ...]  # sorted indicator keys without data, over both axes


class _Axis:
    def __init__(self, weights: Mapping[str, float], bands: Any, names: tuple[str, ...]):
        self.weights = [(name, float(w)) for name, w in weights.items() if w > 0]
        self.total = sum(w for _name, w in self.weights)
        self.low, self.high = (float(b) for b in bands)
        self.names = names
        self._coverage: dict[float, float] = {}

    def coverage(self, present: float) -> float:
        found = self._coverage.get(present)
        if found is None:
            found = round2(present / self.total * 100) if self.total else 0.0
            self._coverage[present] = found
        return found

    def band(self, score: float) -> str:
        if score >= self.high:
            return self.names[2]
        if score >= self.low:
            return self.names[1]
        return self.names[0]

    def score(self, values: Mapping[str, float | None]) -> tuple[float | None, float, list[str]]:
        total = present = 0.0
        missing = []
        for name, weight in self.weights:
            value = values.get(name)
            if value is None:
                missing.append(name)
            else:
                total += value * weight
                present += weight
        coverage = self.coverage(present)
        # the same sum over the same order as mapping.axis_score, so the same float
        return (fast_round2(total / present) if present else None), coverage, missing


class Placer:
    """Place employees with one profile (see the module docstring)."""

    def __init__(self, profile: Mapping[str, Any]):
        self.kinerja = _Axis(
            profile["weights"]["kinerja"], profile["bands"]["kinerja"], KINERJA_BANDS
        )
        self.potensial = _Axis(
            profile["weights"]["potensial"], profile["bands"]["potensial"], POTENSIAL_BANDS
        )
        self.minimum = profile["coverage_min"]

    def __call__(self, values: Mapping[str, float | None]) -> Placed:
        k_score, k_cov, k_missing = self.kinerja.score(values)
        p_score, p_cov, p_missing = self.potensial.score(values)
        missing = tuple(sorted(set(k_missing + p_missing)))
        if k_score is None or p_score is None or k_cov < self.minimum or p_cov < self.minimum:
            return Placed(k_score, p_score, k_cov, p_cov, None, None, None, missing)
        k_band = self.kinerja.band(k_score)
        p_band = self.potensial.band(p_score)
        return Placed(
            k_score, p_score, k_cov, p_cov, k_band, p_band, NINE_BOX[(k_band, p_band)], missing
        )
