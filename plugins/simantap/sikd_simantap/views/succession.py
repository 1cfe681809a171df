"""The register of critical positions, succession plans (with HR's written overrides and
freezing) and the talent pool. Only for holders of ``simantap.succession`` (HR and the
placement committee): a candidate never sees how the others rank."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from sikd_host.plugin_api import (
    Form,
    Position,
    Unit,
    User,
    current_user,
    db,
    gettext,
    permission_required,
)
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import exports, pool, succession
from sikd_simantap.models import CriticalPosition
from sikd_simantap.scoring import succession as rules
from sikd_simantap.views import bp

MAX_ID = 2**31 - 1
LEVELS = [(str(n), str(n)) for n in range(1, 6)]


def valid_id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


def nip_digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isascii() and ch.isdigit())


def _message(error: succession.SuccessionError) -> str:
    return gettext(error.message, **error.params)


class RegisterForm(Form):
    reason = TextAreaField(_l("Why the position is critical"), [DataRequired(), Length(max=2000)])
    flagged_on = DateField(_l("Flagged on"), [DataRequired()])


for _key, _label in succession.COMPETENCIES:
    setattr(RegisterForm, f"std_{_key}", SelectField(_l(_label), choices=LEVELS, default="3"))
for _n in range(1, 6):
    setattr(
        RegisterForm,
        f"tech_name_{_n}",
        StringField(_l("Technical competency %(n)s", n=_n), [Optional(), Length(max=200)]),
    )
    setattr(
        RegisterForm,
        f"tech_level_{_n}",
        SelectField(_l("Level"), choices=[("", "-"), *LEVELS], default=""),
    )


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=2000)])


class OverrideForm(Form):
    action = SelectField(
        _l("Change"),
        choices=[("nominate", _l("Nominate (add to the list)")), ("remove", _l("Remove"))],
    )
    nip = StringField(_l("NIP of the employee"), [DataRequired(), Length(max=30)])
    reason = TextAreaField(_l("Written reason"), [DataRequired(), Length(max=2000)])


class FreezeForm(Form):
    note = TextAreaField(_l("Note"), [Optional(), Length(max=2000)])


class LiftForm(Form):
    override_id = HiddenField()
    reason = TextAreaField(_l("Why the change is lifted"), [DataRequired(), Length(max=2000)])


def _position(position_id: int) -> Position:
    position = db.session.get(Position, valid_id(position_id))
    if position is None:
        abort(404)
    return position


def _plan_or_404(position_id: int) -> succession.Plan:
    valid_id(position_id)
    plan = succession.plan_of(position_id)
    if plan is None:
        abort(404)
    return plan


# --- the register ---------------------------------------------------------------------


@bp.route("/jabatan-kritikal")
@permission_required("simantap.succession")
def critical_list() -> Any:
    basis = succession.latest_basis()
    plans = {plan.critical.position_id: plan for plan in succession.plans(basis=basis)}
    positions = succession.critical_positions()
    candidates = db.session.execute(
        select(Position.id, Position.code, Position.name, Position.eselon)
        .where(Position.critical.is_(False), Position.eselon.is_not(None))
        .order_by(Position.eselon, Position.code)
    ).all()
    return render_template(
        "simantap/critical_list.html",
        basis=basis,
        positions=positions,
        plans=plans,
        flaggable=[row for row in candidates if rules.tier(row[3]) in (1, 2, 3)],
        readiness_labels=rules.READINESS_LABELS,
        today=dt.date.today(),
    )


def _form_from_entry(form: RegisterForm, entry: CriticalPosition | None) -> None:
    if entry is None:
        form.flagged_on.data = dt.date.today()
        return
    form.reason.data = entry.reason
    form.flagged_on.data = entry.flagged_on
    for key in succession.COMPETENCY_KEYS:
        getattr(form, f"std_{key}").data = str(entry.standard.get(key, 3))
    for n, item in enumerate(entry.technical[:5], start=1):
        getattr(form, f"tech_name_{n}").data = item["name"]
        getattr(form, f"tech_level_{n}").data = str(item["level"])


@bp.route("/jabatan-kritikal/<int:position_id>/ubah", methods=["GET", "POST"])
@permission_required("simantap.succession")
def critical_edit(position_id: int) -> Any:
    position = _position(position_id)
    entry = db.session.get(CriticalPosition, position.id)
    form = RegisterForm()
    status, error = 200, None
    if request.method == "GET":
        _form_from_entry(form, entry)
    elif form.validate_on_submit():
        technical = []
        for n in range(1, 6):
            name = (getattr(form, f"tech_name_{n}").data or "").strip()
            level = getattr(form, f"tech_level_{n}").data
            if name:
                if not level:
                    getattr(form, f"tech_level_{n}").errors = [gettext("Choose a level.")]
                    status = 422
                else:
                    technical.append({"name": name, "level": int(level)})
        if status == 200:
            try:
                succession.save_register_entry(
                    position,
                    current_user,
                    reason=form.reason.data,
                    flagged_on=form.flagged_on.data,
                    standard={
                        key: int(getattr(form, f"std_{key}").data)
                        for key in succession.COMPETENCY_KEYS
                    },
                    technical=technical,
                )
            except succession.SuccessionError as refused:
                db.session.rollback()
                error, status = _message(refused), 422
            else:
                db.session.commit()
                flash(gettext("The register entry of %(code)s is saved.", code=position.code),
                      "success")  # fmt: skip
                return redirect(url_for("simantap.plan", position_id=position.id)), 303
    else:
        status = 422 if form.errors.keys() - {"csrf_token"} else 400
    return render_template(
        "simantap/critical_edit.html",
        form=form,
        position=position,
        entry=entry,
        error=error,
        competencies=succession.COMPETENCIES,
        remove_form=ReasonForm(formdata=None),
    ), status


@bp.route("/jabatan-kritikal/<int:position_id>/hapus", methods=["POST"])
@permission_required("simantap.succession")
def critical_remove(position_id: int) -> Any:
    position = _position(position_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(gettext("A written reason is required."), "danger")
        return redirect(url_for("simantap.critical_edit", position_id=position.id)), 303
    succession.unflag(position, current_user, form.reason.data)
    db.session.commit()
    flash(gettext("%(code)s is no longer a critical position.", code=position.code), "success")
    return redirect(url_for("simantap.critical_list")), 303


# --- plans ----------------------------------------------------------------------------


def _plan_page(plan: succession.Plan, override_form=None, status: int = 200, error=None):
    return render_template(
        "simantap/plan.html",
        plan=plan,
        override_form=override_form or OverrideForm(formdata=None),
        freeze_form=FreezeForm(formdata=None),
        lift_form=LiftForm(formdata=None),
        readiness_labels=rules.READINESS_LABELS,
        rule_labels=rules.RULE_LABELS,
        users=_names(plan),
        error=error,
    ), status


def _names(plan: succession.Plan) -> dict[int, str]:
    ids = {o.user_id for o in plan.overrides}
    ids |= {o.created_by_id for o in plan.overrides if o.created_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


@bp.route("/suksesi/<int:position_id>")
@permission_required("simantap.succession")
def plan(position_id: int) -> Any:
    return _plan_page(_plan_or_404(position_id))


@bp.route("/suksesi/<int:position_id>/ubah", methods=["POST"])
@permission_required("simantap.succession")
def plan_override(position_id: int) -> Any:
    found = _plan_or_404(position_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        status = 422 if form.errors.keys() - {"csrf_token"} else 400
        return _plan_page(found, form, status, gettext("A written reason is required."))
    user_id = db.session.scalar(select(User.id).where(User.nip == nip_digits(form.nip.data)))
    if user_id is None:
        form.nip.errors = [gettext("No employee has this NIP.")]
        return _plan_page(found, form, 422)
    try:
        succession.add_override(position_id, user_id, form.action.data, form.reason.data,
                                current_user)  # fmt: skip
    except succession.SuccessionError as refused:
        db.session.rollback()
        return _plan_page(found, form, 422, _message(refused))
    db.session.commit()
    flash(gettext("The change is saved with its reason."), "success")
    return redirect(url_for("simantap.plan", position_id=position_id)), 303


@bp.route("/suksesi/<int:position_id>/cabut", methods=["POST"])
@permission_required("simantap.succession")
def plan_lift(position_id: int) -> Any:
    found = _plan_or_404(position_id)
    form = LiftForm()
    raw = (form.override_id.data or "").strip()
    mine = {o.id for o in found.overrides}
    if not form.validate_on_submit() or not raw.isascii() or not raw.isdigit():
        return _plan_page(found, None, 422, gettext("A written reason is required."))
    if int(raw) not in mine:
        abort(404)
    succession.lift_override(int(raw), form.reason.data, current_user)
    db.session.commit()
    flash(gettext("The change is lifted; the reason is kept."), "success")
    return redirect(url_for("simantap.plan", position_id=position_id)), 303


@bp.route("/suksesi/<int:position_id>/bekukan", methods=["POST"])
@permission_required("simantap.succession")
def plan_freeze(position_id: int) -> Any:
    found = _plan_or_404(position_id)
    form = FreezeForm()
    if not form.validate_on_submit():
        return _plan_page(found, None, 400, gettext("The form has expired; try again."))
    try:
        succession.freeze(position_id, current_user, form.note.data or "")
    except succession.SuccessionError as refused:
        db.session.rollback()
        return _plan_page(found, None, 409, _message(refused))
    db.session.commit()
    flash(gettext("The plan is frozen for period %(code)s.", code=found.basis.period_code),
          "success")  # fmt: skip
    return redirect(url_for("simantap.plan", position_id=position_id)), 303


@bp.route("/suksesi/<int:position_id>/beku")
@permission_required("simantap.succession")
def plan_frozen(position_id: int) -> Any:
    found = _plan_or_404(position_id)
    if found.frozen is None:
        abort(404)
    return render_template(
        "simantap/plan_frozen.html",
        plan=found,
        snapshot=found.frozen.snapshot,
        readiness_labels=rules.READINESS_LABELS,
        rule_labels=rules.RULE_LABELS,
    )


def _format() -> str:
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in exports.FORMATS:
        abort(400, gettext("Choose the format csv or xlsx."))
    return fmt


@bp.route("/suksesi/<int:position_id>/ekspor")
@permission_required("simantap.succession")
def plan_export(position_id: int) -> Any:
    found = _plan_or_404(position_id)
    fmt = _format()
    return exports.response(
        exports.succession_rows([found]), exports.SUCCESSION_COLUMNS, fmt,
        f"suksesi-{found.critical.code}-{found.basis.period_code}",
    )  # fmt: skip


@bp.route("/suksesi/ekspor")
@permission_required("simantap.succession")
def plans_export() -> Any:
    fmt = _format()
    found = succession.plans()
    if not found:
        abort(404)
    return exports.response(
        exports.succession_rows(found), exports.SUCCESSION_COLUMNS, fmt,
        f"suksesi-{found[0].basis.period_code}",
    )  # fmt: skip


# --- the talent pool ------------------------------------------------------------------


@bp.route("/talent-pool")
@permission_required("simantap.succession")
def talent_pool() -> Any:
    basis = succession.latest_basis()
    members = pool.members(basis)
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    return render_template(
        "simantap/pool.html", basis=basis, members=members, units=units,
        periods=[code for _id, code, _run in pool.published_periods()],
    )  # fmt: skip


@bp.route("/talent-pool/ekspor")
@permission_required("simantap.succession")
def talent_pool_export() -> Any:
    fmt = _format()
    basis = succession.latest_basis()
    if basis is None:
        abort(404)
    return exports.response(
        exports.pool_rows(pool.members(basis)), exports.POOL_COLUMNS, fmt,
        f"talent-pool-{basis.period_code}",
    )  # fmt: skip
