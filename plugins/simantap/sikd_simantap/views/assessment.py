"""The 360 assessment: "My 360 assessment" for every employee (only their own forms), and
for HR the completion per unit, generating assignments and sending reminders.

No page here shows a rating to anyone but its rater.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import BooleanField, IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from sikd_host.plugin_api import Form, User, current_user, db, gettext, permission_required
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import assessment
from sikd_simantap.models import Period
from sikd_simantap.periods import STATUSES, PeriodError
from sikd_simantap.scoring.assignments import Options
from sikd_simantap.scoring.indicators import BERAKHLAK
from sikd_simantap.views import bp
from sikd_simantap.views.periods import RELATION_LABELS


class AssessmentForm(Form):
    comment = TextAreaField(
        _l("Comment (optional)"), validators=[Optional(), Length(max=assessment.MAX_COMMENT)]
    )


for _item, _name in enumerate(BERAKHLAK, start=1):
    setattr(
        AssessmentForm,
        f"butir_{_item}",
        RadioField(
            _name,
            choices=[(value, str(value)) for value in range(1, 6)],
            coerce=int,
            validators=[InputRequired(message=_l("Choose a value from 1 to 5."))],
        ),
    )
del _item, _name


class GenerateForm(Form):
    peers_per_ratee = IntegerField(
        _l("Most peers rating one person"), [InputRequired(), NumberRange(1, 50)], default=5
    )
    peers_per_rater = IntegerField(
        _l("Most peers one person rates"), [InputRequired(), NumberRange(1, 100)], default=10
    )
    seed = IntegerField(
        _l("Seed (the same seed chooses the same peers)"),
        [Optional(), NumberRange(0, 2**31 - 1)],
    )
    include_self = BooleanField(_l("Include a self-assessment (diri)"))


class ActionForm(Form):
    """Only the CSRF token (reminders)."""


@bp.route("/360")
@permission_required("simantap.use")
def my_assessment() -> Any:
    return render_template(
        "simantap/assessment_list.html",
        rows=assessment.my_assignments(current_user),
        relations=RELATION_LABELS,
    )


def _form_page(assignment: Any, form: AssessmentForm, status: int = 200, error: str = "") -> Any:
    period = db.session.get(Period, assignment.period_id)
    ratee = db.session.get(User, assignment.ratee_id)
    return render_template(
        "simantap/assessment_form.html",
        assignment=assignment,
        period=period,
        ratee=ratee,
        form=form,
        items=[(f"butir_{i}", name) for i, name in enumerate(BERAKHLAK, start=1)],
        relations=RELATION_LABELS,
        editable=period.status == "open",
        error=error,
    ), status


@bp.route("/360/<int:assignment_id>", methods=["GET", "POST"])
@permission_required("simantap.use")
def assessment_form(assignment_id: int) -> Any:
    assignment = assessment.own_assignment(current_user, assignment_id)
    if assignment is None:
        abort(404)  # someone else's form does not exist for this user
    if request.method == "GET":
        form = AssessmentForm(formdata=None)
        for item, value in assessment.ratings_of(assignment).items():
            getattr(form, f"butir_{item}").data = value
        form.comment.data = assignment.comment
        return _form_page(assignment, form)
    form = AssessmentForm()
    period = db.session.get(Period, assignment.period_id)
    if period.status != "open":
        message = (
            gettext("The period is closed; this assessment can no longer change.")
            if period.status == "closed"
            else gettext("The period is not open yet.")
        )
        return _form_page(assignment, form, 409, message)
    if not form.validate_on_submit():
        return _form_page(assignment, form, 422)
    values = {i: getattr(form, f"butir_{i}").data for i in assessment.ITEMS}
    try:
        assessment.submit(current_user, assignment, values, form.comment.data or "")
    except PeriodError as error:
        db.session.rollback()
        messages = error.messages(gettext)
        for name, message in messages.items():
            if name:
                getattr(form, name).errors = [message]
        return _form_page(assignment, form, error.status, messages.get("", ""))
    db.session.commit()
    flash(
        gettext("Your assessment is saved. You can change it until the period closes."), "success"
    )
    return redirect(url_for("simantap.my_assessment"), 303)


def _period(period_id: int) -> Period:
    period = db.session.get(Period, period_id)
    if period is None:
        abort(404)
    return period


def _completion_page(
    period: Period, generate: GenerateForm | None = None, status: int = 200, error: str = ""
) -> Any:
    if generate is None:
        generate = GenerateForm(formdata=None)
        generate.seed.data = assessment.default_seed(period)
        generate.include_self.data = (period.profile.get("groups") or {}).get("diri", 0) > 0
    rows = assessment.completion(period)
    total = sum(row.assignments for row in rows)
    submitted = sum(row.submitted for row in rows)
    return render_template(
        "simantap/completion.html",
        period=period,
        rows=rows,
        total=total,
        submitted=submitted,
        percent=round(submitted / total * 100, 1) if total else 0.0,
        generate=generate,
        action=ActionForm(),
        statuses=STATUSES,
        error=error,
    ), status


@bp.route("/periods/<int:period_id>/360")
@permission_required("simantap.manage")
def completion(period_id: int) -> Any:
    return _completion_page(_period(period_id))


@bp.route("/periods/<int:period_id>/360/generate", methods=["POST"])
@permission_required("simantap.manage")
def generate_assignments(period_id: int) -> Any:
    period = _period(period_id)
    form = GenerateForm()
    if not form.validate_on_submit():
        return _completion_page(period, form, 422)
    options = Options(
        peers_per_ratee=form.peers_per_ratee.data,
        peers_per_rater=form.peers_per_rater.data,
        include_self=form.include_self.data,
        seed=assessment.default_seed(period) if form.seed.data is None else form.seed.data,
    )
    try:
        result = assessment.generate_assignments(current_user, period, options)
    except PeriodError as error:
        db.session.rollback()
        return _completion_page(period, form, error.status, error.messages(gettext)[""])
    db.session.commit()
    flash(
        gettext(
            "Assignments generated: %(created)s new, %(removed)s removed, %(total)s in all.",
            created=result.created,
            removed=result.removed,
            total=result.total,
        ),
        "success",
    )
    return redirect(url_for("simantap.completion", period_id=period.id), 303)


@bp.route("/periods/<int:period_id>/360/reminders", methods=["POST"])
@permission_required("simantap.manage")
def send_reminders(period_id: int) -> Any:
    period = _period(period_id)
    if not ActionForm().validate_on_submit():
        return _completion_page(period, None, 400, gettext("Reload the page and try again."))
    try:
        count = assessment.send_reminders(current_user, period, url_for("simantap.my_assessment"))
    except PeriodError as error:
        db.session.rollback()
        return _completion_page(period, None, error.status, error.messages(gettext)[""])
    db.session.commit()
    flash(gettext("Reminders sent to %(n)s rater(s).", n=count), "success")
    return redirect(url_for("simantap.completion", period_id=period.id), 303)
