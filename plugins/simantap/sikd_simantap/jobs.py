"""Scoring as a host job: the web button submits it; the job page shows its progress."""

from __future__ import annotations

from typing import Any

from flask import url_for

from sikd_host.plugin_api import User, db
from sikd_simantap import runs
from sikd_simantap.models import Period
from sikd_simantap.scoring import N_
from sikd_simantap.sources import all_sources


def score(progress: Any, period_id: int, user_id: int | None) -> str:
    """Run the scoring of a period (all or nothing); returns the link to the run."""
    period = db.session.get(Period, period_id)
    if period is None:
        raise runs.RunError(N_("There is no period %(code)s."), code=str(period_id))
    user = db.session.get(User, user_id) if user_id is not None else None
    provided = all_sources()
    progress(total=len(provided) + 3, step=period.code)
    run = runs.score(
        period,
        user,
        provided=provided,
        progress=lambda label: progress(1, step=label),
        commit=False,
    )
    db.session.flush()
    return url_for("simantap.run_detail", run_id=run.id)
