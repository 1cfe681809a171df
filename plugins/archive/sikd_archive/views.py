"""Archive pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from sikd_host.plugin_api import permission_required

bp = Blueprint("archive", __name__, url_prefix="/arsip")


@bp.route("/")
@permission_required("archive.use")
def home() -> Any:
    return render_template("archive/home.html")
