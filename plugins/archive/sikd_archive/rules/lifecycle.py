"""Penyusutan decisions as pure functions of plain data (DOMAIN.md section 8).

Who may destroy, hand over or re-assess what, on which day; document numbers; the berita
acara's content; and the cells of the standard lists. No Flask, no database: the service in
``sikd_archive.lifecycle`` loads plain mappings and asks these functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sikd_archive.rules import N_
from sikd_archive.rules.retention import add_years, destruction_refusals

LIVE = ("aktif", "inaktif")

# Proposal.status values. A hand-over is kept as a Proposal row too (no schema change):
# it is born "diserahkan", never open.
OPEN = "diusulkan"
APPROVED = "disetujui"
REJECTED = "ditolak"
HANDED_OVER = "diserahkan"
PROPOSAL_STATUSES = (OPEN, APPROVED, REJECTED, HANDED_OVER)

# Document number series: <seq>/<series>/<year>
DESTRUCTION_SERIES = "PMS"  # usul musnah / berita acara pemusnahan
HANDOVER_SERIES = "SRH"  # berita acara serah

REASSESS_DECISIONS = ("extend", "musnah", "permanen")
MAX_EXTEND_YEARS = 50

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- refusals --------------------------------------------------------------------------


def proposal_refusals(
    record: Mapping[str, Any], today: dt.date, in_open_proposal: bool
) -> list[str]:
    """Why a record may not be proposed (or approved) for destruction today; English msgids.

    ``in_open_proposal`` means: in an open proposal *other than* the one being decided.
    """
    reasons = list(destruction_refusals(record, today))
    if in_open_proposal:
        reasons.append(N_("already in an open proposal"))
    return reasons


def handover_refusals(record: Mapping[str, Any], today: dt.date) -> list[str]:
    """Why a record may not be handed over to the national archive (ANRI) today.

    A legal hold blocks a hand-over too: the record must stay where the case can reach it.
    """
    reasons = []
    if record.get("legal_hold"):
        reasons.append(N_("on legal hold"))
    if record.get("status") not in LIVE:
        reasons.append(N_("already destroyed or handed over"))
    if record.get("final") != "permanen":
        reasons.append(N_("its final disposition is not permanen"))
    if not _due(record.get("final_due_on"), today):
        reasons.append(N_("not yet due"))
    return reasons


def reassess_refusals(record: Mapping[str, Any], today: dt.date) -> list[str]:
    """Why a record's final disposition may not be re-assessed (dinilai kembali) today."""
    reasons = []
    if record.get("status") not in LIVE:
        reasons.append(N_("already destroyed or handed over"))
    if record.get("final") != "dinilai_kembali":
        reasons.append(N_("its final disposition is not dinilai kembali"))
    if not _due(record.get("final_due_on"), today):
        reasons.append(N_("not yet due"))
    return reasons


def inactive_refusals(record: Mapping[str, Any], today: dt.date) -> list[str]:
    """Why an active record may not be moved to the inactive records yet."""
    reasons = []
    if record.get("status") != "aktif":
        reasons.append(N_("not an active record"))
    if not _due(record.get("active_until"), today):
        reasons.append(N_("its active period has not ended"))
    return reasons


def _due(day: object, today: dt.date) -> bool:
    return isinstance(day, dt.date) and day <= today


def can_decide(proposer_id: int | None, actor_id: int | None) -> bool:
    """Approval is by someone else: never by the proposer, whatever they hold."""
    return actor_id is not None and proposer_id is not None and actor_id != proposer_id


# --- re-assessment ----------------------------------------------------------------------


def reassessment(
    decision: str, years: int | None, today: dt.date
) -> tuple[dict[str, Any], str | None]:
    """The new retention fields for a re-assessment, or an English msgid of the problem.

    ``extend`` keeps *dinilai kembali* and sets the next review ``years`` after today;
    ``musnah`` and ``permanen`` settle the final disposition, due at once.
    """
    if decision not in REASSESS_DECISIONS:
        return {}, N_("Not a valid choice.")
    if decision == "extend":
        if years is None or not 1 <= years <= MAX_EXTEND_YEARS:
            return {}, N_("Give a number of years from 1 to 50.")
        return {"final_due_on": add_years(today, years)}, None
    return {"final": decision}, None


# --- numbers ----------------------------------------------------------------------------


