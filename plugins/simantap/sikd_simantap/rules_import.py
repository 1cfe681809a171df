"""Pure validation of the Simantap import files (DOMAIN.md section 9).

Every function here is a plain function of the file's rows and of plain lookups (NIP to user
id, position codes, known periods): no Flask, no database. A row is turned into a dict of
clean values (with its ``_row`` number); everything wrong with it becomes a ``Problem``
naming the row and the column. The caller refuses the whole file when any problem is found.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sikd_host.plugin_api import N_, NIPError, Problem, parse_nip, ranks
from sikd_simantap.scoring.indicators import RELATIONS, SKP_VALUES

COLUMNS: dict[str, tuple[str, ...]] = {
    "pegawai": ("nip", "nama", "golongan", "kode_jabatan", "pendidikan", "tmt_jabatan", "email"),
    "skp": ("nip", "tahun", "predikat"),
    "kompetensi": ("nip", "tanggal", "jpm", "skor_potensi"),
    "kompetensi_rinci": ("nip", "tanggal", "kompetensi", "level"),
    "pelatihan": ("nip", "tanggal", "nama", "jp"),
    "disiplin": ("nip", "tanggal", "tingkat", "keterangan"),
    "kehadiran": (
        "nip",
        "periode",
        "persen_hadir",
        "jam_lembur",
        "persen_rapat",
        "menit_terlambat",
    ),
    "ekinerja": ("nip", "periode", "nilai"),
    "penilaian360": ("nip_penilai", "nip_dinilai", "hubungan", "butir", "nilai"),
}
KINDS = tuple(COLUMNS)
# Kinds whose rows belong to a period: a period given with the import fills empty cells
# (kehadiran, ekinerja) or names the 360 assessment the ratings belong to (penilaian360).
PERIOD_KINDS = ("kehadiran", "ekinerja", "penilaian360")
EDUCATION_LEVELS = ("S3", "S2", "S1", "D4", "D3", "D2", "D1", "SMA", "SMK", "SMP", "SD")
DISCIPLINE_LEVELS = ("ringan", "sedang", "berat")
PREDIKAT = tuple(SKP_VALUES)
BUTIR = range(1, 8)  # the seven BerAKHLAK values
YEAR = re.compile(r"\d{4}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Context:
    """What validation needs to know of the database, as plain data."""

    users: Mapping[str, int] = field(default_factory=dict)  # NIP digits -> user id
    positions: Mapping[str, int] = field(default_factory=dict)  # position code -> id
    periods: frozenset[str] = frozenset()  # codes of the defined periods
    period: str | None = None  # the period given with the import
    relations: Mapping[tuple[int, int], str] = field(default_factory=dict)  # 360, (rater, ratee)
    today: dt.date | None = None


@dataclass
class Cells:
    """One row being read: each accessor returns the clean value or records a problem."""

    row: Mapping[str, Any]
    problems: list[Problem]

    @property
    def number(self) -> int:
        return int(self.row.get("_row", 0))

    def raw(self, column: str) -> str:
        return str(self.row.get(column) or "").strip()

    def problem(self, column: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(self.number, column, message, params))

    def text(self, column: str, limit: int, required: bool = False) -> str:
        value = self.raw(column)
        if required and not value:
            self.problem(column, N_("This column is required."))
        elif len(value) > limit:
            self.problem(column, N_("At most %(n)s characters."), n=limit)
        return value

    def real(
        self, column: str, low: float = 0.0, high: float | None = 100.0, required: bool = True
    ) -> float | None:
        value = self.raw(column)
        if not value:
            if required:
                self.problem(column, N_("This column is required."))
            return None
        number = parse_number(value)
        if number is None:
            self.problem(column, N_("Write a number, such as 85 or 85.5."))
        elif number < low or (high is not None and number > high):
            if high is None:
                self.problem(column, N_("Must be %(low)s or more."), low=_plain(low))
            else:
                self.problem(
                    column,
                    N_("Must be between %(low)s and %(high)s."),
                    low=_plain(low),
                    high=_plain(high),
                )
            return None
        return number

    def whole(self, column: str, low: int, high: int) -> int | None:
        value = self.raw(column)
        number = parse_number(value) if value else None
        if number is None or not number.is_integer() or not low <= number <= high:
            self.problem(
                column, N_("Write a whole number from %(low)s to %(high)s."), low=low, high=high
            )
            return None
        return int(number)

    def date(self, column: str, required: bool = True) -> dt.date | None:
        value = self.raw(column)
        if not value:
            if required:
                self.problem(column, N_("This column is required."))
            return None
        day = parse_date(value)
        if day is None:
            self.problem(column, N_("Write a real date as YYYY-MM-DD."))
        return day

    def choice(
        self,
        column: str,
        values: Sequence[str],
        canonical: Callable[[str], str] = str.lower,
        required: bool = True,
    ) -> str | None:
        value = self.raw(column)
        if not value and not required:
            return None
        found = _lookup(tuple(values), canonical).get(canonical(value))
        if found is None:
            self.problem(column, N_("Must be one of: %(values)s."), values=", ".join(values))
        return found

    def user(self, column: str, users: Mapping[str, int]) -> int | None:
        """The id of the user with this NIP; a problem when there is none."""
        nip = normalize_nip(self.raw(column))
        if not nip:
            self.problem(column, N_("This column is required."))
            return None
        user_id = users.get(nip)
        if user_id is None:
            self.problem(column, N_("Unknown NIP %(nip)s."), nip=nip[:40])
        return user_id


@functools.cache
def _lookup(values: tuple[str, ...], canonical: Callable[[str], str]) -> dict[str, str]:
    return {canonical(value): value for value in values}


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def normalize_nip(raw: str) -> str:
    return "".join(str(raw).split())


def parse_number(raw: str) -> float | None:
    """A finite number; a decimal comma is accepted when there is no dot (``85,5``)."""
    text = raw.strip()
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_date(raw: str) -> dt.date | None:
    if not ISO_DATE.fullmatch(raw):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def canonical_golongan(raw: str) -> str:
    """``iii/A`` -> ``III/a``, so any capitalisation of a golongan is recognised."""
    roman, _, letter = raw.strip().partition("/")
    return f"{roman.strip().upper()}/{letter.strip().lower()}"


def _upper(raw: str) -> str:
    return raw.strip().upper()


# --- one function per file kind: a row's clean values ----------------------------------


def pegawai_row(cells: Cells, context: Context) -> dict[str, Any]:
    nip = None
    raw_nip = cells.raw("nip")
    if not raw_nip:
        cells.problem("nip", N_("This column is required."))
    else:
        try:
            nip = parse_nip(raw_nip, context.today).digits
        except NIPError as error:
            cells.problem("nip", error.message)
    position_code = cells.text("kode_jabatan", 40)
    if position_code and position_code not in context.positions:
        cells.problem("kode_jabatan", N_("Unknown position %(code)s."), code=position_code)
    email = cells.text("email", 200)
    if email and not EMAIL.fullmatch(email):
        cells.problem("email", N_("Not a valid e-mail address."))
    return {
        "nip": nip,
        "full_name": cells.text("nama", 200, required=True),
        "golongan": cells.choice(
            "golongan", tuple(ranks.GOLONGAN), canonical_golongan, required=False
        ),
        "position_id": context.positions.get(position_code) if position_code else None,
        "pendidikan": cells.choice("pendidikan", EDUCATION_LEVELS, _upper, required=False),
        "tmt_jabatan": cells.date("tmt_jabatan", required=False),
        "email": email,
    }


def structural_holders(
    rows: Sequence[Mapping[str, Any]],
    holders: Mapping[int, int],
    structural: Mapping[int, str],
) -> list[Problem]:
    """DOMAIN.md section 2: a structural position has at most one holder. ``holders`` maps
    each active user id to the position they hold now, ``structural`` each structural
    position id to its code; rows carry ``user_id`` (None for a new employee) and
    ``position_id`` (None keeps the one held). A problem on every row that would give a
    structural position a second holder."""
    moving = {row["user_id"] for row in rows if row.get("user_id") and row.get("position_id")}
    taken: dict[int, str] = {}
    for user, position in holders.items():
        if position in structural and user not in moving:
            taken[position] = "held"
    problems = []
    for row in rows:
        position = row.get("position_id")
        if position not in structural:
            continue
        if position in taken:
            problems.append(
                Problem(
                    int(row.get("_row", 0)),
                    "kode_jabatan",
                    N_("Position %(code)s is structural and already has its holder."),
                    {"code": structural[position]},
                )
            )
        else:
            taken[position] = "file"
    return problems


def skp_row(cells: Cells, context: Context) -> dict[str, Any]:
    return {
        "user_id": cells.user("nip", context.users),
        "tahun": cells.whole("tahun", 1950, 2100),
        "predikat": cells.choice("predikat", PREDIKAT),
    }


def kompetensi_row(cells: Cells, context: Context) -> dict[str, Any]:
    values = {
        "user_id": cells.user("nip", context.users),
        "tanggal": cells.date("tanggal"),
        "jpm": cells.real("jpm", required=False),
        "skor_potensi": cells.real("skor_potensi", required=False),
    }
    if not cells.raw("jpm") and not cells.raw("skor_potensi"):
        cells.problem("jpm", N_("Give the JPM, the potential score, or both."))
    return values


# the managerial and socio-cultural competencies of Permenpan RB 38/2017, by their keys
COMPETENCY_NAMES = {
    "integritas": "integritas",
    "kerja sama": "kerja_sama",
    "komunikasi": "komunikasi",
    "orientasi pada hasil": "orientasi_hasil",
    "pelayanan publik": "pelayanan_publik",
    "pengembangan diri dan orang lain": "pengembangan_diri",
    "mengelola perubahan": "mengelola_perubahan",
    "pengambilan keputusan": "pengambilan_keputusan",
    "perekat bangsa": "perekat_bangsa",
}


def competency_key(name: str) -> str:
    """A competency as stored: the key of a managerial or socio-cultural one (by its name
    or key, in any case), else the technical competency's own name as written."""
    words = " ".join(name.replace("_", " ").split()).lower()
    if words in COMPETENCY_NAMES:
        return COMPETENCY_NAMES[words]
    keys = {key.replace("_", " "): key for key in COMPETENCY_NAMES.values()}
    return keys.get(words, " ".join(name.split()))


