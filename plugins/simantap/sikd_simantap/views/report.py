"""The printable "Laporan Pemetaan Talenta" of a period (issue 6, item 6): title,
institution, period, run and fingerprint, date printed; the summary; the nine-box heat map
and its table; the box distribution per top-level unit; the talent pool; the fairness
tables; the follow-up per box. One page, printed through the browser (print CSS in
simantap.css: no menu, A4 margins, a page per section). For HR and the committee.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required

from sikd_host.plugin_api import gettext, settings, utcnow
from sikd_simantap import fairness, pool, report, results
from sikd_simantap.scoring import mapping
from sikd_simantap.scoring import profile as profiles
from sikd_simantap.views import bp
from sikd_simantap.views.fairness import error_page, guard, period_by_code, section
from sikd_simantap.views.ninebox import TEXT, BadInput, heat_map


@bp.route("/laporan")
@login_required
def reports() -> Any:
    """The periods that have a published run, each with a link to its report."""
    guard()
    return render_template("simantap/reports.html", periods=results.periods_with_published_runs())


@bp.route("/laporan/<code>", endpoint="report")
@login_required
def report_page(code: str) -> Any:
    guard()
    try:
        if not TEXT.match(code):
            raise BadInput(gettext("%(field)s has an unexpected value.", field="period"))
        period = period_by_code(code)
        run = results.published_run_of(period)
        if run is None:
            raise BadInput(gettext("This period has no published run yet."), 404)
    except BadInput as error:
        return error_page(error, gettext("Laporan Pemetaan Talenta"), "simantap.reports")
    grid = report.whole_grid(run)
    units = fairness.by_unit(run)
    return render_template(
        "simantap/report.html",
        period=period,
        run=run,
        institution=settings("INSTITUTION_NAME", ""),
        printed=utcnow(),
        summary=report.summary(run),
        indicator_labels=profiles.INDICATORS,
        grid=grid,
        heatmap=heat_map(grid, period, run),
        band_labels=mapping.BAND_LABELS,
        rows=results.GRID_ROWS,
        columns=results.GRID_COLUMNS,
        units=section(units, period, run),
        members=pool.members(report.basis_of(run, period)),
        sections=[
            section(b, period, run)
            for b in (
                fairness.by_gender(run),
                fairness.by_golongan(run),
                fairness.by_pendidikan(run),
            )
        ],
        follow_ups=report.follow_ups(grid),
    )
