"""The classification scheme with its JRA: import, the default scheme, and refreshing the
retention dates of the records whose schedule changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    exists,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from sikd_archive.models import KEAMANAN, Berkas, Change, Klasifikasi, Record
from sikd_archive.rules.retention import Schedule, retention, schedule_for
from sikd_host.plugin_api import N_, Problem, TableError, db, read_table

COLUMNS = ("kode", "nama", "retensi_aktif", "retensi_inaktif", "nasib_akhir")
OPTIONAL = ("keterangan", "keamanan")
DEFAULT_SCHEME = Path(__file__).parent / "data" / "klasifikasi_default.csv"
FINAL_ALIASES = {
    "musnah": "musnah",
    "permanen": "permanen",
    "dinilai kembali": "dinilai_kembali",
    "dinilai_kembali": "dinilai_kembali",
}


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def _years(row: dict, column: str, problems: list[Problem]) -> int | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        return None
    # ASCII digits only ("²" passes isdigit() and fails int()), and few: int() refuses 4,301
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or int(raw) > 100:
        problems.append(Problem(row["_row"], column, N_("Write a whole number of years (0-100).")))
        return None
    return int(raw)


@dataclass(frozen=True)
class CodeRow:
    code: str
    name: str
    active_years: int | None
    inactive_years: int | None
    final: str | None
    condition: str
    security: str | None


def validate(rows: Iterable[dict], existing: set[str]) -> tuple[list[CodeRow], list[Problem]]:
    problems: list[Problem] = []
    parsed: list[CodeRow] = []
    seen: dict[str, int] = {}
    rows = list(rows)
    for row in rows:
        number = row["_row"]
        code = (row.get("kode") or "").strip()
        name = (row.get("nama") or "").strip()
        if not code:
            problems.append(Problem(number, "kode", N_("This column is required.")))
        elif code in seen:
            problems.append(
                Problem(
                    number,
                    "kode",
                    N_("Duplicate code %(code)s (also on row %(other)s)."),
                    {"code": code, "other": seen[code]},
                )
            )
        seen.setdefault(code, number)
        if not name:
            problems.append(Problem(number, "nama", N_("This column is required.")))
        active = _years(row, "retensi_aktif", problems)
        inactive = _years(row, "retensi_inaktif", problems)
        if (active is None) != (inactive is None):
            problems.append(
                Problem(number, "retensi_inaktif", N_("Give both retention periods, or neither."))
            )
        final_raw = (row.get("nasib_akhir") or "").strip().lower()
        final = FINAL_ALIASES.get(final_raw)
        if final_raw and final is None:
            problems.append(
                Problem(
                    number,
                    "nasib_akhir",
                    N_("Must be one of: %(values)s."),
                    {"values": "musnah, permanen, dinilai kembali"},
                )
            )
        if active is not None and final is None and not final_raw:
            problems.append(
                Problem(
                    number, "nasib_akhir", N_("A code with retention needs its final disposition.")
                )
            )
        security = (row.get("keamanan") or "").strip().upper() or None
        if security and security not in KEAMANAN:
            problems.append(
                Problem(
                    number,
                    "keamanan",
                    N_("Must be one of: %(values)s."),
                    {"values": ", ".join(KEAMANAN)},
                )
            )
        parsed.append(
            CodeRow(
                code, name, active, inactive, final, (row.get("keterangan") or "").strip(), security
            )
        )
    known = existing | set(seen)
    for row, item in zip(rows, parsed, strict=True):
        parent = parent_code(item.code) if item.code else None
        if parent and parent not in known:
            problems.append(
                Problem(row["_row"], "kode", N_("Unknown parent code %(code)s."), {"code": parent})
            )
    return parsed, problems


def import_scheme(source: object, filename: str = "") -> tuple[int, int]:
    """Validate then upsert the file in the current transaction: (created, updated)."""
    table = read_table(source, COLUMNS, filename=filename, optional=OPTIONAL)
    codes = {k.code: k for k in db.session.scalars(select(Klasifikasi))}
    parsed, problems = validate(table.rows, set(codes))
    if problems:
        raise TableError(problems)
    created = updated = 0
    changed_codes: set[str] = set()
    for item in sorted(parsed, key=lambda i: i.code.count(".")):
        target = codes.get(item.code)
        if target is None:
            target = Klasifikasi(code=item.code)
            db.session.add(target)
            codes[item.code] = target
            created += 1
        values = {
            "name": item.name,
            "active_years": item.active_years,
            "inactive_years": item.inactive_years,
            "final": item.final,
            "condition": item.condition,
            "security": item.security,
        }
        retention_before = (target.active_years, target.inactive_years, target.final)
        changed = any(getattr(target, key) != value for key, value in values.items())
        for key, value in values.items():
            setattr(target, key, value)
        parent = parent_code(item.code)
        target.parent = codes[parent] if parent else None
        if changed and target.id is not None:
            updated += 1
        if retention_before != (item.active_years, item.inactive_years, item.final):
            changed_codes.add(item.code)
    db.session.flush()
    if changed_codes:
        refresh_retention()
    return created, updated


def load_default_scheme() -> tuple[int, int]:
    return import_scheme(DEFAULT_SCHEME)


def schedules() -> tuple[dict[int, Schedule | None], dict[int, int | None]]:
    """Each code's own schedule and its parent, by id (the scheme is small)."""
    own: dict[int, Schedule | None] = {}
    parents: dict[int, int | None] = {}
    for k in db.session.scalars(select(Klasifikasi)):
        own[k.id] = (
            Schedule(k.active_years, k.inactive_years, k.final)
            if k.has_retention and k.final
            else None
        )
        parents[k.id] = k.parent_id
    return own, parents


