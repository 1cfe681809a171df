"""Validation of a naskah dinas and the agenda number format, as pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sikd_archive.rules import N_

KINDS = (
    "surat_masuk",
    "surat_keluar",
    "nota_dinas",
    "surat_edaran",
    "surat_undangan",
    "surat_keputusan",
    "memo",
)
SIFAT = ("biasa", "segera", "sangat_segera")
KEAMANAN = ("B", "T", "R", "SR")
TINGKAT = ("asli", "tembusan", "salinan", "petikan")
MEDIA = ("kertas", "elektronik", "audio visual", "kartografi")
DEFAULTS = {"sifat": "biasa", "keamanan": "B", "tingkat": "asli", "media": "kertas"}
LIMITS = {"nomor": 120, "perihal": 500, "asal": 300, "tujuan": 300, "ringkasan": 10000}
EDITABLE = (
    "kind",
    "nomor",
    "tanggal",
    "perihal",
    "asal",
    "tujuan",
    "ringkasan",
    "klasifikasi_id",
    "sifat",
    "keamanan",
    "tingkat",
    "media",
    "berkas_id",
)


def agenda_number(seq: int, unit_code: str, year: int) -> str:
    return f"{seq:05d}/{unit_code}/{year}"


def validate_record(data: Mapping[str, Any], today: dt.date) -> dict[str, str]:
    """Field -> English msgid of the first problem; empty when the record can be saved."""
    errors: dict[str, str] = {}
    for field in ("nomor", "perihal"):
        if not str(data.get(field) or "").strip():
            errors[field] = N_("This field is required.")
    for field, limit in LIMITS.items():
        if len(str(data.get(field) or "")) > limit:
            errors[field] = N_("Too long.")
    choices = {
        "kind": KINDS,
        "sifat": SIFAT,
        "keamanan": KEAMANAN,
        "tingkat": TINGKAT,
        "media": MEDIA,
    }
    for field, allowed in choices.items():
        if data.get(field) not in allowed:
            errors[field] = N_("Not a valid choice.")
    tanggal = data.get("tanggal")
    if not isinstance(tanggal, dt.date):
        errors["tanggal"] = N_("Not a valid date value.")
    elif tanggal > today + dt.timedelta(days=366):
        errors["tanggal"] = N_("The date is too far in the future.")
    if data.get("kind") == "surat_masuk" and not str(data.get("asal") or "").strip():
        errors["asal"] = N_("An incoming letter needs its sender.")
    return errors
