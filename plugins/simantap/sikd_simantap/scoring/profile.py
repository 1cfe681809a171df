"""Scoring profiles: weights per axis, bands, 360 group weights and k, coverage minimum
(DOMAIN.md section 6), the two presets, and validation naming the offending field."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sikd_simantap.scoring import N_

AXES = ("kinerja", "potensial")
INDICATORS = {
    "skp": N_("SKP"),
    "ekinerja": N_("e-Kinerja"),
    "kehadiran": N_("Attendance"),
    "lembur": N_("Overtime"),
    "rapat": N_("Meeting attendance"),
    "terlambat": N_("Lateness"),
    "beban_kerja": N_("SIKD workload"),
    "respons": N_("SIKD response time"),
    "penilaian360": N_("360 assessment"),
    "kompetensi": N_("Competency (JPM)"),
    "potensi": N_("Potential (assessment centre)"),
    "rekam_jejak": N_("Track record"),
}

PRESETS: dict[str, dict[str, Any]] = {
    "Permenpan 3/2020": {
        "weights": {
            "kinerja": {"skp": 60, "penilaian360": 40},
            "potensial": {"kompetensi": 40, "potensi": 30, "rekam_jejak": 30},
        },
        "bands": {"kinerja": [70, 90], "potensial": [78, 90]},
        "groups": {"atasan": 40, "rekan": 30, "bawahan": 30, "diri": 0},
        "k": 3,
        "coverage_min": 60,
    },
    "MK": {
        "weights": {
            "kinerja": {
                "skp": 26.5,
                "ekinerja": 26.5,
                "kehadiran": 26.5,
                "lembur": 3.5,
                "rapat": 2.7,
                "beban_kerja": 4.4,
                "terlambat": 5.3,
                "respons": 4.4,
            },
            "potensial": {
                "potensi": 26.1,
                "kompetensi": 26.1,
                "rekam_jejak": 30.4,
                "penilaian360": 17.4,
            },
        },
        "bands": {"kinerja": [70, 90], "potensial": [78, 90]},
        "groups": {"atasan": 40, "rekan": 30, "bawahan": 30, "diri": 0},
        "k": 3,
        "coverage_min": 60,
    },
}


def preset(name: str) -> dict[str, Any]:
    """A deep copy of a preset, safe to edit."""
    return copy.deepcopy(PRESETS[name])


def validate(profile: Mapping[str, Any]) -> dict[str, str]:
    """Field path -> English msgid of its problem; empty when the profile can be used."""
    errors: dict[str, str] = {}
    weights = _section(profile, "weights", errors)
    bands_of = _section(profile, "bands", errors)
    for axis in AXES:
        axis_weights = weights.get(axis) or {}
        if not isinstance(axis_weights, Mapping):
            axis_weights = {}  # named below: the axis has no positive weight
        for indicator, weight in axis_weights.items():
            field = f"weights.{axis}.{indicator}"
            if indicator not in INDICATORS:
                errors[field] = N_("Unknown indicator.")
            elif not is_number(weight):
                errors[field] = N_("Enter a number.")
            elif weight < 0:
                errors[field] = N_("A weight cannot be negative.")
        if not any(is_number(w) and w > 0 for w in axis_weights.values()):
            errors[f"weights.{axis}"] = N_("Each axis needs at least one positive weight.")
        bands = bands_of.get(axis)
        field = f"bands.{axis}"
        if not (isinstance(bands, (list, tuple)) and len(bands) == 2):
            errors[field] = N_("Give two thresholds.")
        elif not all(is_number(b) for b in bands):
            errors[field] = N_("Enter a number.")
        elif not 0 < bands[0] < bands[1] <= 100:
            errors[field] = N_("The thresholds must rise, between 0 and 100.")
    for relation, weight in _section(profile, "groups", errors).items():
        field = f"groups.{relation}"
        if relation not in ("atasan", "rekan", "bawahan", "diri"):
            errors[field] = N_("Unknown relation.")
        elif not is_number(weight):
            errors[field] = N_("Enter a number.")
        elif weight < 0:
            errors[field] = N_("A weight cannot be negative.")
    k = profile.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        errors["k"] = N_("Enter a whole number of at least 1.")
    coverage = profile.get("coverage_min")
    if not is_number(coverage) or not 0 <= coverage <= 100:
        errors["coverage_min"] = N_("Enter a percentage between 0 and 100.")
    return errors


def shares(profile: Mapping[str, Any], axis: str) -> dict[str, float]:
    """Each weight as a percentage of its axis (weights are relative)."""
    axis_weights = profile["weights"][axis]
    total = sum(axis_weights.values())
    return {name: (w / total * 100 if total else 0.0) for name, w in axis_weights.items()}


def _section(profile: Mapping[str, Any], name: str, errors: dict[str, str]) -> Mapping[str, Any]:
    """``profile[name]`` when it is a mapping (empty when absent); anything else, e.g. a
    list sent as JSON, is named as the problem and read as empty."""
    value = profile.get(name) or {}
    if not isinstance(value, Mapping):
        errors[name] = N_("Send the draft profile as an object.")
        return {}
    return value


MAX_NUMBER = 1e9  # far beyond any weight, threshold or percentage, far below float's range


def is_number(value: Any) -> bool:
    """A real number of a sensible size: not a bool, not NaN (it passes every comparison the
    wrong way), not an infinity, nothing whose sums overflow a float."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and -MAX_NUMBER <= value <= MAX_NUMBER
    )
