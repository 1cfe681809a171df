"""Kotak Masuk: the disposition inbox, an item's page with its actions, and sending."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from sikd_archive import disposition
from sikd_archive.forms import ActionForm, DispositionForm
from sikd_archive.models import Disposition, DispositionAction
from sikd_archive.rules.params import MAX_PAGE
from sikd_archive.views import ID, bp, int_arg, visible_record
from sikd_archive.views.records import record_page, routing_choices, sending_choices
from sikd_host.plugin_api import N_, User, current_user, db, gettext, permission_required

PAGE_SIZE = 50


@bp.route("/kotak-masuk")
@permission_required("archive.use")
def inbox() -> Any:
    show = request.args.get("show", "open")
    if show not in disposition.INBOX_VIEWS:
        show = "open"
    page = int_arg("page", 1, MAX_PAGE, N_("Not a valid page number."))
    offset = (page - 1) * PAGE_SIZE
    rows, counts = disposition.inbox_page(current_user, show, PAGE_SIZE + 1, offset)
    return render_template(
        "archive/inbox.html",
        items=rows[:PAGE_SIZE],
        counts=counts,
        show=show,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        today=dt.date.today(),
    )


def _own_item(disposition_id: int) -> Disposition:
    """An item the current user received or sent; anything else answers 404."""
    item = db.session.scalar(
        select(Disposition).where(
            Disposition.id == disposition_id,
            or_(
                Disposition.recipient_id == current_user.id,
                Disposition.sender_id == current_user.id,
            ),
        )
    )
    if item is None:
        abort(404)
    return item


@bp.route(f"/disposisi/<{ID}:disposition_id>", methods=["GET", "POST"])
@permission_required("archive.use")
def disposition_item(disposition_id: int) -> Any:
    item = _own_item(disposition_id)
    form = ActionForm()
    status = 200
    if request.method == "GET":
        disposition.open_item(item, current_user)
        db.session.commit()
    elif "find" not in request.form:  # "Find" shows the form again, offering whom it finds
        sending_choices(form, fixed_kind=True)
        if not form.validate_on_submit():
            status = 422
        else:
            try:
                disposition.act(
                    current_user,
                    item,
                    form.action.data,
                    form.note.data or "",
                    form.recipients.data or [],
                    form.instruction.data or "",
                    form.due_on.data,
                )
            except disposition.DispositionError as error:
                db.session.rollback()
                form.action.errors = [gettext(error.message, **error.params)]
                status = 422
            else:
                db.session.commit()
                flash(gettext("Saved."), "success")
                return redirect(url_for("archive.inbox"))
    offer = routing_choices(form, item.record, kind="teruskan")
    actions = db.session.scalars(
        select(DispositionAction)
        .where(DispositionAction.disposition_id == item.id)
        .order_by(DispositionAction.acted_at)
    ).all()
    sender = db.session.get(User, item.sender_id)
    return render_template(
        "archive/disposition.html",
        item=item,
        form=form,
        offer=offer,
        actions=actions,
        sender=sender,
        today=dt.date.today(),
    ), status


@bp.route(f"/naskah/<{ID}:record_id>/disposisi", methods=["POST"])
@permission_required("archive.use")
def disposition_send(record_id: int) -> Any:
    record = visible_record(record_id)
    form = DispositionForm()
    if "find" in request.form:  # the record's page again, offering whom the search finds
        return record_page(record, form)
    sending_choices(form)
    if not form.validate_on_submit():  # the errors at their fields, the rest kept
        return record_page(record, form, 422)
    try:
        sent = disposition.send(
            current_user,
            record,
            form.recipients.data,
            form.kind.data,
            form.instruction.data or "",
            form.note.data or "",
            form.due_on.data,
        )
    except disposition.DispositionError as error:
        db.session.rollback()
        return record_page(record, form, 422, gettext(error.message, **error.params))
    db.session.commit()
    flash(gettext("Sent to %(n)s recipient(s).", n=len(sent)), "success")
    return redirect(url_for("archive.record", record_id=record.id))
