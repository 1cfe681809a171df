"""Full-text search page: one search box plus the register's filters.

With words, the index's candidates are ranked and highlighted; without words but with
filters, the filtered records are listed newest first. Either way the access filter is
part of the SQL, so a record the user may not see is neither shown nor counted.

The statements are built once for each shape of search (the viewer's kind of access, the
filters given, the engine) and kept, with the viewer, the words and the filters as
parameters: building and keying them anew cost about a millisecond a request.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import ColumnElement, Select, bindparam, select

from sikd_archive import access, search
from sikd_archive.forms import KIND_LABELS, SIFAT_LABELS
from sikd_archive.models import STATUS, Klasifikasi, Record
from sikd_archive.rules.params import MAX_PAGE, whole_number
from sikd_archive.rules.register import KINDS, SIFAT
from sikd_archive.views import bp, record_rows, translated
from sikd_host.plugin_api import (
    N_,
    Unit,
    current_user,
    db,
    gettext,
    org,
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
    filters: dict[str, Any] = field(default_factory=dict)  # checked values, by filter name
    errors: list[str] = field(default_factory=list)  # English msgids, shown translated

    @property
    def filtered(self) -> bool:
        return bool(self.filters)

    @property
    def filter_names(self) -> tuple[str, ...]:
        """The filters given, in a fixed order: with the viewer, the shape of the search."""
        return tuple(name for name in FILTERS if name in self.filters)

    @property
    def params(self) -> dict[str, Any]:
        """The filters' values for :func:`filter_conditions`' parameters."""
        values = {f"f_{name}": value for name, value in self.filters.items()}
        if "code" in self.filters:
            values["f_code"] = _prefix_pattern(self.filters["code"])
        return values


def _prefix_pattern(prefix: str) -> str:
    """A LIKE pattern (escape character ``/``) for the values that start with ``prefix``."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


EQUAL_FILTERS = {
    "kind": Record.kind,
    "sifat": Record.sifat,
    "status": Record.status,
    "unit": Record.unit_id,
}


def _filter_condition(name: str) -> ColumnElement[bool]:
    """The condition of one filter, its value a parameter named ``f_<name>``."""
    value = bindparam(f"f_{name}")
    if name == "from":
        return Record.tanggal >= value
    if name == "to":
        return Record.tanggal <= value
    if name == "code":
        codes = select(Klasifikasi.id).where(Klasifikasi.code.like(value, escape="/"))
        return Record.klasifikasi_id.in_(codes)
    return EQUAL_FILTERS[name] == value


def filter_conditions(names: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """The conditions of the named filters (:attr:`Criteria.filter_names`), their values to
    bind from :attr:`Criteria.params`."""
    return [_filter_condition(name) for name in names]


def read_criteria(values: Mapping[str, str]) -> Criteria:
    """Parse the query string; unknown values become errors, never exceptions."""
    args = {key: (values.get(key) or "").strip() for key in ("q", *FILTERS)}
    criteria = Criteria(text=args["q"], args=args)
    if len(criteria.text) > search.MAX_QUERY_CHARS:
        criteria.errors.append(N_("The search text is too long."))
    else:
        criteria.words = search.query_words(criteria.text)
    _choice(criteria, "kind", KINDS, N_("Unknown kind of record."))
    _choice(criteria, "sifat", SIFAT, N_("Unknown urgency."))
    _choice(criteria, "status", STATUS, N_("Unknown status."))
    _dates(criteria)
    _code(criteria)
    _unit(criteria)
    return criteria


def _choice(criteria: Criteria, key: str, allowed: tuple[str, ...], message: str) -> None:
    value = criteria.args[key]
    if not value:
        return
    if value in allowed:
        criteria.filters[key] = value
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
        criteria.filters["from"] = start
    if end is not None:
        criteria.filters["to"] = end
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
        criteria.filters["code"] = code


def _unit(criteria: Criteria) -> None:
    value = criteria.args["unit"]
    if not value:
        return
    unit_id = whole_number(value)
    if unit_id is not None and db.session.get(Unit, unit_id) is not None:
        criteria.filters["unit"] = unit_id
    else:
        criteria.errors.append(N_("Unknown unit."))


def _page() -> int | None:
    return whole_number(request.args.get("page", "1"), MAX_PAGE)


@functools.lru_cache(maxsize=256)
def _ranked_statement(
    dialect: str, shape: tuple[bool, bool, str], filters: tuple[str, ...], scoped: bool
) -> Select[Any]:
    conditions = [access.visible_condition(*shape), *filter_conditions(filters)]
    return search.ranked_statement(dialect, conditions, scoped)


@functools.lru_cache(maxsize=256)
def _listed_statement(shape: tuple[bool, bool, str], filters: tuple[str, ...]) -> Select[Any]:
    return (
        record_rows()
        .where(access.visible_condition(*shape), *filter_conditions(filters))
        .order_by(Record.tanggal.desc(), Record.id.desc())
        .limit(bindparam("page_limit"))
        .offset(bindparam("page_offset"))
    )


@functools.lru_cache(maxsize=16)
def _page_statement(shape: tuple[bool, bool, str]) -> Select[Any]:
    """The records of one page, by id (the access filter applied again, in its form for a
    few records read by id)."""
    ids = bindparam("ids", expanding=True)
    return record_rows().where(Record.id.in_(ids), access.visible_condition(*shape, True))


def _load(record_ids: list[int], seen: access.Viewer) -> list[Any]:
    """The records of one page in the given order."""
    result = db.session.execute(_page_statement(seen.shape), {"ids": record_ids, **seen.params})
    by_id = {row.id: row for row in plain_rows(result)}
    return [by_id[i] for i in record_ids if i in by_id]


def _found(criteria: Criteria, page: int, seen: access.Viewer) -> dict[str, Any]:
    """Ranked, highlighted results among the index's candidates."""
    scope = access.search_scope(current_user)
    dialect = db.session.get_bind().dialect.name
    statement = _ranked_statement(dialect, seen.shape, criteria.filter_names, scope is not None)
    values = search.search_values(criteria.words, scope)
    ranked = db.session.execute(statement, {**values, **seen.params, **criteria.params}).all()
    start = (page - 1) * PAGE_SIZE
    ids = [row[0] for row in ranked[start : start + PAGE_SIZE]]
    return {
        "records": _load(ids, seen),
        "marks": search.highlights(criteria.words, ids),
        "total": len(ranked),
        "has_next": len(ranked) > start + PAGE_SIZE,
    }


def _listed(criteria: Criteria, page: int, seen: access.Viewer) -> dict[str, Any]:
    """Filtered records by date, newest first, without words."""
    statement = _listed_statement(seen.shape, criteria.filter_names)
    window = {"page_limit": PAGE_SIZE + 1, "page_offset": (page - 1) * PAGE_SIZE}
    params = {**seen.params, **criteria.params, **window}
    rows = plain_rows(db.session.execute(statement, params))
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
        units=org.unit_choices(),
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
    seen = access.viewer(current_user)
    if seen is None:  # permission_required lets only a logged-in user in
        abort(404)
    finder = _found if criteria.words else _listed
    results = finder(criteria, page, seen)
    if page > 1 and not results["records"]:
        criteria.errors.append(N_("There is no such page of results."))
        return _render(criteria, 404)
    no_words = bool(criteria.text and not criteria.words)
    return _render(criteria, page=page, no_words=no_words, **results)
