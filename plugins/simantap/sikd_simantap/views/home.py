"""Simantap's landing page: the user's latest published result and the way to the rest."""

from __future__ import annotations

from typing import Any

from flask import render_template

from sikd_host.plugin_api import current_user, permission_required
from sikd_simantap import results
from sikd_simantap.scoring import mapping
from sikd_simantap.views import bp


@bp.route("/")
@permission_required("simantap.use")
def home() -> Any:
    found = results.latest_own_result(current_user.id)
    run, result = found if found else (None, None)
    return render_template(
        "simantap/home.html",
        run=run,
        result=result,
        band_labels=mapping.BAND_LABELS,
        follow_up=mapping.FOLLOW_UP.get(result.box) if result and result.box else None,
        talent_pool=bool(result and result.box in mapping.TALENT_POOL),
        sees_grid=results.may_see_grid(current_user),
        manages=current_user.has_permission("simantap.manage"),
    )
