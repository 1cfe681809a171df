"""Importing units and positions (DOMAIN.md section 9: ``unit`` and ``jabatan``).

Validation is a pure function of the rows and of what the database already holds; the file
is applied only when it has no problem at all, in the caller's single transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sikd_host.extensions import db
from sikd_host.i18n import N_
from sikd_host.org.models import Position, Unit
from sikd_host.org.ranks import ESELON, JENJANG, POSITION_KINDS
from sikd_host.tabular import Problem, Table, TableError

UNIT_COLUMNS = ("kode", "nama", "kode_induk")
POSITION_COLUMNS = (
    "kode",
    "nama",
    "kode_unit",
    "eselon",
    "kode_atasan",
    "jenis",
    "jenjang",
    "kritikal",
)
YES = {
    "ya": True,
    "y": True,
    "yes": True,
    "1": True,
    "true": True,
    "tidak": False,
    "t": False,
    "no": False,
    "0": False,
    "false": False,
    "": False,
}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def find_cycle(parent_of: Mapping[str, str | None], starts: Sequence[str]) -> list[str] | None:
    """The first cycle reachable from ``starts`` following ``parent_of``, or None."""
    finished: set[str] = set()
    for start in starts:
        path: list[str] = []
        seen: set[str] = set()
        node: str | None = start
        while node is not None and node not in finished:
            if node in seen:
                return path[path.index(node) :] + [node]
            seen.add(node)
            path.append(node)
            node = parent_of.get(node)
        finished.update(path)
    return None


def _required(row: Mapping[str, Any], column: str, problems: list[Problem], limit: int) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        problems.append(Problem(row["_row"], column, N_("This column is required.")))
    elif len(value) > limit:
        problems.append(Problem(row["_row"], column, N_("At most %(n)s characters."), {"n": limit}))
    return value


def _duplicates(table: Table, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for row in table:
        code = row.get("kode", "").strip()
        if code and code in seen:
            problems.append(
                Problem(
                    row["_row"],
                    "kode",
                    N_("Duplicate code %(code)s (also on row %(other)s)."),
                    {"code": code, "other": seen[code]},
                )
            )
        seen.setdefault(code, row["_row"])


def validate_units(table: Table, existing_parent_of: Mapping[str, str | None]) -> list[Problem]:
    problems: list[Problem] = []
    for row in table:
        _required(row, "kode", problems, 40)
        _required(row, "nama", problems, 200)
    _duplicates(table, problems)
    parent_of = dict(existing_parent_of)
    parent_of.update({row["kode"]: row.get("kode_induk") or None for row in table})
    for row in table:
        parent = row.get("kode_induk") or None
        if parent and parent not in parent_of:
            problems.append(
                Problem(
                    row["_row"], "kode_induk", N_("Unknown parent unit %(code)s."), {"code": parent}
                )
            )
    if not problems:
        cycle = find_cycle(parent_of, [row["kode"] for row in table])
        if cycle:
            row_of = {row["kode"]: row["_row"] for row in table}
            problems.append(
                Problem(
                    row_of.get(cycle[0], 0),
                    "kode_induk",
                    N_("The units form a cycle: %(cycle)s."),
                    {"cycle": " > ".join(cycle)},
                )
            )
    return problems


def validate_positions(
    table: Table, unit_codes: set[str], existing_superior_of: Mapping[str, str | None]
) -> list[Problem]:
    problems: list[Problem] = []
    for row in table:
        number = row["_row"]
        _required(row, "kode", problems, 40)
        _required(row, "nama", problems, 200)
        unit = _required(row, "kode_unit", problems, 40)
        if unit and unit not in unit_codes:
            problems.append(
                Problem(number, "kode_unit", N_("Unknown unit %(code)s."), {"code": unit})
            )
        kind = (row.get("jenis") or "").strip().lower()
        if kind not in POSITION_KINDS:
            problems.append(
                Problem(
                    number,
                    "jenis",
                    N_("Must be one of: %(values)s."),
                    {"values": ", ".join(POSITION_KINDS)},
                )
            )
        eselon = (row.get("eselon") or "").strip()
        if eselon and eselon not in ESELON:
            problems.append(
                Problem(
                    number,
                    "eselon",
                    N_("Must be one of: %(values)s."),
                    {"values": ", ".join(ESELON)},
                )
            )
        if kind == "struktural" and not eselon:
            problems.append(Problem(number, "eselon", N_("A structural position needs an eselon.")))
        if kind and kind != "struktural" and eselon:
            problems.append(
                Problem(number, "eselon", N_("Only structural positions have an eselon."))
            )
        jenjang = (row.get("jenjang") or "").strip().lower()
        if jenjang and (kind != "fungsional" or jenjang not in JENJANG):
            problems.append(
                Problem(
                    number,
                    "jenjang",
                    N_("Only functional positions have a jenjang, one of: %(values)s."),
                    {"values": ", ".join(JENJANG)},
                )
            )
        if (row.get("kritikal") or "").strip().lower() not in YES:
            problems.append(Problem(number, "kritikal", N_("Write ya or tidak.")))
    _duplicates(table, problems)
    superior_of = dict(existing_superior_of)
    superior_of.update({row["kode"]: row.get("kode_atasan") or None for row in table})
    for row in table:
        superior = row.get("kode_atasan") or None
        if superior and superior not in superior_of:
            problems.append(
                Problem(
                    row["_row"],
                    "kode_atasan",
                    N_("Unknown superior position %(code)s."),
                    {"code": superior},
                )
            )
        if superior and superior == row.get("kode"):
            problems.append(
                Problem(row["_row"], "kode_atasan", N_("A position cannot report to itself."))
            )
    if not problems:
        cycle = find_cycle(superior_of, [row["kode"] for row in table])
        if cycle:
            row_of = {row["kode"]: row["_row"] for row in table}
            problems.append(
                Problem(
                    row_of.get(cycle[0], 0),
                    "kode_atasan",
                    N_("The positions form a cycle: %(cycle)s."),
                    {"cycle": " > ".join(cycle)},
                )
            )
    return problems


def _assign(obj: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def import_units(table: Table) -> ImportResult:
    """Validate, then upsert by code in the current transaction; raise TableError on problems."""
    units = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    existing = {code: (unit.parent.code if unit.parent else None) for code, unit in units.items()}
    problems = validate_units(table, existing)
    if problems:
        raise TableError(problems)
    created = updated = 0
    for row in table:
        if row["kode"] not in units:
            units[row["kode"]] = Unit(code=row["kode"], name=row["nama"])
            db.session.add(units[row["kode"]])
            created += 1
    db.session.flush()
    for row in table:
        unit = units[row["kode"]]
        parent = units[row["kode_induk"]] if row.get("kode_induk") else None
        changed = _assign(unit, {"name": row["nama"], "parent_id": parent.id if parent else None})
        if changed and row["kode"] in existing:
            updated += 1
    return ImportResult(created, updated, len(table.rows) - created - updated)


HELD_BY_SEVERAL = N_(
    "A structural position has at most one holder; %(position)s is held by %(holders)s."
)


def _held_by_several(table: Table, positions: Mapping[str, Position]) -> list[Problem]:
    """Rows that would make structural a position several active users hold (DOMAIN.md
    section 2: a structural position has at most one holder)."""
    from sikd_host.org.queries import active_holders

    made_structural = {
        row["kode"]: row["_row"]
        for row in table
        if (row.get("jenis") or "").strip().lower() == "struktural"
        and row["kode"] in positions
        and not positions[row["kode"]].is_structural  # legacy data is not refused again
    }
    holders = active_holders([positions[code].id for code in made_structural])
    return [
        Problem(
            number,
            "jenis",
            HELD_BY_SEVERAL,
            {"position": code, "holders": ", ".join(holders[positions[code].id])},
        )
        for code, number in made_structural.items()
        if len(holders.get(positions[code].id, [])) > 1
    ]


def import_positions(table: Table) -> ImportResult:
    positions = {p.code: p for p in db.session.scalars(select(Position))}
    unit_ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    existing = {code: (p.superior.code if p.superior else None) for code, p in positions.items()}
    problems = validate_positions(table, set(unit_ids), existing)
    problems += _held_by_several(table, positions)
    if problems:
        raise TableError(problems)
    created = updated = 0
    for row in table:
        if row["kode"] not in positions:
            positions[row["kode"]] = Position(
                code=row["kode"], name=row["nama"], unit_id=unit_ids[row["kode_unit"]]
            )
            db.session.add(positions[row["kode"]])
            created += 1
    db.session.flush()
    for row in table:
        position = positions[row["kode"]]
        superior = positions[row["kode_atasan"]] if row.get("kode_atasan") else None
        kind = row["jenis"].strip().lower()
        changed = _assign(
            position,
            {
                "name": row["nama"],
                "unit_id": unit_ids[row["kode_unit"]],
                "eselon": row.get("eselon") or None,
                "kind": kind,
                "jenjang": (row.get("jenjang") or "").strip().lower() or None,
                "superior_id": superior.id if superior else None,
                "critical": YES[(row.get("kritikal") or "").strip().lower()],
            },
        )
        if changed and row["kode"] in existing:
            updated += 1
    return ImportResult(created, updated, len(table.rows) - created - updated)
