"""The nine-box page (DOMAIN.md section 5): the 3x3 grid with counts and percentages,
filters, the employees of a box, the distribution per unit, and the CSV/XLSX export.

For leaders (their unit subtree, published runs) and HR (everyone, any finished run); the
viewer's scope is part of every query.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, render_template, request, stream_with_context
from sqlalchemy import select

from sikd_host.plugin_api import current_user, db, gettext, permission_required
from sikd_simantap import charts, results
from sikd_simantap.models import Period, Run
from sikd_simantap.scoring import mapping
from sikd_simantap.views import bp

PAGE = 100
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEXT = re.compile(r"^[\w./ -]{1,20}$")
MAX_INT = 2**31 - 1


class BadInput(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _int_arg(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    # ASCII digits only, and no more than a database integer holds (never a 500)
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_INT:
        raise BadInput(gettext("%(field)s must be a whole number.", field=name))
    return int(raw)


def _text_arg(name: str) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if raw and not TEXT.match(raw):
        raise BadInput(gettext("%(field)s has an unexpected value.", field=name))
    return raw or None


def filters_from_args() -> results.Filters:
    return results.Filters(
        unit_id=_int_arg("unit"),
        eselon=_text_arg("eselon"),
        kind=_text_arg("kind"),
        golongan=_text_arg("golongan"),
    )


def chosen_run() -> tuple[Period | None, Run | None]:
    """The run to show: ``run`` (HR only), else the published run of ``period`` (a code),
    else that of the latest period that has one."""
    run_id = _int_arg("run")
    if run_id is not None:
        run = db.session.get(Run, run_id)
        if (
            run is None
            or run.status != "done"
            or not (run.published or results.sees_all(current_user))
        ):
            raise BadInput(gettext("There is no run %(id)s.", id=run_id), 404)
        return run.period, run
    code = _text_arg("period")
    if code:
        period = db.session.scalar(select(Period).where(Period.code == code))
        if period is None:
            raise BadInput(gettext("There is no period %(code)s.", code=code), 404)
        return period, results.published_run_of(period)
    periods = results.periods_with_published_runs()
    if not periods:
        return None, None
    return periods[0], results.published_run_of(periods[0])


def _box_arg() -> tuple[bool, int | None]:
    raw = (request.args.get("box") or "").strip()
    if not raw:
        return False, None
    if raw == "none":
        return True, None
    if raw in {str(n) for n in range(1, 10)}:  # not "²", which isdigit() accepts
        return True, int(raw)
    raise BadInput(gettext("A box is a number from 1 to 9, or none."))


def heat_map(grid: results.Grid, period: Period | None, run: Run, highlight=()) -> Any:
    """The grid as an SVG heat map, its texts in the interface language."""
    labels = {band: gettext(label) for band, label in mapping.BAND_LABELS.items()}
    return charts.heat_map(
        grid.counts,
        title=gettext(
            "Nine-box of period %(code)s (run %(id)s)",
            code=period.code if period else run.period_id,
            id=run.id,
        ),
        description=gettext(
            "Heat map of the employees per box: performance (kinerja) in rows, from above "
            "expectations at the top to below at the bottom; potential (potensial) in "
            "columns, from low on the left to high on the right. Each cell gives its box, "
            "its number of employees and their percentage of the %(n)s mapped employees; "
            "darker cells hold more. The table beside it gives the same numbers.",
            n=grid.mapped,
        ),
        row_labels=labels,
        column_labels=labels,
        row_axis=gettext("Kinerja"),
        column_axis=gettext("Potensial"),
        box_label=gettext("Box %(box)s"),
        total=grid.mapped,
        highlight=highlight,
    )


def _guard() -> None:
    if not results.may_see_grid(current_user):
        abort(403)


@bp.route("/ninebox")
@permission_required("simantap.use")
def ninebox() -> Any:
    _guard()
    try:
        filters = filters_from_args()
        period, run = chosen_run()
        box_chosen, box = _box_arg()
        page = _int_arg("page") or 1
    except BadInput as error:
        return render_template("simantap/ninebox_error.html", message=error.message), error.status
    context: dict[str, Any] = {
        "period": period,
        "run": run,
        "filters": filters,
        "periods": results.periods_with_published_runs(),
        "units": results.unit_choices(current_user),
        "choices": results.filter_values(),
        "band_labels": mapping.BAND_LABELS,
        "rows": results.GRID_ROWS,
        "columns": results.GRID_COLUMNS,
        "box_chosen": box_chosen,
        "box": box,
        "page": page,
        "page_size": PAGE,
    }
    if run is not None:
        context["grid"] = results.grid(run, current_user, filters)
        context["lines"] = results.distribution(run, current_user, filters)
        context["heatmap"] = heat_map(
            context["grid"], period, run, (box,) if box_chosen and box else ()
        )
        if box_chosen:
            context["members"], context["member_total"] = results.members(
                run, current_user, filters, box, limit=PAGE, offset=(page - 1) * PAGE
            )
    return render_template("simantap/ninebox.html", **context)


@bp.route("/ninebox/export")
@permission_required("simantap.use")
def ninebox_export() -> Any:
    _guard()
    fmt = (request.args.get("format") or "csv").lower()
    try:
        if fmt not in FORMATS:
            raise BadInput(gettext("Choose the format csv or xlsx."))
        filters = filters_from_args()
        period, run = chosen_run()
        if run is None:
            raise BadInput(gettext("This period has no published run yet."), 404)
    except BadInput as error:
        return render_template("simantap/ninebox_error.html", message=error.message), error.status
    rows = results.export_rows(run, current_user, filters)
    name = f"ninebox-{period.code if period else run.period_id}-run{run.id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        body = stream_with_context(results.export_csv(rows))
        return Response(body, mimetype=FORMATS[fmt], headers=headers)
    return Response(results.export_xlsx(rows), mimetype=FORMATS[fmt], headers=headers)
