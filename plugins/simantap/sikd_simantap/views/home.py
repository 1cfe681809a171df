"""Simantap's landing page."""

from __future__ import annotations

from typing import Any

from flask import render_template

from sikd_host.plugin_api import permission_required
from sikd_simantap.views import bp


@bp.route("/")
@permission_required("simantap.use")
def home() -> Any:
    return render_template("simantap/home.html")
