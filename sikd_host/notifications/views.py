"""The "Notifications" page: the user's own notifications, newest first; mark all read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from sikd_host.extensions import db
from sikd_host.forms import Form
from sikd_host.notifications import service
from sikd_host.query import page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE_SIZE = 50


class MarkReadForm(Form):
    """Only the CSRF token."""


@bp.route("/")
@login_required
def index() -> Any:
    page = page_arg()
    rows = service.recent(current_user, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    return render_template(
        "notifications/index.html",
        notifications=[(row, service.text(row)) for row in rows[:PAGE_SIZE]],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        unread=service.unread_count(current_user),
        form=MarkReadForm(),
    )


@bp.route("/read", methods=["POST"])
@login_required
def mark_all_read() -> Any:
    form = MarkReadForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "danger")
        return redirect(url_for("notifications.index")), 303
    count = service.mark_read(current_user)
    db.session.commit()
    flash(_("%(n)s notification(s) marked read.", n=count), "success")
    return redirect(url_for("notifications.index"), 303)


@bp.app_context_processor
def unread_badge() -> dict[str, Any]:
    """``unread_notifications()`` for the layout's bell (one COUNT, only where it is shown)."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return service.unread_count(current_user)
        except SQLAlchemyError:  # an error page must still render
            db.session.rollback()
            return 0

    return {"unread_notifications": unread_notifications}
