"""Periods: list, create, open and close; edit a period's scoring profile."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from sikd_host.plugin_api import N_, Form, current_user, db, gettext, permission_required
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import periods
from sikd_simantap.models import Assignment, Period
from sikd_simantap.scoring import profile as profiles
from sikd_simantap.scoring.indicators import RELATIONS
from sikd_simantap.views import bp

NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
AXIS_LABELS = {"kinerja": _l("Performance (kinerja)"), "potensial": _l("Potential (potensial)")}
RELATION_LABELS = {
    "atasan": _l("Superior (atasan)"),
    "rekan": _l("Peer (rekan)"),
    "bawahan": _l("Subordinate (bawahan)"),
    "diri": _l("Self (diri)"),
}


class PeriodForm(Form):
    code = StringField(
        _l("Period"),
        validators=[DataRequired(), Length(max=10)],
        description=_l("A year, e.g. 2026: it then runs from 1 January to 31 December."),
    )
    profile = SelectField(
        _l("Scoring profile"), choices=[(name, name) for name in profiles.PRESETS]
    )
    starts_on = DateField(_l("First day (only for a period that is not a year)"), [Optional()])
    ends_on = DateField(_l("Last day, the reference date"), [Optional()])


class ActionForm(Form):
    """Only the CSRF token (open, close)."""


def _period(period_id: int) -> Period:
    period = db.session.get(Period, period_id)
    if period is None:
        abort(404)
    return period


def _list_page(form: PeriodForm, status: int = 200, error: str | None = None) -> Any:
    counts = dict(
        db.session.execute(
            select(Assignment.period_id, func.count(Assignment.id)).group_by(Assignment.period_id)
        ).all()
    )
    rows = db.session.scalars(select(Period).order_by(Period.ends_on.desc(), Period.code)).all()
    return render_template(
        "simantap/periods.html",
        periods=rows,
        counts=counts,
        form=form,
        action=ActionForm(),
        statuses=periods.STATUSES,
        error=error,
    ), status


@bp.route("/periods", methods=["GET", "POST"])
@permission_required("simantap.manage")
def period_list() -> Any:
    form = PeriodForm()
    if request.method == "GET":
        return _list_page(form)
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        period = periods.create(
            current_user, form.code.data, form.profile.data, form.starts_on.data, form.ends_on.data
        )
    except periods.PeriodError as error:
        db.session.rollback()
        for name, message in error.messages(gettext).items():
            getattr(form, name or "code").errors = [message]
        return _list_page(form, error.status)
    db.session.commit()
    flash(gettext("Period %(code)s created as a draft.", code=period.code), "success")
    return redirect(url_for("simantap.period_list"), 303)


def _change_status(period_id: int, change: Any, done: str) -> Any:
    period = _period(period_id)
    if not ActionForm().validate_on_submit():
        return _list_page(PeriodForm(formdata=None), 400, gettext("Reload the page and try again."))
    try:
        change(current_user, period)
    except periods.PeriodError as error:
        db.session.rollback()
        return _list_page(PeriodForm(formdata=None), error.status, error.messages(gettext)[""])
    db.session.commit()
    flash(gettext(done, code=period.code), "success")
    return redirect(url_for("simantap.period_list"), 303)


@bp.route("/periods/<int:period_id>/open", methods=["POST"])
@permission_required("simantap.manage")
def period_open(period_id: int) -> Any:
    return _change_status(period_id, periods.open_period, N_("Period %(code)s is open."))


@bp.route("/periods/<int:period_id>/close", methods=["POST"])
@permission_required("simantap.manage")
def period_close(period_id: int) -> Any:
    return _change_status(period_id, periods.close_period, N_("Period %(code)s is closed."))


def parse_number(raw: str) -> Any:
    """ "26.5" or "26,5" -> 26.5, "3" -> 3; anything else is kept as typed, so that the
    profile's validation names the field."""
    text = (raw or "").strip()
    if not NUMBER.match(text):
        return text
    text = text.replace(",", ".")
    return float(text) if "." in text else int(text)


def profile_from_form(form: Mapping[str, str], current: Mapping[str, Any]) -> dict[str, Any]:
    """The profile the form describes; an empty weight leaves the indicator out."""
    profile = {key: value for key, value in current.items() if key not in ("weights", "bands")}
    profile["weights"] = {
        axis: {
            name: parse_number(form[f"weights.{axis}.{name}"])
            for name in profiles.INDICATORS
            if form.get(f"weights.{axis}.{name}", "").strip()
        }
        for axis in profiles.AXES
    }
    profile["bands"] = {
        axis: [parse_number(form.get(f"bands.{axis}.{i}", "")) for i in (0, 1)]
        for axis in profiles.AXES
    }
    profile["groups"] = {
        relation: parse_number(form.get(f"groups.{relation}", "")) for relation in RELATIONS
    }
    profile["k"] = parse_number(form.get("k", ""))
    profile["coverage_min"] = parse_number(form.get("coverage_min", ""))
    return profile


def axis_shares(profile: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Each usable weight as a percentage of its axis (weights are relative)."""
    found = {}
    for axis in profiles.AXES:
        weights = {
            name: value
            for name, value in (profile.get("weights") or {}).get(axis, {}).items()
            if profiles.is_number(value) and value >= 0  # not NaN, nothing overflowing
        }
        found[axis] = profiles.shares({"weights": {axis: weights}}, axis)
    return found


def _profile_page(
    period: Period, profile: Mapping[str, Any], errors: Mapping[str, str], status: int = 200
) -> Any:
    locked = periods.profile_locked(period)
    return render_template(
        "simantap/profile.html",
        period=period,
        profile=profile,
        errors=errors,
        shares=axis_shares(profile),
        locked=locked,
        indicators=profiles.INDICATORS,
        axes=AXIS_LABELS,
        relations=RELATION_LABELS,
        form=ActionForm(),
    ), status


@bp.route("/periods/<int:period_id>/profile", methods=["GET", "POST"])
@permission_required("simantap.manage")
def period_profile(period_id: int) -> Any:
    period = _period(period_id)
    if request.method == "GET":
        return _profile_page(period, period.profile, {})
    if not ActionForm().validate_on_submit():
        return _profile_page(
            period, period.profile, {"": gettext("Reload the page and try again.")}, 400
        )
    profile = profile_from_form(request.form, period.profile)
    try:
        periods.update_profile(current_user, period, profile)
    except periods.PeriodError as error:
        db.session.rollback()
        return _profile_page(period, profile, error.messages(gettext), error.status)
    db.session.commit()
    flash(gettext("The scoring profile of period %(code)s is saved.", code=period.code), "success")
    return redirect(url_for("simantap.period_profile", period_id=period.id), 303)