def kompetensi_rinci_row(cells: Cells, context: Context) -> dict[str, Any]:
    name = cells.text("kompetensi", 80, required=True)
    return {
        "user_id": cells.user("nip", context.users),
        "tanggal": cells.date("tanggal"),
        "kompetensi": competency_key(name) if name else None,
        "level": cells.whole("level", 1, 5),
    }


def pelatihan_row(cells: Cells, context: Context) -> dict[str, Any]:
    return {
        "user_id": cells.user("nip", context.users),
        "tanggal": cells.date("tanggal"),
        "nama": cells.text("nama", 200, required=True),
        "jp": cells.real("jp", high=None),
    }


def disiplin_row(cells: Cells, context: Context) -> dict[str, Any]:
    return {
        "user_id": cells.user("nip", context.users),
        "tanggal": cells.date("tanggal"),
        "tingkat": cells.choice("tingkat", DISCIPLINE_LEVELS),
        "keterangan": cells.text("keterangan", 2000),
    }


def period_cell(cells: Cells, context: Context) -> str | None:
    """The row's period: its ``periode`` cell, or the period given with the import."""
    value = cells.raw("periode")
    if not value:
        if context.period:
            return context.period
        cells.problem("periode", N_("This column is required (or choose a period)."))
        return None
    if context.period and value != context.period:
        cells.problem(
            "periode",
            N_("The file says %(found)s but the import is for period %(period)s."),
            found=value[:20],
            period=context.period,
        )
        return None
    if not (YEAR.fullmatch(value) or value in context.periods):
        cells.problem("periode", N_("Write a year (such as 2026) or the code of a period."))
        return None
    return value


