"""The fairness page (issue 6, item 8): box and talent-pool distributions of a period's
published run by gender, golongan, education and unit, each as a stacked bar chart with its
numbers in a table, for HR and the placement committee.

``/simantap/keadilan?period=<code>&unit=<id>``: without a period, the latest one with a
published run; without a unit, the top-level units, else the chosen unit's children.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from sikd_host.plugin_api import Unit, current_user, db, gettext, org, require
from sikd_simantap import charts, fairness, results
from sikd_simantap.models import Period, Run
from sikd_simantap.views import bp
from sikd_simantap.views.ninebox import BadInput, _int_arg, _text_arg

PERMISSIONS = ("simantap.view_all", "simantap.succession")
# boxes 1-3, 4-6, 7-9 (the talent pool): each at least 3:1 against white
BOX_GROUP_COLOURS = ("#b35806", "#5b6770", "#2e7d32")


def may_see(user: Any) -> bool:
    """HR and holders of ``simantap.succession`` (the placement committee)."""
    return bool(
        user is not None
        and user.is_authenticated
        and any(user.has_permission(name) for name in PERMISSIONS)
    )


def guard() -> None:
    if not may_see(current_user):
        require("simantap.succession")  # 401 or 403 naming the permission


def period_by_code(code: str) -> Period:
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        raise BadInput(gettext("There is no period %(code)s.", code=code), 404)
    return period


def chosen_period() -> tuple[Period | None, Run | None]:
    """``period`` (a code), else the latest period with a published run; and that run."""
    code = _text_arg("period")
    if code:
        period = period_by_code(code)
        return period, results.published_run_of(period)
    periods = results.periods_with_published_runs()
    if not periods:
        return None, None
    return periods[0], results.published_run_of(periods[0])


def chosen_unit() -> Unit | None:
    unit_id = _int_arg("unit")
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise BadInput(gettext("There is no unit %(id)s.", id=unit_id), 404)
    return unit


def group_label(breakdown: fairness.Breakdown, group: fairness.Group) -> str:
    """A group's name in the interface language."""
    if breakdown.dimension == "gender":
        return gettext(group.label) if group.key else gettext("Not derivable from the NIP")
    if breakdown.dimension == "unit":
        if group.key is None:
            return gettext("No unit")
        name = f"{group.code} {group.label}"
        return gettext("%(unit)s (its own staff)", unit=name) if group.own else name
    return group.label or gettext("Not recorded")


def section(breakdown: fairness.Breakdown, period: Period, run: Run) -> dict[str, Any]:
    """A breakdown with its labelled rows and its chart, ready for the template."""
    rows = [(group_label(breakdown, group), group) for group in breakdown.groups]
    dimension = gettext(breakdown.label)
    chart = charts.bar_chart(
        [(label, group.group_percents()) for label, group in rows],
        segments=[gettext(label) for label in fairness.BOX_GROUP_LABELS],
        colours=BOX_GROUP_COLOURS,
        as_percent=True,
        value_label=gettext("Share of the group's mapped employees"),
        title=gettext(
            "Box groups by %(dimension)s, period %(code)s (run %(id)s)",
            dimension=dimension.lower(),
            code=period.code,
            id=run.id,
        ),
        description=gettext(
            "Stacked bars, one per group: the share of the group's mapped employees in "
            "boxes 1-3, in boxes 4-6 and in boxes 7-9, the talent pool. The table below "
            "gives the counts per box, the employees not mapped and the percentages."
        ),
        chart_id=f"fairness-{breakdown.dimension}",
    )
    return {
        "key": breakdown.dimension,
        "title": dimension,
        "rows": rows,
        "total": breakdown.total,
        "chart": chart,
    }


def error_page(error: BadInput, heading: str, back: str) -> Any:
    return (
        render_template(
            "simantap/page_error.html", heading=heading, message=error.message, back=back
        ),
        error.status,
    )


@bp.route("/keadilan", endpoint="fairness")
@login_required
def fairness_page() -> Any:
    guard()
    try:
        period, run = chosen_period()
        parent = chosen_unit()
    except BadInput as error:
        return error_page(error, gettext("Fairness of the talent mapping"), "simantap.fairness")
    sections = []
    if period is not None and run is not None:
        sections = [section(b, period, run) for b in fairness.breakdowns(run, parent)]
    return render_template(
        "simantap/fairness.html",
        period=period,
        run=run,
        parent=parent,
        sections=sections,
        periods=results.periods_with_published_runs(),
        units=org.unit_choices(),
        box_groups=fairness.BOX_GROUPS,
    )
