"""Simantap pages: talent (being written)."""

from __future__ import annotations

from sikd_simantap.views import bp  # noqa: F401
