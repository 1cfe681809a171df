"""Importing talent data files (DOMAIN.md section 9), all or nothing, set-based.

``prepare`` reads a file (its header first), validates every row against what the database
holds (``rules_import``) and compares it with the rows already stored; it writes nothing and
returns a :class:`Plan` that says how many rows would be created, updated or left unchanged.
``Plan.apply`` then writes the whole file with bulk Core statements (one ``executemany`` per
table, never a query per row) in the caller's transaction. ``import_file`` does both and
records one audit event; the caller commits. Any problem raises ``TableError`` listing every
(row, column, problem), before anything is written.

Rows are upserted on their natural keys, so importing the same file twice changes nothing:
skp (nip, tahun); kompetensi (nip, tanggal); pelatihan (nip, tanggal, nama); disiplin (nip,
tanggal, tingkat); kehadiran and ekinerja (nip, periode); penilaian360 one rating per
(period, rater, rated, butir), with the rater's assignment created when missing and marked
submitted. ``pegawai`` creates the host account of a new NIP (no password: it cannot log in
until an administrator sets one; role ``pegawai``) or updates the name, and the e-mail and
position when the file gives them, then upserts the Simantap talent data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, bindparam, insert, select, update

from sikd_host.plugin_api import (
    N_,
    Position,
    Problem,
    Role,
    TableError,
    User,
    audit,
    db,
    read_table,
    utcnow,
)
from sikd_simantap.models import (
    Assignment,
    Attendance,
    Competency,
    CompetencyLevel,
    Discipline,
    EKinerja,
    Employee,
    Period,
    Rating,
    Skp,
    Training,
)
from sikd_simantap.rules_import import (
    COLUMNS,
    KINDS,
    PERIOD_KINDS,
    YEAR,
    Context,
    UsernameMaker,
    read_rows,
    structural_holders,
)

CHUNK = 500  # ids per IN (...) list when reading existing rows
PEGAWAI_ROLE = "pegawai"


@dataclass
class Plan:
    """What importing a file would do; ``apply`` does it in the current transaction."""

    kind: str
    filename: str
    sha256: str
    period: str | None
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, int] = field(default_factory=dict)
    writes: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or any(self.details.values()))

    def apply(self) -> None:
        for write in self.writes:
            write()

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.filename,
            "sha256": self.sha256,
            "period": self.period,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            **self.details,
        }


@dataclass(frozen=True)
class Target:
    """A table upserted on a natural key: the key columns and the value columns."""

    table: Table
    keys: tuple[str, ...]
    values: tuple[str, ...]


TARGETS: dict[str, Target] = {
    "skp": Target(Skp.__table__, ("user_id", "tahun"), ("predikat",)),
    "kompetensi": Target(Competency.__table__, ("user_id", "tanggal"), ("jpm", "skor_potensi")),
    "kompetensi_rinci": Target(
        CompetencyLevel.__table__, ("user_id", "tanggal", "kompetensi"), ("level",)
    ),
    "pelatihan": Target(Training.__table__, ("user_id", "tanggal", "nama"), ("jp",)),
    "disiplin": Target(Discipline.__table__, ("user_id", "tanggal", "tingkat"), ("keterangan",)),
    "kehadiran": Target(
        Attendance.__table__,
        ("user_id", "periode"),
        ("persen_hadir", "jam_lembur", "persen_rapat", "menit_terlambat"),
    ),
    "ekinerja": Target(EKinerja.__table__, ("user_id", "periode"), ("nilai",)),
}


# --- entry points --------------------------------------------------------------------


def prepare(
    kind: str,
    source: bytes | str | Path | IO[bytes],
    filename: str = "",
    period: str | None = None,
    today: dt.date | None = None,
) -> Plan:
    """Validate the file and plan its changes; raise TableError naming every problem."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    data, filename = _read_source(source, filename)
    table = read_table(data, COLUMNS[kind], filename=filename)  # the header first
    period = ((period or "").strip() or None) if kind in PERIOD_KINDS else None
    period_row = _check_period(kind, period)
    context = _context(kind, period, period_row, today)
    rows, problems = read_rows(kind, table.rows, context)
    if problems:
        raise TableError(problems)
    plan = Plan(kind, filename, hashlib.sha256(data).hexdigest(), period, len(rows))
    if kind == "pegawai":
        _plan_pegawai(plan, rows)
    elif kind == "penilaian360":
        _plan_360(plan, rows, period_row)
    else:
        _plan_upsert(plan, TARGETS[kind], rows)
    return plan


