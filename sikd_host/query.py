"""Reading numbers from query strings and URLs without ever answering 500.

A value the database cannot hold must never reach a query: PostgreSQL's ``integer`` stops at
2^31-1 and SQLite refuses integers beyond 2^63-1, and either would be a 500.
"""

from __future__ import annotations

import builtins
from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter as WerkzeugIntegerConverter
from werkzeug.routing import Map

from sikd_host.errors import BadInput
from sikd_host.i18n import N_

DB_INT_MAX = 2**31 - 1  # the largest value of an integer column on every supported database
MAX_PAGE = 100_000  # with 100 rows a page, an offset of ten million rows at most


class IntegerConverter(WerkzeugIntegerConverter):
    """Flask's ``int`` converter, capped at :data:`DB_INT_MAX`: a larger value does not match
    the rule, so the URL answers 404 before any query. ``<int(max=N):x>`` may lower the cap,
    never raise it. Installed as ``int`` for the whole app, plugins' blueprints included
    (it keeps werkzeug's class name, so code that looks for it by name still finds it)."""

    def __init__(
        self,
        map: Map,  # noqa: A002 - werkzeug's own name
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        bound = DB_INT_MAX if max is None else builtins.min(max, DB_INT_MAX)
        super().__init__(map, fixed_digits, min, bound, signed)


def whole_number(raw: str, maximum: int) -> int | None:
    """``raw`` as a whole number from 1 to ``maximum`` (ASCII digits only), else None."""
    raw = raw.strip()
    if not raw or len(raw) > len(str(maximum)) or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= maximum else None


def page_arg(name: str = "page", maximum: int = MAX_PAGE) -> int:
    """The page number in the query string: 1 when absent or empty; 400 (:class:`BadInput`)
    for anything but a whole number from 1 to ``maximum``."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return 1
    value = whole_number(raw, maximum)
    if value is None:
        raise BadInput(N_("The page number must be a whole number from 1 to %(max)s."), max=maximum)
    return value


def contains_nul(value: Any) -> bool:
    """Whether a string, or any string inside a JSON value, holds a NUL character (which
    PostgreSQL refuses in text, so it would end as a 500). Walked with a stack, not by
    recursion: a JSON value nested as deep as the parser allows must not overflow it."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def refuse_nul_characters() -> None:
    """Refuse (400) a request with a NUL in its path, a query argument, a form field, an
    uploaded file's name or a JSON string: no field of the portal may hold one."""
    values: list[Any] = [request.path, *request.args.lists()]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += [*request.form.lists(), *(f.filename or "" for f in request.files.values())]
        elif request.is_json:
            values.append(request.get_json(silent=True))
    if contains_nul(values):
        raise BadInput(N_("The request contains a NUL character, which no field may hold."))