def kehadiran_row(cells: Cells, context: Context) -> dict[str, Any]:
    figures = {
        "persen_hadir": cells.real("persen_hadir", required=False),
        "jam_lembur": cells.real("jam_lembur", high=None, required=False),
        "persen_rapat": cells.real("persen_rapat", required=False),
        "menit_terlambat": cells.real("menit_terlambat", high=None, required=False),
    }
    if not any(cells.raw(column) for column in figures):
        cells.problem("persen_hadir", N_("The row has no figure."))
    return {
        "user_id": cells.user("nip", context.users),
        "periode": period_cell(cells, context),
        **figures,
    }


def ekinerja_row(cells: Cells, context: Context) -> dict[str, Any]:
    return {
        "user_id": cells.user("nip", context.users),
        "periode": period_cell(cells, context),
        "nilai": cells.real("nilai"),
    }


def penilaian360_row(cells: Cells, context: Context) -> dict[str, Any]:
    values = {
        "rater_id": cells.user("nip_penilai", context.users),
        "ratee_id": cells.user("nip_dinilai", context.users),
        "relation": cells.choice("hubungan", RELATIONS),
        "butir": cells.whole("butir", BUTIR.start, BUTIR.stop - 1),
        "nilai": cells.whole("nilai", 1, 5),
    }
    rater, ratee, relation = values["rater_id"], values["ratee_id"], values["relation"]
    complete = None not in (rater, ratee, relation)
    if complete and (rater == ratee) != (relation == "diri"):
        cells.problem(
            "hubungan", N_("Use diri exactly when the rater and the rated are the same person.")
        )
    return values


