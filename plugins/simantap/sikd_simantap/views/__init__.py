"""Simantap pages: one blueprint, routes in modules named after what they show."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("simantap", __name__, url_prefix="/simantap")

from sikd_simantap.views import (  # noqa: E402, F401
    assessment,
    fairness,
    home,
    imports,
    ninebox,
    periods,
    placement,
    report,
    results,
    runs,
    succession,
    talent,
    units,
)