def import_file(
    kind: str,
    source: bytes | str | Path | IO[bytes],
    filename: str = "",
    period: str | None = None,
    actor: Any = None,
) -> Plan:
    """Validate, apply and audit in the current transaction; the caller commits."""
    plan = prepare(kind, source, filename, period)
    record(plan, actor)
    return plan


def record(plan: Plan, actor: Any = None) -> None:
    """Apply a prepared plan and write its one audit event (none when nothing changes)."""
    plan.apply()
    if plan.changed:
        audit.record(actor, f"simantap.import_{plan.kind}", "file", plan.filename, plan.summary())


def _read_source(source: bytes | str | Path | IO[bytes], filename: str) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, filename
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes(), filename or Path(source).name
    return source.read(), filename


# --- what validation needs to know ---------------------------------------------------


def _check_period(kind: str, period: str | None) -> Period | None:
    """The 360 import needs a defined period that is not closed; kehadiran and ekinerja
    take a year or a defined period's code."""
    if kind not in PERIOD_KINDS:
        return None
    row = db.session.scalar(select(Period).where(Period.code == period)) if period else None
    if kind == "penilaian360":
        if not period:
            _refuse("periode", N_("Choose the period of the 360 assessment."))
        if row is None:
            _refuse("periode", N_("Unknown period %(code)s."), code=period[:20])
        if row.status == "closed":
            _refuse("periode", N_("The period %(code)s is closed."), code=row.code)
    elif period and row is None and not YEAR.fullmatch(period):
        _refuse("periode", N_("Write a year (such as 2026) or the code of a period."))
    return row


def _refuse(column: str, message: str, **params: Any) -> None:
    raise TableError([Problem(0, column, message, params)])


def _context(
    kind: str, period: str | None, period_row: Period | None, today: dt.date | None
) -> Context:
    users: dict[str, int] = {}
    positions: dict[str, int] = {}
    if kind == "pegawai":
        positions = dict(db.session.execute(select(Position.code, Position.id)).all())
    else:
        users = _users_by_nip()
    periods = frozenset(db.session.scalars(select(Period.code))) if kind in PERIOD_KINDS else None
    relations = {}
    if period_row is not None:
        relations = {
            (rater, ratee): relation
            for rater, ratee, relation in db.session.execute(
                select(Assignment.rater_id, Assignment.ratee_id, Assignment.relation).where(
                    Assignment.period_id == period_row.id
                )
            )
        }
    return Context(
        users=users,
        positions=positions,
        periods=periods or frozenset(),
        period=period,
        relations=relations,
        today=today,
    )


def _users_by_nip() -> dict[str, int]:
    return dict(db.session.execute(select(User.nip, User.id).where(User.nip.is_not(None))).all())


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- bulk writes ---------------------------------------------------------------------


def _insert(table: Table, rows: list[dict[str, Any]]) -> Callable[[], None]:
    def write() -> None:
        if rows:
            db.session.execute(insert(table), rows)

    return write


def _update(
    table: Table, keys: Iterable[str], values: Iterable[str], rows: list[dict[str, Any]]
) -> Callable[[], None]:
    """An executemany UPDATE; each row holds ``k_<key>`` and ``v_<value>`` parameters."""
    statement = (
        update(table)
        .where(*[table.c[key] == bindparam(f"k_{key}") for key in keys])
        .values({name: bindparam(f"v_{name}") for name in values})
    )

    def write() -> None:
        if rows:
            db.session.execute(statement, rows)

    return write