def document_number(series: str, seq: int, year: int) -> str:
    """``0007/PMS/2026``: the seventh number of the series in 2026."""
    return f"{seq:04d}/{series}/{year}"


def next_seq(numbers: Iterable[str], series: str, year: int) -> int:
    """One more than the highest sequence of ``series`` and ``year`` among ``numbers``."""
    pattern = re.compile(rf"(\d+)/{re.escape(series)}/{year}")
    found = [int(m.group(1)) for n in numbers if (m := pattern.fullmatch(n or ""))]
    return max(found, default=0) + 1


# --- berita acara -------------------------------------------------------------------------


def minutes_item(record: Mapping[str, Any], attachments: Sequence[Mapping[str, Any]]) -> dict:
    """One line of a berita acara: the record's metadata and each file's SHA-256."""
    return {
        "record_id": record["id"],
        "agenda_number": record["agenda_number"],
        "nomor": record["nomor"],
        "perihal": record["perihal"],
        "code": record.get("code") or "",
        "tanggal": _iso(record.get("tanggal")),
        "unit": record.get("unit") or "",
        "tingkat": record.get("tingkat") or "",
        "media": record.get("media") or "",
        "active_until": _iso(record.get("active_until")),
        "final_due_on": _iso(record.get("final_due_on")),
        "final": record.get("final") or "",
        "attachments": [
            {
                "name": a["name"],
                "version": a["version"],
                "size": a["size"],
                "sha256": a["sha256"],
            }
            for a in attachments
        ],
    }


def minutes(
    kind: str,
    number: str,
    when: dt.datetime,
    institution: str,
    unit: str,
    proposer: Mapping[str, Any],
    decider: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    """The berita acara as plain data (stored as JSON in ``Proposal.minutes``).

    ``kind`` is ``pemusnahan`` or ``serah``; ``decider`` is the approver of a destruction or
    the person handing over; ``extra`` carries what only one kind has (blob outcome, receiver).
    """
    return {
        "kind": kind,
        "number": number,
        "date": when.date().isoformat(),
        "time": when.strftime("%H:%M:%S"),
        "institution": institution,
        "unit": unit,
        "proposer": dict(proposer),
        "decider": dict(decider),
        "items": [dict(item) for item in items],
        "count": len(items),
        **extra,
    }


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


# --- list cells ---------------------------------------------------------------------------

LIST_COLUMNS = (
    "No",
    "Kode Klasifikasi",
    "Nomor Agenda",
    "Nomor",
    "Uraian Informasi (Perihal)",
    "Tanggal",
    "Tingkat Perkembangan",
    "Jumlah",
    "Media",
    "Unit Pengolah",
    "Retensi Aktif s.d.",
    "Retensi Inaktif s.d.",
    "Nasib Akhir",
    "Keterangan",
)
"""The columns of the daftar arsip aktif, inaktif and usul musnah (ANRI's standard lists:
No, Kode Klasifikasi, Uraian Informasi, Kurun Waktu, Tingkat Perkembangan, Jumlah, Retensi,
Keterangan; with the register's own nomor, agenda and unit pengolah). Kept in Indonesian:
they are the names the records centre and ANRI use, like the import templates' headers."""

FINAL_LABELS = {"musnah": "Musnah", "permanen": "Permanen", "dinilai_kembali": "Dinilai Kembali"}


def list_row(number: int, record: Mapping[str, Any]) -> list[Any]:
    """The cells of one record in a standard list (dates stay dates; text stays text)."""
    notes = []
    files = record.get("files") or 0
    if files:
        notes.append(f"{files} berkas digital")
    if record.get("legal_hold"):
        notes.append("Legal hold")
    if record.get("status") in ("musnah", "serah"):
        notes.append({"musnah": "Musnah", "serah": "Diserahkan ke ANRI"}[record["status"]])
    return [
        number,
        record.get("code") or "",
        record.get("agenda_number") or "",
        record.get("nomor") or "",
        record.get("perihal") or "",
        record.get("tanggal"),
        (record.get("tingkat") or "").capitalize(),
        1,
        record.get("media") or "",
        record.get("unit") or "",
        record.get("active_until"),
        record.get("final_due_on"),
        FINAL_LABELS.get(record.get("final") or "", ""),
        "; ".join(notes),
    ]


def csv_safe(value: Any) -> str:
    """A cell as CSV text that a spreadsheet will not run as a formula (OWASP CSV injection):
    text starting with = + - @ tab or CR gets a leading apostrophe; dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
