"""The archive's pages: one blueprint, routes in modules named after what they show.

Every object id in a URL goes through one bounded converter (``ID``), so an id no table can
hold answers 404 before any query; every number in a query string goes through
:func:`int_arg`, so a malformed one answers 400 with a clear message instead of a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import Select, select

from sikd_archive import access
from sikd_archive.models import Klasifikasi, Record
from sikd_archive.rules.params import MAX_ID, whole_number
from sikd_host.plugin_api import N_, current_user, db, gettext

bp = Blueprint("archive", __name__, url_prefix="/arsip")

ID = f"int(min=1, max={MAX_ID})"  # the URL converter of every object id: /naskah/<{ID}:x>


class BadArgument(Exception):
    """A query-string value that cannot be read; answered 400 with ``message`` translated."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def int_arg(
    name: str,
    default: int | None = None,
    maximum: int = MAX_ID,
    message: str = N_("Not a valid number."),
) -> int | None:
    """The query argument ``name`` as a whole number from 1 to ``maximum``; ``default`` when
    it is absent or empty; :class:`BadArgument` (400) for anything else (``1e20``, ``²``,
    ``-1``, a number too large for the database)."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    value = whole_number(raw, maximum)
    if value is None:
        raise BadArgument(message)
    return value


@bp.errorhandler(BadArgument)
def bad_argument(error: BadArgument) -> Any:
    back = url_for(request.endpoint, **(request.view_args or {})) if request.endpoint else None
    message = gettext(error.message, **error.params)
    return render_template("archive/bad_request.html", message=message, back=back), 400


LIST_COLUMNS = (
    Record.id,
    Record.agenda_number,
    Record.nomor,
    Record.tanggal,
    Record.perihal,
    Record.asal,
    Record.tujuan,
    Record.kind,
    Record.status,
    Record.keamanan,
    Record.legal_hold,
    Klasifikasi.code,
)


def record_rows() -> Select:
    """What a list of records shows of each, with its classification code, to be read as
    plain rows (``plain_rows``): no ORM objects to build, nor to refresh when something
    commits while the page renders."""
    return select(*LIST_COLUMNS).outerjoin(Klasifikasi, Record.klasifikasi_id == Klasifikasi.id)


def visible_record(record_id: int) -> Record:
    """The record if the current user may see it; otherwise 404, as if it did not exist."""
    if not 1 <= record_id <= MAX_ID:
        abort(404)
    record = db.session.scalar(
        select(Record).where(Record.id == record_id, access.visible(current_user, one_record=True))
    )
    if record is None:
        abort(404)
    return record


def translated(labels: dict[str, Any]) -> dict[str, str]:
    """Lazy labels translated once for a page, not once for each row that shows one."""
    return {key: str(label) for key, label in labels.items()}


def field_errors(form: Any, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, gettext(message)]

        else:
            form.form_errors.append(gettext(message))


from sikd_archive.views import (  # noqa: E402, F401
    berkas,
    inbox,
    instructions,
    klasifikasi,
    lifecycle,
    records,
    search,
)
