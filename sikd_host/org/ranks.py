"""Eselon, golongan and kinds of position (DOMAIN.md section 2)."""

from __future__ import annotations

ESELON = ("I.a", "I.b", "II.a", "II.b", "III.a", "III.b", "IV.a", "IV.b", "V.a", "V.b")

GOLONGAN = {
    "I/a": "Juru Muda",
    "I/b": "Juru Muda Tingkat I",
    "I/c": "Juru",
    "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda",
    "II/b": "Pengatur Muda Tingkat I",
    "II/c": "Pengatur",
    "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda",
    "III/b": "Penata Muda Tingkat I",
    "III/c": "Penata",
    "III/d": "Penata Tingkat I",
    "IV/a": "Pembina",
    "IV/b": "Pembina Tingkat I",
    "IV/c": "Pembina Utama Muda",
    "IV/d": "Pembina Utama Madya",
    "IV/e": "Pembina Utama",
}
GOLONGAN_ORDER = {code: rank for rank, code in enumerate(GOLONGAN)}

POSITION_KINDS = ("struktural", "fungsional", "pelaksana")
JENJANG = (
    "pemula",
    "terampil",
    "mahir",
    "penyelia",
    "ahli pertama",
    "ahli muda",
    "ahli madya",
    "ahli utama",
)


def eselon_tier(eselon: str | None) -> int | None:
    """1 for Eselon I.a/I.b, 2 for II, and so on; None for non-structural positions."""
    if not eselon:
        return None
    roman = eselon.split(".")[0]
    return {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}.get(roman)
