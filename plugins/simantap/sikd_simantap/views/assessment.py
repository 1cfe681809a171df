"""Simantap pages: assessment (being written)."""

from __future__ import annotations

from sikd_simantap.views import bp  # noqa: F401
