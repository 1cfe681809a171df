"""Penyusutan pages: the due lists, moving to inactive, destruction proposals and their
approval or rejection, the berita acara, hand-over to ANRI, re-assessment and the standard
lists as CSV and XLSX. The decisions are made by ``sikd_archive.lifecycle``; a refusal is
shown on the page it came from with its HTTP status, and nothing of it is saved."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from sikd_archive import exports, lifecycle
from sikd_archive.lifecycle import LifecycleError
from sikd_archive.models import Proposal, ProposalItem, Record
from sikd_archive.rules import lifecycle as rules
from sikd_archive.views import ID, bp, int_arg
from sikd_host.plugin_api import (
    N_,
    Form,
    Unit,
    User,
    audit,
    current_user,
    db,
    gettext,
    permission_required,
    require,
    settings,
)
from sikd_host.plugin_api import lazy_gettext as _l

PROPOSE = "archive.propose_destruction"
APPROVE = "archive.approve_destruction"
HAND_OVER = "archive.hand_over"
LIST_LIMIT = 500


# --- forms -------------------------------------------------------------------------------


class SelectionForm(Form):
    record_ids = SelectMultipleField(_l("Records"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class HandoverForm(SelectionForm):
    receiver = StringField(
        _l("Received by (name and office at ANRI)"), validators=[DataRequired(), Length(max=300)]
    )


class DecisionForm(Form):
    """Approval: the CSRF token is the whole form."""


class RejectForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ReassessForm(Form):
    decision = SelectField(
        _l("Decision"),
        choices=[
            ("extend", _l("Review again later")),
            ("musnah", _l("Destroy (musnah)")),
            ("permanen", _l("Keep permanently (permanen)")),
        ],
    )
    years = IntegerField(
        _l("Years until the next review"), validators=[Optional(), NumberRange(1, 50)]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


# --- helpers -----------------------------------------------------------------------------


def _require_any(*names: str) -> None:
    """403 (naming the first permission) unless the user holds one of ``names``."""
    if not any(current_user.has_permission(name) for name in names):
        require(names[0])


def _message(error: LifecycleError) -> str:
    return gettext(error.message, **error.params)


def _lines(error: LifecycleError | None) -> list[str]:
    if error is None:
        return []
    return [
        f"{r.label}: {', '.join(gettext(reason) for reason in r.reasons)}" for r in error.refusals
    ]


def _form_error(form: Form) -> LifecycleError:
    details = "; ".join(
        f"{form[name].label.text}: {' '.join(str(m) for m in messages)}"
        for name, messages in form.errors.items()
        if name in form
    )
    return LifecycleError(N_("Check the form and try again. %(details)s"), 400, details=details)


def _proposal_or_404(proposal_id: int, handover: bool | None = None) -> Proposal:
    try:
        return lifecycle.get_proposal(proposal_id, handover=handover)
    except LifecycleError:
        abort(404)


# --- the retention page ------------------------------------------------------------------------


@bp.route("/penyusutan")
@permission_required("archive.use")
def retention() -> Any:
    _require_any(PROPOSE, APPROVE)
    return _retention_page()


def _retention_page(error: LifecycleError | None = None, status: int = 200) -> Any:
    on = lifecycle.today()
    user = current_user

    def due(where: Any) -> list[Any]:
        return lifecycle.due_records(user, where, LIST_LIMIT)

    return render_template(
        "archive/retention.html",
        today=on,
        totals=lifecycle.due_counts(user, on),
        code_counts=lifecycle.code_counts(user, on),
        inactive=due(lifecycle.inactive_due(on)),
        musnah=due(lifecycle.final_due(on, "musnah")),
        permanen=due(lifecycle.final_due(on, "permanen")),
        dinilai=due(lifecycle.final_due(on, "dinilai_kembali")),
        open_proposals=lifecycle.proposals(rules.OPEN, 50),
        limit=LIST_LIMIT,
        selection=SelectionForm(),
        handover=HandoverForm(),
        reassess_form=ReassessForm(),
        error=_message(error) if error else None,
        error_lines=_lines(error),
    ), status


def _selection_action(form: SelectionForm, action: Any) -> tuple[Any, LifecycleError | None]:
    """Run ``action(ids, form)`` when the form validates; the result, or the refusal (the
    transaction then rolled back)."""
    if not form.validate_on_submit():
        return None, _form_error(form)
    try:
        return action(form.record_ids.data or [], form), None
    except LifecycleError as error:
        db.session.rollback()
        return None, error


@bp.route("/penyusutan/inaktif", methods=["POST"])
@permission_required(PROPOSE)
def retention_inactive() -> Any:
    count, error = _selection_action(
        SelectionForm(), lambda ids, form: lifecycle.move_to_inactive(current_user, ids)
    )
    if error:
        return _retention_page(error, error.status)
    db.session.commit()
    flash(gettext("%(n)s record(s) moved to the inactive records.", n=count), "success")
    return redirect(url_for("archive.retention"), 303)


@bp.route("/penyusutan/usulan", methods=["POST"])
@permission_required(PROPOSE)
def proposal_new() -> Any:
    proposal, error = _selection_action(
        SelectionForm(),
        lambda ids, form: lifecycle.propose(current_user, ids, form.note.data or ""),
    )
    if error:
        return _retention_page(error, error.status)
    db.session.commit()
    flash(
        gettext(
            "Proposal %(number)s created; another user must approve it.", number=proposal.number
        ),
        "success",
    )
    return redirect(url_for("archive.proposal", proposal_id=proposal.id), 303)


@bp.route("/penyusutan/serah", methods=["POST"])
@permission_required(HAND_OVER)
def handover_new() -> Any:
    document, error = _selection_action(
        HandoverForm(),
        lambda ids, form: lifecycle.hand_over(
            current_user, ids, form.receiver.data, form.note.data or ""
        ),
    )
    if error:
        return _retention_page(error, error.status)
    db.session.commit()
    flash(gettext("Hand-over %(number)s recorded.", number=document.number), "success")
    return redirect(url_for("archive.berita_acara", proposal_id=document.id), 303)


@bp.route(f"/penyusutan/naskah/<{ID}:record_id>/nilai-kembali", methods=["POST"])
@permission_required(PROPOSE)
def reassess(record_id: int) -> Any:
    form = ReassessForm()
    if not form.validate_on_submit():
        return _retention_page(_form_error(form), 400)
    try:
        record = lifecycle.reassess(
            current_user, record_id, form.decision.data, form.years.data, form.reason.data
        )
    except LifecycleError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        return _retention_page(error, error.status)
    db.session.commit()
    flash(gettext("Record %(agenda)s re-assessed.", agenda=record.agenda_number), "success")
    return redirect(url_for("archive.retention"), 303)


# --- proposals -----------------------------------------------------------------------------


@bp.route("/penyusutan/usulan")
@permission_required("archive.use")
def proposals() -> Any:
    _require_any(PROPOSE, APPROVE)
    status = request.args.get("status", "")
    return render_template(
        "archive/proposals.html",
        rows=lifecycle.proposals(status or None),
        status=status if status in rules.PROPOSAL_STATUSES else "",
        statuses=rules.PROPOSAL_STATUSES,
    )


@bp.route(f"/penyusutan/usulan/<{ID}:proposal_id>")
@permission_required("archive.use")
def proposal(proposal_id: int) -> Any:
    _require_any(PROPOSE, APPROVE)
    return _proposal_page(_proposal_or_404(proposal_id))


def _proposal_page(item: Proposal, error: LifecycleError | None = None, status: int = 200) -> Any:
    rows = db.session.execute(
        select(ProposalItem, Record)
        .join(Record, ProposalItem.record_id == Record.id)
        .where(ProposalItem.proposal_id == item.id)
        .order_by(ProposalItem.id)
    ).all()
    visible = lifecycle.visible_item_ids(current_user, item)
    is_open = item.status == rules.OPEN
    blockers = lifecycle.approval_refusals(current_user, item, lifecycle.today()) if is_open else []
    return render_template(
        "archive/proposal.html",
        proposal=item,
        rows=rows,
        visible=visible,
        snapshots={pi.id: _snapshot(pi) for pi, _record in rows},
        blockers={r.record_id: [gettext(x) for x in r.reasons] for r in blockers},
        proposer=db.session.get(User, item.proposed_by_id),
        decider=db.session.get(User, item.approved_by_id) if item.approved_by_id else None,
        minutes=lifecycle.minutes_of(item),
        can_approve=is_open
        and current_user.has_permission(APPROVE)
        and rules.can_decide(item.proposed_by_id, current_user.id),
        can_reject=is_open
        and (current_user.has_permission(APPROVE) or item.proposed_by_id == current_user.id),
        decision=DecisionForm(),
        reject_form=RejectForm(),
        error=_message(error) if error else None,
        error_lines=_lines(error),
    ), status


def _snapshot(item: ProposalItem) -> dict[str, Any]:
    try:
        data = json.loads(item.snapshot or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@bp.route(f"/penyusutan/usulan/<{ID}:proposal_id>/setujui", methods=["POST"])
@permission_required(APPROVE)
def proposal_approve(proposal_id: int) -> Any:
    item = _proposal_or_404(proposal_id, handover=False)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _proposal_page(item, _form_error(form), 400)
    try:
        lifecycle.approve(current_user, item.id)
    except LifecycleError as error:
        db.session.rollback()
        lifecycle.record_refusal(current_user, "destruction_approval", item.id, error)
        db.session.commit()
        return _proposal_page(_proposal_or_404(proposal_id), error, error.status)
    db.session.commit()  # the storage service unlinks the destroyed files after this commit
    flash(
        gettext("Proposal %(number)s approved; the records are destroyed.", number=item.number),
        "success",
    )
    return redirect(url_for("archive.berita_acara", proposal_id=item.id), 303)


@bp.route(f"/penyusutan/usulan/<{ID}:proposal_id>/tolak", methods=["POST"])
@permission_required("archive.use")
def proposal_reject(proposal_id: int) -> Any:
    _require_any(PROPOSE, APPROVE)
    item = _proposal_or_404(proposal_id, handover=False)
    form = RejectForm()
    if not form.validate_on_submit():
        return _proposal_page(item, _form_error(form), 400)
    try:
        lifecycle.reject(current_user, item.id, form.reason.data)
    except LifecycleError as error:
        db.session.rollback()
        return _proposal_page(_proposal_or_404(proposal_id), error, error.status)
    db.session.commit()
    flash(gettext("Proposal %(number)s rejected.", number=item.number), "success")
    return redirect(url_for("archive.proposal", proposal_id=item.id), 303)


# --- berita acara ----------------------------------------------------------------------------


@bp.route(f"/penyusutan/berita-acara/<{ID}:proposal_id>")
@permission_required("archive.use")
def berita_acara(proposal_id: int) -> Any:
    """The printable minutes of a destruction or hand-over. Anyone who may see one of its
    records (the stub links here) or who proposes or approves may open it; the items the
    reader may not see are listed by number only."""
    item = _proposal_or_404(proposal_id)
    minutes = lifecycle.minutes_of(item)
    if minutes.get("kind") not in ("pemusnahan", "serah"):
        abort(404)
    visible = lifecycle.visible_item_ids(current_user, item)
    officer = current_user.has_permission(PROPOSE) or current_user.has_permission(APPROVE)
    if not visible and not officer:
        abort(404)
    audit.record(
        current_user,
        "archive.berita_acara_viewed",
        "archive_proposal",
        item.id,
        {"number": item.number},
    )
    db.session.commit()
    return render_template(
        "archive/berita_acara.html", proposal=item, minutes=minutes, visible=visible
    )


# --- exports ------------------------------------------------------------------------------------


def _download(data: bytes, fmt: str, filename: str) -> Response:
    response = Response(data, mimetype=exports.FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.no_store = True
    return response


def _render(statement: Any, fmt: str, title: str, subtitle: str) -> tuple[bytes, int]:
    cells = list(exports.rows(db.session, statement))
    if fmt == "csv":
        return exports.to_csv(cells), len(cells)
    return exports.to_xlsx(cells, title, subtitle), len(cells)


@bp.route("/penyusutan/daftar/<kind>.<fmt>")
@permission_required("archive.use")
def export_list(kind: str, fmt: str) -> Any:
    """Daftar arsip aktif or inaktif of the records the user may see (``?unit=<id>``)."""
    if kind not in exports.LISTS or fmt not in exports.FORMATS:
        abort(404)
    unit_id = int_arg("unit", message=N_("Unknown unit."))
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        abort(404)
    on = lifecycle.today()
    title = exports.LISTS[kind]
    data, count = _render(
        exports.list_statement(current_user, kind, unit_id),
        fmt,
        title,
        f"{settings('INSTITUTION_NAME', '')} - {on.isoformat()}",
    )
    audit.record(
        current_user,
        "archive.list_exported",
        "archive_list",
        kind,
        {"format": fmt, "rows": count, "unit": unit_id},
    )
    db.session.commit()
    return _download(data, fmt, f"daftar-arsip-{kind}-{on.isoformat()}.{fmt}")


@bp.route(f"/penyusutan/usulan/<{ID}:proposal_id>/daftar.<fmt>")
@permission_required("archive.use")
def export_proposal(proposal_id: int, fmt: str) -> Any:
    """The daftar arsip usul musnah of one destruction proposal (the items the user sees)."""
    _require_any(PROPOSE, APPROVE)
    if fmt not in exports.FORMATS:
        abort(404)
    item = _proposal_or_404(proposal_id, handover=False)
    data, count = _render(
        exports.proposal_statement(current_user, item.id),
        fmt,
        exports.PROPOSAL_LIST,
        f"{settings('INSTITUTION_NAME', '')} - {item.number}",
    )
    audit.record(
        current_user,
        "archive.list_exported",
        "archive_proposal",
        item.id,
        {"format": fmt, "rows": count, "number": item.number},
    )
    db.session.commit()
    safe_number = item.number.replace("/", "-")
    return _download(data, fmt, f"daftar-usul-musnah-{safe_number}.{fmt}")
