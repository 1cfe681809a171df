"""An employee's result with its explanation (DOMAIN.md section 6): each indicator with its
value, weight and contribution, coverage and missing sources, bands, box and follow-up.

HR sees every result, a leader the published results of their unit subtree, an employee
their own published result; anything else answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from sikd_host.plugin_api import current_user, db, permission_required
from sikd_simantap import results
from sikd_simantap.models import Run
from sikd_simantap.scoring import mapping
from sikd_simantap.scoring import profile as profiles
from sikd_simantap.views import bp


@bp.route("/hasil")
@permission_required("simantap.use")
def my_result() -> Any:
    found = results.latest_own_result(current_user.id)
    if found is None:
        return render_template("simantap/result_none.html"), 404
    run, _result = found
    return redirect(url_for("simantap.result", run_id=run.id, user_id=current_user.id))


# a run with its period (the page shows it), built once
RUN_WITH_PERIOD = (
    select(Run).options(joinedload(Run.period)).where(Run.id == bindparam("run_id", type_=Integer))
)


@bp.route("/hasil/<int:run_id>/<int:user_id>")
@permission_required("simantap.use")
def result(run_id: int, user_id: int) -> Any:
    run = db.session.scalars(RUN_WITH_PERIOD, {"run_id": run_id}).first()
    if run is None or run.status != "done":
        abort(404)
    explanation = results.explain(run, user_id, current_user)
    if explanation is None:
        abort(404)
    return render_template(
        "simantap/result.html",
        e=explanation,
        band_labels=mapping.BAND_LABELS,
        indicator_labels=profiles.INDICATORS,
    )
