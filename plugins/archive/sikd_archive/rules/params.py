"""Numbers typed into URLs and query strings, read as pure functions.

Only ASCII digits count: ``"²".isdigit()`` is True yet ``int("²")`` fails, and ``"٣"`` would
be read as 3. A value outside 1..maximum is no value at all: PostgreSQL's ``integer`` (every
id column) ends at 2**31 - 1, and a larger number sent to the database is an error, not an
empty result.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # the largest value of an id column (PostgreSQL integer)
MAX_PAGE = 10_000  # pages of a list beyond this are refused, not computed


def whole_number(text: str | None, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` writes in ASCII digits, if it lies in 1..``maximum``; else None.

    ``"12"`` is 12; ``""``, ``"0"``, ``"-1"``, ``"1e20"``, ``"²"``, ``"٣"``, ``" 1 2"`` and any
    number above ``maximum`` are None. Leading and trailing spaces are ignored.
    """
    value = (text or "").strip()
    if not value or not value.isascii() or not value.isdigit():
        return None
    if len(value.lstrip("0")) > len(str(maximum)):  # never build a huge int
        return None
    number = int(value)
    return number if 1 <= number <= maximum else None