def default_security(klasifikasi_id: int | None) -> str | None:
    """The security class a code gives its new records: its own, else its nearest
    ancestor's; None when no code up the tree has one."""
    seen: set[int] = set()
    current = klasifikasi_id
    while current is not None and current not in seen:
        seen.add(current)
        row = db.session.execute(
            select(Klasifikasi.security, Klasifikasi.parent_id).where(Klasifikasi.id == current)
        ).first()
        if row is None:
            return None
        if row.security:
            return row.security
        current = row.parent_id
    return None


def reassessed() -> ColumnElement[bool]:
    """The record's final disposition was decided again by an arsiparis (dinilai kembali):
    its dates no longer follow the JRA, so recomputing must leave them alone."""
    return exists().where(
        Change.record_id == Record.id, Change.field.in_(("final", "final_due_on"))
    )


def apply_retention(record: Record, own: dict | None = None, parents: dict | None = None) -> None:
    """Recompute one record's due dates from its code and its berkas."""
    if record.id is not None and db.session.scalar(
        select(reassessed()).where(Record.id == record.id)
    ):
        return
    if own is None or parents is None:
        own, parents = schedules()
    schedule = schedule_for(record.klasifikasi_id, own, parents) if record.klasifikasi_id else None
    berkas = db.session.get(Berkas, record.berkas_id) if record.berkas_id else None
    result = retention(
        schedule, record.tanggal, berkas is not None, berkas.closed_on if berkas else None
    )
    record.active_until, record.final_due_on, record.final = (
        result.active_until,
        result.final_due_on,
        result.final,
    )


class add_years(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """``day`` plus a whole number of ``years`` in SQL, with the rule of
    :func:`sikd_archive.rules.retention.add_years`: 29 February falls back to 28 February."""

    type = Date()
    name = "add_years"
    inherit_cache = True


@compiles(add_years)
def _add_years_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    day, years = (compiler.process(clause, **kw) for clause in element.clauses)
    # PostgreSQL's own interval arithmetic already ends 29 February + 1 year on 28 February
    return f"CAST({day} + make_interval(years => {years}) AS DATE)"


@compiles(add_years, "sqlite")
def _add_years_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    day, years = (compiler.process(clause, **kw) for clause in element.clauses)
    shift = f"'+' || {years} || ' years'"
    # SQLite rolls 29 February + 1 year over to 1 March; step back a day first instead
    return (
        f"CASE WHEN strftime('%m-%d', {day}) = '02-29' "
        f"AND strftime('%m-%d', date({day}, {shift})) != '02-29' "
        f"THEN date({day}, '-1 day', {shift}) ELSE date({day}, {shift}) END"
    )


def effective_schedules() -> dict[Schedule, list[int]]:
    """The codes of each distinct schedule, a code without one of its own taking its
    nearest ancestor's (computed in Python: the scheme is small, records are not)."""
    own, parents = schedules()
    grouped: dict[Schedule, list[int]] = {}
    for code_id in own:
        schedule = schedule_for(code_id, own, parents)
        if schedule is not None:
            grouped.setdefault(schedule, []).append(code_id)
    return grouped


def refresh_retention(where: ColumnElement[bool] | None = None) -> int:
    """Recompute the due dates of the live records (optionally filtered by ``where``) that
    were not re-assessed, in set-based UPDATEs: one per distinct schedule of the JRA and
    one for the records without any, never a row at a time, so it scales to millions of
    records. The dates follow :func:`sikd_archive.rules.retention.retention`: from the
    closing date of the record's berkas (none while it is open), or from its own date.
    Returns the number of records recomputed."""
    db.session.flush()  # the UPDATEs read berkas and codes from the database
    live = and_(
        Record.status.in_(("aktif", "inaktif")),
        ~reassessed(),
        true() if where is None else where,
    )
    grouped = effective_schedules()
    scheduled = [code_id for codes in grouped.values() for code_id in codes]
    count = _update(
        and_(live, or_(Record.klasifikasi_id.is_(None), Record.klasifikasi_id.not_in(scheduled))),
        {"active_until": None, "final_due_on": None, "final": None},
    )
    closed_on = select(Berkas.closed_on).where(Berkas.id == Record.berkas_id).scalar_subquery()
    start = case((Record.berkas_id.is_(None), Record.tanggal), else_=closed_on)
    for schedule, codes in grouped.items():
        active_until = add_years(start, literal_column(str(int(schedule.active_years))))
        final_due = add_years(active_until, literal_column(str(int(schedule.inactive_years))))
        count += _update(
            and_(live, Record.klasifikasi_id.in_(codes)),
            {"active_until": active_until, "final_due_on": final_due, "final": schedule.final},
        )
    for item in list(db.session.identity_map.values()):  # loaded records see the new dates
        if isinstance(item, Record):
            db.session.expire(item, ["active_until", "final_due_on", "final"])
    return count


def _update(where: ColumnElement[bool], values: dict[str, Any]) -> int:
    result = db.session.execute(
        update(Record).where(where).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
