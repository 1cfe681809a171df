"""The standard lists of penyusutan as CSV and XLSX: daftar arsip aktif, daftar arsip
inaktif, and the daftar usul musnah of one proposal.

Rows are selected in SQL with ``access.visible(user)`` (a list never shows what its reader
may not see) and streamed from the database; the cells come from ``rules.lifecycle.list_row``.
CSV text is neutralised against formula injection; XLSX text cells are written as text, so
a value like ``=HYPERLINK(...)`` is shown, never evaluated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select

from sikd_archive import access
from sikd_archive.models import Attachment, Klasifikasi, ProposalItem, Record
from sikd_archive.rules.lifecycle import LIST_COLUMNS, csv_safe, list_row
from sikd_host.plugin_api import Unit

LISTS = {
    "aktif": "Daftar Arsip Aktif",
    "inaktif": "Daftar Arsip Inaktif",
}
PROPOSAL_LIST = "Daftar Arsip Usul Musnah"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 2000


def _columns() -> Select:
    files = (
        select(func.count(Attachment.id))
        .where(Attachment.record_id == Record.id, Attachment.sha256.is_not(None))
        .scalar_subquery()
    )
    return (
        select(
            Record.id,
            Record.agenda_number,
            Record.nomor,
            Record.perihal,
            Record.tanggal,
            Record.tingkat,
            Record.media,
            Record.status,
            Record.active_until,
            Record.final_due_on,
            Record.final,
            Record.legal_hold,
            Klasifikasi.code,
            Unit.name.label("unit"),
            files.label("files"),
        )
        .join(Klasifikasi, Record.klasifikasi_id == Klasifikasi.id, isouter=True)
        .join(Unit, Record.unit_id == Unit.id)
    )


def list_statement(user: Any, kind: str, unit_id: int | None = None) -> Select:
    """The records of the daftar arsip ``kind`` (aktif or inaktif) the user may see."""
    if kind not in LISTS:
        raise ValueError(kind)
    statement = _columns().where(access.visible(user), Record.status == kind)
    if unit_id is not None:
        statement = statement.where(Record.unit_id == unit_id)
    return statement.order_by(Klasifikasi.code, Record.tanggal, Record.id)


def proposal_statement(user: Any, proposal_id: int) -> Select:
    """The items of one proposal the user may see, in the order they were proposed."""
    return (
        _columns()
        .join(ProposalItem, ProposalItem.record_id == Record.id)
        .where(ProposalItem.proposal_id == proposal_id, access.visible(user))
        .order_by(ProposalItem.id)
    )


def rows(session: Any, statement: Select) -> Iterator[list[Any]]:
    """The list's cells, numbered from 1, streamed in batches."""
    result = session.execute(statement.execution_options(yield_per=BATCH)).mappings()
    for number, record in enumerate(result, start=1):
        yield list_row(number, record)


def to_csv(cells: Iterable[Sequence[Any]], columns: Sequence[str] = LIST_COLUMNS) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read it as UTF-8); every text
    cell made safe against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(c) for c in columns])
    for row in cells:
        writer.writerow([csv_safe(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    cells: Iterable[Sequence[Any]],
    title: str,
    subtitle: str = "",
    columns: Sequence[str] = LIST_COLUMNS,
) -> bytes:
    """A one-sheet workbook: the title (and subtitle) rows, the header, then one row per
    record. Written in openpyxl's streaming mode, so a long list stays small in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)

    def cell(value: Any, font: Font | None = None) -> WriteOnlyCell:
        item = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            item.data_type = "s"  # text, even when it starts with "=": never a formula
        elif isinstance(value, dt.date):
            item.number_format = "yyyy-mm-dd"
        if font is not None:
            item.font = font
        return item

    sheet.append([cell(title, bold)])
    if subtitle:
        sheet.append([cell(subtitle)])
    sheet.append([cell(name, bold) for name in columns])
    for row in cells:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
