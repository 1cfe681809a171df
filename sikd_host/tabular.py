"""Reading the CSV and XLSX files users keep their data in (DOMAIN.md section 9).

The header is checked before any row is read. Every cell comes back as a stripped string
(dates as ``YYYY-MM-DD``), so the validators downstream see one shape for both formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sikd_host.i18n import N_

NUL_MESSAGE = N_("This cell contains a NUL character, which no field may hold.")


@dataclass(frozen=True)
class Problem:
    """One problem in a file: the spreadsheet row number (header = 1), the column, what."""

    row: int
    column: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class TableError(Exception):
    """The file is refused; ``problems`` lists every reason, by row and column."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("; ".join(f"row {p.row} {p.column}: {p.message}" for p in problems))
        self.problems = list(problems)


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, str]]  # each row also carries "_row": its row number in the file

    def __iter__(self) -> Iterator[dict[str, str]]:
        return iter(self.rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_csv(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError([Problem(0, "", N_("The file is not UTF-8 text."))]) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        yield from reader
    except csv.Error:  # a cell over the field limit, broken quoting
        raise TableError(
            [
                Problem(
                    reader.line_num,
                    "",
                    N_(
                        "This row cannot be read: a cell is longer than %(n)s characters "
                        "or its quotes are not closed."
                    ),
                    {"n": csv.field_size_limit()},
                )
            ]
        ) from None


def _rows_from_xlsx(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise TableError(
            [Problem(0, "", N_("The file is not a readable XLSX workbook."))]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in values]
    except Exception:  # noqa: BLE001 - a workbook damaged past its first bytes
        raise TableError(
            [Problem(0, "", N_("The file is not a readable XLSX workbook."))]
        ) from None
    finally:
        workbook.close()


def read_table(
    source: str | Path | IO[bytes] | bytes,
    columns: Sequence[str],
    filename: str = "",
    optional: Sequence[str] = (),
) -> Table:
    """Read a CSV or XLSX file whose first row must name exactly ``columns`` (plus optional)."""
    if isinstance(source, (str, Path)):
        filename = filename or str(source)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    is_xlsx = filename.lower().endswith(".xlsx") or data[:2] == b"PK"
    rows = _rows_from_xlsx(data) if is_xlsx else _rows_from_csv(data)
    header = [_cell(value).lower() for value in next(rows, [])]
    while header and header[-1] == "":
        header.pop()
    if any("\x00" in name for name in header):
        raise TableError([Problem(1, "", NUL_MESSAGE)])
    check_header(header, columns, optional)
    table = Table(columns=header, rows=[])
    nul: list[Problem] = []
    for number, values in enumerate(rows, start=2):
        cells = [_cell(value) for value in values]
        if not any(cells):
            continue
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        nul += [Problem(number, name, NUL_MESSAGE) for name in header if "\x00" in row[name]]
        row["_row"] = number  # type: ignore[assignment]
        table.rows.append(row)
    if nul:  # no database can be trusted with it (PostgreSQL refuses it in text)
        raise TableError(nul)
    return table


def check_header(
    header: Sequence[str], columns: Sequence[str], optional: Sequence[str] = ()
) -> None:
    required = list(columns)
    allowed = set(required) | set(optional)
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in allowed]
    if missing or unknown or len(set(header)) != len(header):
        raise TableError(
            [
                Problem(
                    1,
                    "",
                    N_("Wrong header: expected %(expected)s; found %(found)s."),
                    {"expected": ", ".join(required), "found": ", ".join(header) or "-"},
                )
            ]
        )


def template_csv(columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(columns)
    return buffer.getvalue().encode("utf-8")


def template_xlsx(columns: Sequence[str]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(list(columns))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