ROW_READERS: dict[str, Callable[[Cells, Context], dict[str, Any]]] = {
    "pegawai": pegawai_row,
    "skp": skp_row,
    "kompetensi": kompetensi_row,
    "kompetensi_rinci": kompetensi_rinci_row,
    "pelatihan": pelatihan_row,
    "disiplin": disiplin_row,
    "kehadiran": kehadiran_row,
    "ekinerja": ekinerja_row,
    "penilaian360": penilaian360_row,
}

# The natural key of each kind's rows (after reading): a file may hold each key once.
KEYS: dict[str, tuple[str, ...]] = {
    "pegawai": ("nip",),
    "skp": ("user_id", "tahun"),
    "kompetensi": ("user_id", "tanggal"),
    "kompetensi_rinci": ("user_id", "tanggal", "kompetensi"),
    "pelatihan": ("user_id", "tanggal", "nama"),
    "disiplin": ("user_id", "tanggal", "tingkat"),
    "kehadiran": ("user_id", "periode"),
    "ekinerja": ("user_id", "periode"),
    "penilaian360": ("rater_id", "ratee_id", "butir"),
}
KEY_COLUMN = {
    "pegawai": "nip",
    "penilaian360": "butir",
}


def duplicates(kind: str, rows: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """A problem for each row whose natural key an earlier row already had."""
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    names = KEYS[kind]
    for row in rows:
        key = tuple(row[name] for name in names)
        if any(part is None for part in key):
            continue  # already reported as a bad cell
        if key in seen:
            problems.append(
                Problem(
                    row["_row"],
                    KEY_COLUMN.get(kind, "nip"),
                    N_("The same entry is already on row %(other)s."),
                    {"other": seen[key]},
                )
            )
        seen.setdefault(key, row["_row"])
    return problems


def relation_conflicts(
    rows: Iterable[Mapping[str, Any]], existing: Mapping[tuple[int, int], str] | None = None
) -> list[Problem]:
    """360 rows must give one relation per rater and rated person, the one already assigned
    in the period if there is one."""
    problems: list[Problem] = []
    relation_of: dict[tuple[int, int], str] = dict(existing or {})
    for row in rows:
        pair, relation = (row["rater_id"], row["ratee_id"]), row["relation"]
        if None in pair or relation is None:
            continue
        known = relation_of.setdefault(pair, relation)
        if known != relation:
            problems.append(
                Problem(
                    row["_row"],
                    "hubungan",
                    N_("This rater and rated person are already paired as %(relation)s."),
                    {"relation": known},
                )
            )
    return problems


def read_rows(
    kind: str, rows: Iterable[Mapping[str, Any]], context: Context
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every row's clean values and every problem, duplicates included."""
    reader = ROW_READERS[kind]
    problems: list[Problem] = []
    parsed: list[dict[str, Any]] = []
    for row in rows:
        values = reader(Cells(row, problems), context)
        values["_row"] = int(row.get("_row", 0))
        parsed.append(values)
    problems.extend(duplicates(kind, parsed))
    if kind == "penilaian360":
        problems.extend(relation_conflicts(parsed, context.relations))
    problems.sort(key=lambda p: (p.row, p.column))
    return parsed, problems


class UsernameMaker:
    """User names derived from people's names (``Budi Santoso`` -> ``budi.santoso``), made
    unique against ``taken`` (lower-cased names already used) by a number: ``budi.santoso2``."""

    LIMIT = 60

    def __init__(self, taken: Iterable[str]):
        self.taken = {name.lower() for name in taken}
        self.next_suffix: dict[str, int] = {}

    @staticmethod
    def base(full_name: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")
        return slug[: UsernameMaker.LIMIT].strip(".") or "pegawai"

    def make(self, full_name: str) -> str:
        base = self.base(full_name)
        name = base
        suffix = self.next_suffix.get(base, 2)
        while name in self.taken:
            name = f"{base}{suffix}"
            suffix += 1
        self.next_suffix[base] = suffix
        self.taken.add(name)
        return name
