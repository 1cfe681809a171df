"""Demo data for the archive (filled in with letters and dispositions further on)."""

from __future__ import annotations

from sqlalchemy import select

from sikd_archive.klasifikasi import load_default_scheme
from sikd_archive.models import Klasifikasi
from sikd_host.plugin_api import db


def load_demo(seed: int) -> str | None:
    if db.session.scalar(select(Klasifikasi.id).limit(1)) is not None:
        return None
    created, _updated = load_default_scheme()
    return f"Archive: {created} classification codes."
