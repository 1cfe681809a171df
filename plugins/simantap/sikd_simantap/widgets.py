"""Simantap's dashboard cards: the 360 forms still to fill in, the user's latest published
result, and for HR and the committee the critical positions under a red flag."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sikd_host.plugin_api import Widget, db
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import results
from sikd_simantap.models import Assignment, Period
from sikd_simantap.scoring import mapping


def open_forms(user: Any) -> tuple[int, int]:
    """(forms still to fill in, forms in all) of the user in open periods: one query."""
    total, done = db.session.execute(
        select(func.count(), func.count(Assignment.submitted_at))
        .join(Period, Period.id == Assignment.period_id)
        .where(Assignment.rater_id == user.id, Period.status == "open")
    ).one()
    return int(total) - int(done), int(total)


def widgets_for(user: Any) -> list[Widget]:
    if not user.has_permission("simantap.use"):
        return []
    todo, total = open_forms(user)
    found = results.latest_own_result(user.id)
    run, result = found if found else (None, None)
    cards = [
        Widget(
            "simantap.assessment",
            _l("My 360 assessment"),
            "simantap/widget_assessment.html",
            {"todo": todo, "total": total},
            order=30,
        ),
        Widget(
            "simantap.result",
            _l("My results"),
            "simantap/widget_result.html",
            {"run": run, "result": result, "band_labels": mapping.BAND_LABELS},
            order=31,
        ),
    ]
    if user.has_permission("simantap.succession"):
        from sikd_simantap import succession

        plans = succession.plans()
        cards.append(
            Widget(
                "simantap.critical",
                _l("Critical positions"),
                "simantap/widget_critical.html",
                {"total": len(plans), "flagged": [p for p in plans if p.red_flag]},
                order=32,
            )
        )
    return cards