def _params(keys: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return {**{f"k_{k}": v for k, v in keys.items()}, **{f"v_{k}": v for k, v in values.items()}}


# --- plain natural-key upserts -------------------------------------------------------


def _existing(target: Target, user_ids: Sequence[int]) -> dict[tuple, tuple]:
    """The stored rows of these users: natural key -> values."""
    table = target.table
    found: dict[tuple, tuple] = {}
    columns = [table.c[name] for name in target.keys + target.values]
    width = len(target.keys)
    for chunk in _chunks(sorted(set(user_ids))):
        for row in db.session.execute(select(*columns).where(table.c.user_id.in_(chunk))):
            found[tuple(row[:width])] = tuple(row[width:])
    return found


def _plan_upsert(plan: Plan, target: Target, rows: list[dict[str, Any]]) -> None:
    existing = _existing(target, [row["user_id"] for row in rows])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        key = tuple(row[name] for name in target.keys)
        values = tuple(row[name] for name in target.values)
        stored = existing.get(key)
        if stored is None:
            inserts.append({name: row[name] for name in target.keys + target.values})
        elif stored != values:
            updates.append(
                _params(
                    dict(zip(target.keys, key, strict=True)),
                    dict(zip(target.values, values, strict=True)),
                )
            )
        else:
            plan.unchanged += 1
    plan.created, plan.updated = len(inserts), len(updates)
    plan.writes += [
        _insert(target.table, inserts),
        _update(target.table, target.keys, target.values, updates),
    ]


# --- pegawai: host accounts and talent data ------------------------------------------

USER_FIELDS = ("full_name", "email", "position_id")
TALENT_FIELDS = ("golongan", "pendidikan", "tmt_jabatan")


def _plan_pegawai(plan: Plan, rows: list[dict[str, Any]]) -> None:
    users = {
        nip: (user_id, (name, email or "", position_id))
        for user_id, nip, name, email, position_id in db.session.execute(
            select(User.id, User.nip, User.full_name, User.email, User.position_id).where(
                User.nip.is_not(None)
            )
        )
    }
    talent = {
        row[0]: tuple(row[1:])
        for row in db.session.execute(
            select(Employee.user_id, Employee.golongan, Employee.pendidikan, Employee.tmt_jabatan)
        )
    }
    _check_structural_holders(rows, users)
    names = UsernameMaker(db.session.scalars(select(User.username)))
    now = utcnow()
    new_users: list[dict[str, Any]] = []
    new_talent: list[dict[str, Any]] = []  # of existing users without talent data yet
    user_updates: list[dict[str, Any]] = []
    talent_updates: list[dict[str, Any]] = []
    for row in rows:
        wanted_talent = tuple(row[name] for name in TALENT_FIELDS)
        known = users.get(row["nip"])
        if known is None:
            new_users.append(_new_user(row, names.make(row["full_name"]), now))
            continue
        user_id, stored = known
        # An empty e-mail or position cell keeps what the account has.
        wanted = (row["full_name"], row["email"] or stored[1], row["position_id"] or stored[2])
        changed = False
        if wanted != stored:
            user_updates.append(
                _params({"id": user_id}, dict(zip(USER_FIELDS, wanted, strict=True)))
            )
            changed = True
        values = {**dict(zip(TALENT_FIELDS, wanted_talent, strict=True)), "updated_at": now}
        if user_id not in talent:
            new_talent.append({"user_id": user_id, **values})
            changed = True
        elif talent[user_id] != wanted_talent:
            talent_updates.append(_params({"user_id": user_id}, values))
            changed = True
        if changed:
            plan.updated += 1
        else:
            plan.unchanged += 1
    plan.created = len(new_users)
    plan.details = {"accounts_created": len(new_users), "accounts_updated": len(user_updates)}
    user_table, talent_table = User.__table__, Employee.__table__
    plan.writes += [
        _update(user_table, ("id",), USER_FIELDS, user_updates),
        _insert(talent_table, new_talent),
        _update(talent_table, ("user_id",), TALENT_FIELDS + ("updated_at",), talent_updates),
        _create_accounts(rows, new_users, now),
    ]


def _check_structural_holders(
    rows: list[dict[str, Any]], users: Mapping[str, tuple[int, tuple]]
) -> None:
    """Refuse the file when it would give a structural position a second holder."""
    structural = dict(
        db.session.execute(
            select(Position.id, Position.code).where(Position.kind == "struktural")
        ).all()
    )
    holders = dict(
        db.session.execute(
            select(User.id, User.position_id).where(
                User.active.is_(True), User.position_id.is_not(None)
            )
        ).all()
    )
    with_ids = [
        {**row, "user_id": users[row["nip"]][0] if row["nip"] in users else None} for row in rows
    ]
    problems = structural_holders(with_ids, holders, structural)
    if problems:
        raise TableError(problems)


def _new_user(row: Mapping[str, Any], username: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "username": username,
        "full_name": row["full_name"],
        "email": row["email"],
        "nip": row["nip"],
        "active": True,
        "password_hash": "",  # no password: the account cannot log in until one is set
        "session_version": 1,
        "position_id": row["position_id"],
        "created_at": now,
    }


def _create_accounts(
    rows: list[dict[str, Any]], new_users: list[dict[str, Any]], now: dt.datetime
) -> Callable[[], None]:
    """Insert the new accounts, their ``pegawai`` role and their talent data, in bulk."""

    def write() -> None:
        if not new_users:
            return
        db.session.execute(insert(User.__table__), new_users)
        ids = _users_by_nip()
        created = [ids[user["nip"]] for user in new_users]
        role_id = db.session.scalar(select(Role.id).where(Role.name == PEGAWAI_ROLE))
        if role_id is not None:
            user_role = db.metadata.tables["user_role"]
            db.session.execute(
                insert(user_role), [{"user_id": uid, "role_id": role_id} for uid in created]
            )
        new_nips = {user["nip"] for user in new_users}
        db.session.execute(
            insert(Employee.__table__),
            [
                {
                    "user_id": ids[row["nip"]],
                    **{k: row[k] for k in TALENT_FIELDS},
                    "updated_at": now,
                }
                for row in rows
                if row["nip"] in new_nips
            ],
        )

    return write


# --- penilaian360: assignments and ratings of a period --------------------------------


def _plan_360(plan: Plan, rows: list[dict[str, Any]], period: Period | None) -> None:
    assert period is not None  # _check_period refused the file otherwise
    assignments = _assignments(period.id)
    ratings = {
        (assignment_id, butir): nilai
        for assignment_id, butir, nilai in db.session.execute(
            select(Rating.assignment_id, Rating.butir, Rating.nilai)
            .join(Assignment, Assignment.id == Rating.assignment_id)
            .where(Assignment.period_id == period.id)
        )
    }
    now = utcnow()
    pairs: dict[tuple[int, int], str] = {}
    for row in rows:
        pairs.setdefault((row["rater_id"], row["ratee_id"]), row["relation"])
    new_pairs = [pair for pair in pairs if pair not in assignments]
    to_submit = sorted(
        {assignments[pair][0] for pair in pairs if pair in assignments and not assignments[pair][1]}
    )
    for row in rows:
        known = assignments.get((row["rater_id"], row["ratee_id"]))
        stored = ratings.get((known[0], row["butir"])) if known else None
        if stored is None:
            plan.created += 1
        elif stored != row["nilai"]:
            plan.updated += 1
        else:
            plan.unchanged += 1
    plan.details = {"assignments_created": len(new_pairs), "assignments_submitted": len(to_submit)}
    new_assignments = [
        {
            "period_id": period.id,
            "rater_id": rater,
            "ratee_id": ratee,
            "relation": pairs[(rater, ratee)],
            "submitted_at": now,
            "comment": "",
        }
        for rater, ratee in new_pairs
    ]
    table = Assignment.__table__
    plan.writes += [
        _insert(table, new_assignments),
        _update(
            table,
            ("id",),
            ("submitted_at",),
            [_params({"id": aid}, {"submitted_at": now}) for aid in to_submit],
        ),
        _write_ratings(period.id, rows, ratings),
    ]


def _assignments(period_id: int) -> dict[tuple[int, int], tuple[int, dt.datetime | None]]:
    return {
        (rater, ratee): (assignment_id, submitted)
        for assignment_id, rater, ratee, submitted in db.session.execute(
            select(
                Assignment.id, Assignment.rater_id, Assignment.ratee_id, Assignment.submitted_at
            ).where(Assignment.period_id == period_id)
        )
    }


def _write_ratings(
    period_id: int, rows: list[dict[str, Any]], ratings: Mapping[tuple[int, int], int]
) -> Callable[[], None]:
    def write() -> None:
        ids = _assignments(period_id)  # with the ones just created
        inserts, updates = [], []
        for row in rows:
            assignment_id = ids[(row["rater_id"], row["ratee_id"])][0]
            stored = ratings.get((assignment_id, row["butir"]))
            if stored is None:
                inserts.append(
                    {"assignment_id": assignment_id, "butir": row["butir"], "nilai": row["nilai"]}
                )
            elif stored != row["nilai"]:
                updates.append(
                    _params(
                        {"assignment_id": assignment_id, "butir": row["butir"]},
                        {"nilai": row["nilai"]},
                    )
                )
        _insert(Rating.__table__, inserts)()
        _update(Rating.__table__, ("assignment_id", "butir"), ("nilai",), updates)()

    return write
