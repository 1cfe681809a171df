"""The employee list and an employee's talent page."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_login import login_required

from sikd_host.plugin_api import current_user, org, require
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import talent
from sikd_simantap.views import bp
from sikd_simantap.views.succession import MAX_ID

GENDERS = {"pria": _l("Male"), "wanita": _l("Female")}
SIMANTAP_PERMISSIONS = ("simantap.use", "simantap.view_all", "simantap.manage")


def _require_simantap() -> None:
    """Any Simantap permission opens these pages; what they show is filtered further."""
    if not any(current_user.has_permission(name) for name in SIMANTAP_PERMISSIONS):
        require("simantap.use")  # answers 403 naming the permission


def _whole_arg(name: str) -> int | None:
    """A positive whole number of ASCII digits a database integer holds; anything else is
    ignored, as a malformed filter always was here (``int("²")`` fails, and a larger
    number would be a 500 at the query)."""
    raw = (request.args.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        return None
    return int(raw)


@bp.route("/pegawai")
@login_required
def employees() -> Any:
    _require_simantap()
    if not talent.may_list(current_user):
        require("simantap.view_all")
    page = _whole_arg("page") or 1
    unit = _whole_arg("unit")
    period = request.args.get("period", "").strip()
    reference = talent.reference_date(period)
    rows, has_next = talent.employees(current_user, reference, unit, page)
    return render_template(
        "simantap/employees.html",
        rows=rows,
        page=page,
        has_next=has_next,
        args={"unit": unit or "", "period": period},
        units=org.unit_choices(),
        reference=reference,
    )


@bp.route("/pegawai/<int:user_id>")
@login_required
def talent_page(user_id: int) -> Any:
    _require_simantap()
    period = request.args.get("period", "").strip()
    reference = talent.reference_date(period)
    data = talent.talent_of(current_user, user_id, reference)
    if data is None:
        abort(404)
    return render_template(
        "simantap/talent.html",
        t=data,
        history=talent.history(user_id),
        genders=GENDERS,
        period=period,
    )
