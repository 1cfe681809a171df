"""Simantap pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from sikd_host.plugin_api import permission_required

bp = Blueprint("simantap", __name__, url_prefix="/simantap")


@bp.route("/")
@permission_required("simantap.use")
def home() -> Any:
    return render_template("simantap/home.html")
