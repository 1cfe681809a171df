"""From indicator values to axis scores, bands and the nine-box (DOMAIN.md sections 5, 6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sikd_simantap.scoring import N_
from sikd_simantap.scoring.numbers import round2

KINERJA_BANDS = ("di_bawah", "sesuai", "di_atas")
POTENSIAL_BANDS = ("rendah", "menengah", "tinggi")
BAND_LABELS = {
    "di_bawah": N_("below expectations"),
    "sesuai": N_("meets expectations"),
    "di_atas": N_("above expectations"),
    "rendah": N_("low"),
    "menengah": N_("medium"),
    "tinggi": N_("high"),
}
# (kinerja band, potensial band) -> box, exactly as the regulation's grid
NINE_BOX = {
    ("di_atas", "rendah"): 4,
    ("di_atas", "menengah"): 7,
    ("di_atas", "tinggi"): 9,
    ("sesuai", "rendah"): 2,
    ("sesuai", "menengah"): 5,
    ("sesuai", "tinggi"): 8,
    ("di_bawah", "rendah"): 1,
    ("di_bawah", "menengah"): 3,
    ("di_bawah", "tinggi"): 6,
}
FOLLOW_UP = {
    9: "dipromosikan dan dipertahankan; masuk kelompok rencana suksesi instansi/nasional; "
    "penghargaan",
    8: "dipertahankan; masuk kelompok rencana suksesi instansi; rotasi/perluasan jabatan; "
    "bimbingan kinerja",
    7: "dipertahankan; masuk kelompok rencana suksesi instansi; rotasi/pengayaan jabatan; "
    "pengembangan kompetensi; tugas belajar",
    6: "penempatan yang sesuai; bimbingan kinerja; konseling kinerja",
    5: "penempatan yang sesuai; bimbingan kinerja; pengembangan kompetensi",
    4: "rotasi; pengembangan kompetensi",
    3: "bimbingan kinerja; konseling kinerja; pengembangan kompetensi; penempatan yang sesuai",
    2: "bimbingan kinerja; pengembangan kompetensi; penempatan yang sesuai",
    1: "diproses sesuai ketentuan peraturan perundang-undangan",
}
TALENT_POOL = frozenset({7, 8, 9})


@dataclass(frozen=True)
class Contribution:
    indicator: str
    value: float | None
    weight: float
    contribution: float | None  # weight share of the present weight times value


@dataclass(frozen=True)
class AxisScore:
    score: float | None  # rounded to 2 decimals; None when no indicator has data
    coverage: float  # percentage of the axis weight that has data, rounded
    missing: tuple[str, ...]
    parts: tuple[Contribution, ...] = field(default=())


def axis_score(values: Mapping[str, float | None], weights: Mapping[str, float]) -> AxisScore:
    """Weighted mean over the indicators that have data; coverage is their weight share."""
    total_weight = sum(w for w in weights.values() if w > 0)
    present = {k: w for k, w in weights.items() if w > 0 and values.get(k) is not None}
    present_weight = sum(present.values())
    missing = tuple(sorted(k for k, w in weights.items() if w > 0 and k not in present))
    parts = tuple(
        Contribution(
            k,
            values.get(k),
            w,
            values[k] * w / present_weight if k in present else None,
        )
        for k, w in weights.items()
    )
    coverage = round2(present_weight / total_weight * 100) if total_weight else 0.0
    if not present_weight:
        return AxisScore(None, coverage, missing, parts)
    score = sum(values[k] * w for k, w in present.items()) / present_weight
    return AxisScore(round2(score), coverage, missing, parts)


def band(score: float, thresholds: tuple[float, float] | list[float], names: tuple) -> str:
    """Bands include their lower bound: below t0, [t0, t1), at or above t1."""
    low, high = thresholds
    if score >= high:
        return names[2]
    if score >= low:
        return names[1]
    return names[0]


@dataclass(frozen=True)
class Placement:
    kinerja: AxisScore
    potensial: AxisScore
    mapped: bool
    kinerja_band: str | None = None
    potensial_band: str | None = None
    box: int | None = None


def place(values: Mapping[str, float | None], profile: Mapping[str, Any]) -> Placement:
    """An employee's place on the grid, or 'not mapped' when coverage is too low."""
    kinerja = axis_score(values, profile["weights"]["kinerja"])
    potensial = axis_score(values, profile["weights"]["potensial"])
    minimum = profile["coverage_min"]
    if (
        kinerja.score is None
        or potensial.score is None
        or kinerja.coverage < minimum
        or potensial.coverage < minimum
    ):
        return Placement(kinerja, potensial, mapped=False)
    k_band = band(kinerja.score, profile["bands"]["kinerja"], KINERJA_BANDS)
    p_band = band(potensial.score, profile["bands"]["potensial"], POTENSIAL_BANDS)
    return Placement(kinerja, potensial, True, k_band, p_band, NINE_BOX[(k_band, p_band)])
