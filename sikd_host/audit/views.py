"""The admin audit page: filter by user, action, object and date range; export CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db
from sikd_host.permissions import permission_required
from sikd_host.query import page_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PAGE_SIZE = 100
CSV_COLUMNS = (
    "id",
    "created_at",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "details",
    "ip",
    "hash",
)


def _date(name: str, label: str, errors: list[str]) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(_("%(field)s: write the date as YYYY-MM-DD.", field=label))
        return None


def filtered(errors: list[str]) -> Select:
    statement = select(AuditEvent)
    user = request.args.get("user", "").strip().lower()
    action = request.args.get("action", "").strip()
    object_type = request.args.get("object_type", "").strip()
    object_id = request.args.get("object_id", "").strip()
    if user:
        statement = statement.where(func.lower(AuditEvent.actor_name) == user)
    if action:
        statement = statement.where(AuditEvent.action.startswith(action, autoescape=True))
    if object_type:
        statement = statement.where(AuditEvent.object_type == object_type)
    if object_id:
        statement = statement.where(AuditEvent.object_id == object_id)
    start, end = _date("from", _("From"), errors), _date("to", _("To"), errors)
    if start:
        statement = statement.where(AuditEvent.created_at >= dt.datetime.combine(start, dt.time()))
    if end:
        statement = statement.where(
            AuditEvent.created_at < dt.datetime.combine(end, dt.time()) + dt.timedelta(days=1)
        )
    return statement


@bp.route("/")
@permission_required("admin.audit")
def events() -> Any:
    errors: list[str] = []
    statement = filtered(errors)
    page = page_arg()
    rows = (
        []
        if errors
        else db.session.scalars(
            statement.order_by(AuditEvent.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
    )
    return render_template(
        "audit/events.html",
        events=rows[:PAGE_SIZE],
        errors=errors,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        args=request.args,
    ), 422 if errors else 200


@bp.route("/export.csv")
@permission_required("admin.audit")
def export_csv() -> Any:
    errors: list[str] = []
    statement = filtered(errors)
    if errors:
        return render_template(
            "audit/events.html", events=[], errors=errors, page=1, has_next=False, args=request.args
        ), 422
    table = AuditEvent.__table__
    core = statement.with_only_columns(*[table.c[name] for name in CSV_COLUMNS]).order_by(
        table.c.id
    )

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for row in db.session.execute(core.execution_options(yield_per=1000)):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
