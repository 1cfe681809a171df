"""Full-text search page: one search box plus the register's filters.

With words, the index's candidates are ranked and highlighted; without words but with
filters, the filtered records are listed newest first. Either way the access filter is
part of the SQL, so a record the user may not see is neither shown nor counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import render_template, request
from sqlalchemy import ColumnElement, select

from sikd_archive import access, search
from sikd_archive.forms import KIND_LABELS, SIFAT_LABELS
from sikd_archive.models import STATUS, Klasifikasi, Record
from sikd_archive.rules.params import MAX_PAGE, whole_number
from sikd_archive.rules.register import KINDS, SIFAT
from sikd_archive.views import bp, record_rows, translated, unit_choices
from sikd_host.plugin_api import (
    N_,
    Unit,
    current_user,
    db,
    gettext,
    permission_required,
    plain_rows,
)

PAGE_SIZE = 20
FILTERS = ("kind", "from", "to", "code", "unit", "sifat", "status")


@dataclass
class Criteria:
    """The request's query text and filters, read and checked."""

    text: str = ""
    words: tuple[str, ...] = ()
    args: dict[str, str] = field(default_factory=dict)  # as typed, for the form and pager
    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # English msgids, shown translated

    @property
    def filtered(self) -> bool:
        return bool(self.conditions)


def read_criteria(values: Mapping[str, str]) -> Criteria:
    """Parse the query string; unknown values become errors, never exceptions."""
    args = {key: (values.get(key) or "").strip() for key in ("q", *FILTERS)}
    criteria = Criteria(text=args["q"], args=args)
    if len(criteria.text) > search.MAX_QUERY_CHARS:
        criteria.errors.append(N_("The search text is too long."))
    else:
        criteria.words = search.query_words(criteria.text)
    _choice(criteria, "kind", KINDS, Record.kind, N_("Unknown kind of record."))
    _choice(criteria, "sifat", SIFAT, Record.sifat, N_("Unknown urgency."))
    _choice(criteria, "status", STATUS, Record.status, N_("Unknown status."))
    _dates(criteria)
    _code(criteria)
    _unit(criteria)
    return criteria


def _choice(
    criteria: Criteria, key: str, allowed: tuple[str, ...], column: Any, message: str
) -> None:
    value = criteria.args[key]
    if not value:
        return
    if value in allowed:
        criteria.conditions.append(column == value)
    else:
        criteria.errors.append(message)


def _date(criteria: Criteria, key: str) -> dt.date | None:
    value = criteria.args[key]
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        criteria.errors.append(N_("Not a valid date; use YYYY-MM-DD."))
        return None


def _dates(criteria: Criteria) -> None:
    start, end = _date(criteria, "from"), _date(criteria, "to")
    if start is not None:
        criteria.conditions.append(Record.tanggal >= start)
    if end is not None:
        criteria.conditions.append(Record.tanggal <= end)
    if start and end and start > end:
        criteria.errors.append(N_("The start date is after the end date."))


def _code(criteria: Criteria) -> None:
    code = criteria.args["code"]
    if not code:
        return
    codes = select(Klasifikasi.id).where(Klasifikasi.code.startswith(code, autoescape=True))
    if len(code) > 40 or db.session.scalar(codes.limit(1)) is None:
        criteria.errors.append(N_("No classification code starts with this."))
    else:
        criteria.conditions.append(Record.klasifikasi_id.in_(codes))


def _unit(criteria: Criteria) -> None:
    value = criteria.args["unit"]
    if not value:
        return
    unit_id = whole_number(value)
    if unit_id is not None and db.session.get(Unit, unit_id) is not None:
        criteria.conditions.append(Record.unit_id == unit_id)
    else:
        criteria.errors.append(N_("Unknown unit."))


def _page() -> int | None:
    return whole_number(request.args.get("page", "1"), MAX_PAGE)


def _load(record_ids: list[int], visible: ColumnElement[bool]) -> list[Any]:
    """The records of one page in the given order (the access filter applied again, in its
    form for a few records read by id)."""
    rows = plain_rows(db.session.execute(record_rows().where(Record.id.in_(record_ids), visible)))
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in record_ids if i in by_id]


def _found(criteria: Criteria, page: int, visible: ColumnElement[bool]) -> dict[str, Any]:
    """Ranked, highlighted results among the index's candidates."""
    ranked = db.session.execute(
        search.ranked_ids(
            criteria.words,
            [visible, *criteria.conditions],
            scope=access.search_scope(current_user),
        )
    ).all()
    start = (page - 1) * PAGE_SIZE
    ids = [row[0] for row in ranked[start : start + PAGE_SIZE]]
    return {
        "records": _load(ids, access.visible(current_user, one_record=True)),
        "marks": search.highlights(criteria.words, ids),
        "total": len(ranked),
        "has_next": len(ranked) > start + PAGE_SIZE,
    }


def _listed(criteria: Criteria, page: int, visible: ColumnElement[bool]) -> dict[str, Any]:
    """Filtered records by date, newest first, without words."""
    rows = plain_rows(
        db.session.execute(
            record_rows()
            .where(visible, *criteria.conditions)
            .order_by(Record.tanggal.desc(), Record.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    has_next = len(rows) > PAGE_SIZE
    return {"records": rows[:PAGE_SIZE], "marks": {}, "total": None, "has_next": has_next}


def _render(criteria: Criteria, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("records", None)
    return render_template(
        "archive/search.html",
        criteria=criteria,
        args={k: v for k, v in criteria.args.items() if v},
        form=criteria.args,
        errors=[gettext(message) for message in criteria.errors],
        units=unit_choices(),
        kinds=translated(KIND_LABELS),
        sifat=translated(SIFAT_LABELS),
        statuses=STATUS,
        candidates=search.CANDIDATES,
        **context,
    ), status


@bp.route("/cari", endpoint="search")
@permission_required("archive.use")
def search_page() -> Any:
    criteria = read_criteria(request.args)
    page = _page()
    if page is None:
        criteria.errors.append(N_("Not a valid page number."))
    if criteria.errors:
        return _render(criteria, 400)
    if not criteria.words and not criteria.filtered:
        return _render(criteria, no_words=bool(criteria.text))
    visible = access.visible(current_user)
    finder = _found if criteria.words else _listed
    results = finder(criteria, page, visible)
    if page > 1 and not results["records"]:
        criteria.errors.append(N_("There is no such page of results."))
        return _render(criteria, 404)
    no_words = bool(criteria.text and not criteria.words)
    return _render(criteria, page=page, no_words=no_words, **results)
