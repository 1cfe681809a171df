"""CSV and XLSX exports of the talent pool and the succession plans (one file format for
every table: formula-safe CSV cells, text cells kept as text in XLSX)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Response

from sikd_simantap.pool import Member
from sikd_simantap.results import csv_cell
from sikd_simantap.succession import Plan

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
POOL_COLUMNS = (
    "nip", "nama", "unit", "jabatan", "eselon", "golongan", "kotak", "skor_kinerja",
    "skor_potensial", "masuk_periode", "riwayat",
)  # fmt: skip
SUCCESSION_COLUMNS = (
    "kode_jabatan", "jabatan", "eselon", "periode", "status", "peringkat", "nip", "nama",
    "unit", "jabatan_sekarang", "kotak", "skor_kinerja", "skor_potensial", "jpm",
    "skor_peringkat", "kesiapan", "aturan_tidak_terpenuhi", "alasan_perubahan",
)  # fmt: skip
READINESS_WORDS = {
    "siap_sekarang": "Siap sekarang",
    "siap_1_2_tahun": "Siap 1-2 tahun",
    "potensial_masa_depan": "Potensial masa depan",
}


def pool_rows(members: Iterable[Member]) -> Iterator[list[Any]]:
    for m in members:
        current = m.stints[-1].joined if m.stints else ""
        history = "; ".join(f"{s.joined}-{s.left or ''}" for s in m.stints)
        yield [
            m.nip or "", m.name, m.unit or "", m.position or "", m.eselon or "",
            m.golongan or "", m.box, m.kinerja, m.potensial, current, history,
        ]  # fmt: skip


def succession_rows(plans: Sequence[Plan]) -> Iterator[list[Any]]:
    """Every candidate (ranked), every removed one and every failing pool member."""
    for plan in plans:
        head = [plan.critical.code, plan.critical.name, plan.critical.eselon or "",
                plan.basis.period_code]  # fmt: skip
        groups = (
            ("kandidat", plan.candidates, True),
            ("dikeluarkan", plan.removed, False),
            ("tidak_memenuhi", plan.failing, False),
        )
        for status, lines, ranked in groups:
            for rank, line in enumerate(lines, start=1):
                person, assessment = line.person, line.assessment
                override = line.override.reason if line.override else ""
                yield [
                    *head, status, rank if ranked else None, person.nip, line.name,
                    line.unit or "", line.position or "", person.box, person.kinerja,
                    person.potensial, person.jpm, assessment.score,
                    READINESS_WORDS.get(assessment.readiness or "", ""),
                    ", ".join(assessment.failed), override,
                ]  # fmt: skip


def csv_bytes(rows: Iterable[list[Any]], columns: Sequence[str]) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[list[Any]], columns: Sequence[str], sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(list(columns))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(rows: Iterable[list[Any]], columns: Sequence[str], fmt: str, name: str) -> bytes:
    if fmt == "xlsx":
        return xlsx_bytes(rows, columns, name.split("-")[0])
    return csv_bytes(rows, columns)


def response(rows: Iterable[list[Any]], columns: Sequence[str], fmt: str, name: str) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return Response(
        render(rows, columns, fmt, name),
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
