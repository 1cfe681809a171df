"""The archive's pages: one blueprint, routes in modules named after what they show."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from sqlalchemy import select

from sikd_archive import access
from sikd_archive.models import Record
from sikd_host.plugin_api import current_user, db

bp = Blueprint("archive", __name__, url_prefix="/arsip")


def visible_record(record_id: int) -> Record:
    """The record if the current user may see it; otherwise 404, as if it did not exist."""
    record = db.session.scalar(
        select(Record).where(Record.id == record_id, access.visible(current_user))
    )
    if record is None:
        abort(404)
    return record


def field_errors(form: Any, errors: dict[str, str]) -> None:
    from sikd_host.plugin_api import gettext

    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, gettext(message)]

        else:
            form.form_errors.append(gettext(message))


from sikd_archive.views import (  # noqa: E402, F401
    berkas,
    inbox,
    klasifikasi,
    lifecycle,
    records,
    search,
)
