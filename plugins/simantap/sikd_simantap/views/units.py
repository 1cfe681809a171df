"""Work-unit performance (kinerja unit kerja): the list and ranking of units with their
subtree figures, one unit with its sub-units and its trend across periods, and the CSV/XLSX
export. The figures are computed by ``sikd_simantap.units``.

HR (``simantap.view_all``) and the succession committee (``simantap.succession``) see every
unit; a unit leader sees the subtree of the unit they lead (any other unit answers 404);
anyone else 403. Unknown periods and units, and malformed parameters, answer 404.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, render_template, request, stream_with_context

from sikd_host.plugin_api import current_user, gettext, permission_required
from sikd_simantap import units
from sikd_simantap.views import bp

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CODE = re.compile(r"^[\w./-]{1,20}$")
SORTS = ("tree", "rank")


class NotFound(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _period() -> Any:
    """The period named by ``period`` (a code), None for the default; NotFound otherwise."""
    raw = (request.args.get("period") or "").strip()
    if not raw:
        return None
    period = units.find_period(raw) if CODE.match(raw) else None
    if period is None:
        raise NotFound(gettext("There is no period %(code)s.", code=raw[:20]))
    return period


def _unit_arg() -> int | None:
    raw = (request.args.get("unit") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:  # int("²") fails
        raise NotFound(gettext("There is no such unit."))
    return int(raw)


def _report(unit_id: int | None, trend: bool) -> units.Performance:
    try:
        return units.performance(current_user, _period(), unit_id, trend=trend)
    except units.UnitsError as error:
        if error.status == 403:
            abort(403)
        raise NotFound(gettext("There is no such unit.")) from error


def _not_found(error: NotFound) -> Any:
    return render_template("simantap/units_error.html", message=error.message), 404


@bp.route("/unit-kerja")
@permission_required("simantap.use")
def units_page() -> Any:
    try:
        unit_id = _unit_arg()
        report = _report(unit_id, trend=unit_id is not None)
    except NotFound as error:
        return _not_found(error)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "tree"
    all_lines = report.lines
    if unit_id is not None:
        report.lines = report.subtree_lines(unit_id)
    return render_template(
        "simantap/units.html",
        report=report,
        all_lines=all_lines,
        sort=sort,
        lines=report.ranked() if sort == "rank" else report.lines,
        boxes=units.BOXES,
        chosen=unit_id,
    )


@bp.route("/unit-kerja/<int:unit_id>")
@permission_required("simantap.use")
def unit_page(unit_id: int) -> Any:
    try:
        report = _report(unit_id, trend=True)
    except NotFound as error:
        return _not_found(error)
    return render_template(
        "simantap/unit.html", report=report, boxes=units.BOXES, trend_charts=_trend_charts(report)
    )


def _trend_charts(report: units.Performance) -> list[Any]:
    """The trend as two SVG line charts (scores; percentages), beside the trend table."""
    if report.unit is None or len(report.trend) < 2:
        return []
    from sikd_simantap import charts

    codes = [point.period.code for point in report.trend]
    figures = [point.figures for point in report.trend]
    name = f"{report.unit.node.code} {report.unit.node.name}"
    scores = charts.line_chart(
        codes,
        [
            (gettext("Mean kinerja"), [f.mean_kinerja for f in figures]),
            (gettext("Mean potensial"), [f.mean_potensial for f in figures]),
            (gettext("Composite"), [f.composite for f in figures]),
        ],
        title=gettext("Scores of %(unit)s across periods", unit=name),
        description=gettext(
            "Mean kinerja, mean potensial and their composite (0-100) of the unit and all "
            "the units below it, in each period with a published run; the table below gives "
            "the same numbers."
        ),
        y_label=gettext("Score"),
        y_max=100,
        chart_id="unit-trend-scores",
    )
    shares = [
        (gettext("Talent pool"), [f.talent_pool_percent for f in figures]),
        (gettext("360 completion"), [f.completion_percent for f in figures]),
    ]
    if report.activity:
        shares.append((gettext("Done on time"), [f.on_time_percent for f in figures]))
    percentages = charts.line_chart(
        codes,
        shares,
        title=gettext("Shares of %(unit)s across periods", unit=name),
        description=gettext(
            "Percentages of the unit and all the units below it in each period with a "
            "published run; the table below gives the same numbers."
        ),
        y_label="%",
        y_max=100,
        value_format=charts.percent,
        chart_id="unit-trend-shares",
    )
    return [scores, percentages]


@bp.route("/unit-kerja/export")
@permission_required("simantap.use")
def units_export() -> Any:
    fmt = (request.args.get("format") or "csv").lower()
    try:
        if fmt not in FORMATS:
            raise NotFound(gettext("Choose the format csv or xlsx."))
        unit_id = _unit_arg()
        report = _report(unit_id, trend=False)
        if report.run is None:
            raise NotFound(gettext("This period has no published run yet."))
    except NotFound as error:
        return _not_found(error)
    if unit_id is not None:  # the chosen unit's subtree only
        report.lines = report.subtree_lines(unit_id)
    rows = units.export_rows(report)
    headers = {"Content-Disposition": f'attachment; filename="{units.export_name(report, fmt)}"'}
    if fmt == "csv":
        body = stream_with_context(units.export_csv(rows))
        return Response(body, mimetype=FORMATS[fmt], headers=headers)
    return Response(units.export_xlsx(rows), mimetype=FORMATS[fmt], headers=headers)
