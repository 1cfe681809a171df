"""The "Cari kandidat" page: compare up to five candidates for a position side by side,
and print the comparison as a one-page decision sheet for the committee
(``simantap.succession``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import select

from sikd_host.plugin_api import (
    Position,
    Unit,
    User,
    current_user,
    db,
    gettext,
    permission_required,
)
from sikd_simantap import placement, succession
from sikd_simantap.scoring import succession as rules
from sikd_simantap.scoring.mapping import BAND_LABELS
from sikd_simantap.views import bp
from sikd_simantap.views.succession import MAX_ID, nip_digits


class BadInput(Exception):
    pass


def _ids(name: str) -> list[int]:
    found = []
    for raw in request.args.getlist(name):
        raw = raw.strip()
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
            raise BadInput(gettext("%(field)s must be a whole number.", field=name))
        found.append(int(raw))
    return found


def _chosen() -> tuple[Position | None, list[int], list[str]]:
    """The position, the candidates' ids (at most five) and notes for the user."""
    notes = []
    positions = _ids("position")
    position = db.session.get(Position, positions[0]) if positions else None
    if positions and position is None:
        abort(404)
    users = _ids("u")
    nip = nip_digits(request.args.get("nip", ""))
    if request.args.get("nip", "").strip():
        found = db.session.scalar(select(User.id).where(User.nip == nip)) if nip else None
        if found is None:
            notes.append(gettext("No employee has this NIP."))
        else:
            users.append(found)
    if position is not None and not users:
        users = placement.suggestions(position)
    users = list(dict.fromkeys(users))
    if len(users) > placement.MAX_CANDIDATES:
        notes.append(gettext("At most %(n)s candidates are compared; the first ones are shown.",
                             n=placement.MAX_CANDIDATES))  # fmt: skip
        users = users[: placement.MAX_CANDIDATES]
    return position, users, notes


def _context() -> dict[str, Any] | None:
    try:
        position, users, notes = _chosen()
    except BadInput as error:
        return {"error": str(error)}
    comparison = placement.compare(position, users, current_user) if position else None
    return {
        "position": position,
        "comparison": comparison,
        "notes": notes,
        "chosen": users,
        "readiness_labels": rules.READINESS_LABELS,
        "rule_labels": rules.RULE_LABELS,
        "band_labels": BAND_LABELS,
        "competencies": succession.COMPETENCIES,
        "basis": succession.latest_basis(),
        "today": dt.date.today(),
    }


def _positions() -> list[tuple]:
    return db.session.execute(
        select(Position.id, Position.code, Position.name, Position.eselon, Unit.code,
               Position.critical)
        .outerjoin(Unit, Unit.id == Position.unit_id)
        .where(Position.kind == "struktural")
        .order_by(Position.eselon, Position.code)
    ).all()  # fmt: skip


@bp.route("/kandidat")
@permission_required("simantap.succession")
def candidates() -> Any:
    context = _context()
    if "error" in context:
        return render_template("simantap/error.html", message=context["error"]), 400
    return render_template("simantap/candidates.html", positions=_positions(), **context)


@bp.route("/kandidat/lembar")
@permission_required("simantap.succession")
def decision_sheet() -> Any:
    context = _context()
    if "error" in context:
        return render_template("simantap/error.html", message=context["error"]), 400
    if context["position"] is None or context["comparison"] is None:
        abort(404)
    return render_template("simantap/decision_sheet.html", **context)
