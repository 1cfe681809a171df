"""The configurable list of disposition instructions ("Tindak lanjuti", "Pelajari", ...).

Until an admin saves it (or adds to it), the list is ``DEFAULT_INSTRUCTIONS``; saving it
makes the defaults rows that can be renamed, reordered and deactivated. A disposition keeps
its instruction as text, so renaming, reordering or deactivating an instruction never
changes a disposition already sent; an instruction that any disposition carries is never
deleted, only deactivated. Every function works in the caller's transaction, audits, and
never commits; on :class:`InstructionError` the caller rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sikd_archive.models import Disposition, Instruction
from sikd_host.plugin_api import N_, audit, db

DEFAULT_INSTRUCTIONS = (
    "Tindak lanjuti",
    "Pelajari",
    "Hadiri",
    "Siapkan jawaban",
    "Arsipkan",
    "Untuk diketahui",
    "Koordinasikan",
)
MAX_CHARS = 120
MOVES = ("up", "down")


class InstructionError(ValueError):
    """A refused change: ``message`` is an English msgid with ``params``."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def is_saved() -> bool:
    """Whether the list lives in the table (else the defaults are used)."""
    return db.session.scalar(select(Instruction.id).limit(1)) is not None


def active_texts() -> list[str]:
    """The instructions a sender may choose, in their order."""
    if not is_saved():
        return list(DEFAULT_INSTRUCTIONS)
    return list(
        db.session.scalars(
            select(Instruction.text)
            .where(Instruction.active)
            .order_by(Instruction.position, Instruction.id)
        )
    )


def listed() -> list[Instruction]:
    """Every saved instruction, active or not, in order (empty while the defaults apply)."""
    return list(
        db.session.scalars(select(Instruction).order_by(Instruction.position, Instruction.id))
    )


def in_use(texts: list[str]) -> set[str]:
    """Which of ``texts`` some disposition carries (one query)."""
    if not texts:
        return set()
    return set(
        db.session.scalars(
            select(Disposition.instruction).where(Disposition.instruction.in_(texts)).distinct()
        )
    )


def save_defaults(actor: Any = None) -> bool:
    """Save the default list as rows, so it can be edited; False when already saved."""
    if is_saved():
        return False
    db.session.add_all(
        Instruction(text=text, active=True, position=number)
        for number, text in enumerate(DEFAULT_INSTRUCTIONS, start=1)
    )
    db.session.flush()
    audit.record(
        actor,
        "archive.instructions_saved",
        "archive_instruction",
        "",
        {"texts": list(DEFAULT_INSTRUCTIONS)},
    )
    return True


def _clean(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise InstructionError(N_("Write the instruction."))
    if len(value) > MAX_CHARS:
        raise InstructionError(N_("An instruction has at most %(n)s characters."), n=MAX_CHARS)
    return value


def _unique(text: str, except_id: int | None = None) -> None:
    statement = select(Instruction.id).where(func.lower(Instruction.text) == text.lower())
    if except_id is not None:
        statement = statement.where(Instruction.id != except_id)
    if db.session.scalar(statement.limit(1)) is not None:
        raise InstructionError(N_("The instruction %(text)s is already in the list."), text=text)


def _get(instruction_id: int) -> Instruction:
    instruction = db.session.get(Instruction, instruction_id)
    if instruction is None:
        raise InstructionError(N_("No such instruction."))
    return instruction


def add(actor: Any, text: str) -> Instruction:
    """Add an instruction at the end of the list."""
    value = _clean(text)
    save_defaults(actor)
    _unique(value)
    last = db.session.scalar(select(func.max(Instruction.position))) or 0
    instruction = Instruction(text=value, active=True, position=last + 1)
    db.session.add(instruction)
    db.session.flush()
    audit.record(
        actor, "archive.instruction_added", "archive_instruction", instruction.id, {"text": value}
    )
    return instruction


def rename(actor: Any, instruction_id: int, text: str) -> Instruction:
    """Give an instruction a new text; dispositions already sent keep the old one."""
    value = _clean(text)
    instruction = _get(instruction_id)
    if value == instruction.text:
        raise InstructionError(N_("The text is unchanged."))
    _unique(value, except_id=instruction.id)
    old, instruction.text = instruction.text, value
    audit.record(
        actor,
        "archive.instruction_renamed",
        "archive_instruction",
        instruction.id,
        {"old": old, "new": value},
    )
    return instruction


def move(actor: Any, instruction_id: int, direction: str) -> Instruction:
    """Swap an instruction with its neighbour above (``up``) or below (``down``)."""
    if direction not in MOVES:
        raise InstructionError(N_("Not a valid choice."))
    instruction = _get(instruction_id)
    ordered = listed()
    for number, item in enumerate(ordered, start=1):  # positions 1..n, whatever they were
        item.position = number
    index = ordered.index(instruction)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        raise InstructionError(N_("The instruction is already at that end of the list."))
    neighbour = ordered[other]
    instruction.position, neighbour.position = neighbour.position, instruction.position
    audit.record(
        actor,
        "archive.instruction_moved",
        "archive_instruction",
        instruction.id,
        {"text": instruction.text, "direction": direction, "position": instruction.position},
    )
    return instruction


def set_active(actor: Any, instruction_id: int, active: bool) -> Instruction:
    """Offer an instruction again, or stop offering it; the last active one stays."""
    instruction = _get(instruction_id)
    if instruction.active == active:
        raise InstructionError(
            N_("The instruction is already active.")
            if active
            else N_("The instruction is already inactive.")
        )
    if not active and len(active_texts()) <= 1:
        raise InstructionError(N_("At least one instruction must stay active."))
    instruction.active = active
    action = "archive.instruction_activated" if active else "archive.instruction_deactivated"
    audit.record(actor, action, "archive_instruction", instruction.id, {"text": instruction.text})
    return instruction


def delete(actor: Any, instruction_id: int) -> str:
    """Delete an instruction no disposition carries; one in use is only deactivated."""
    instruction = _get(instruction_id)
    if in_use([instruction.text]):
        raise InstructionError(
            N_("%(text)s is used by dispositions; deactivate it instead."), text=instruction.text
        )
    if instruction.active and len(active_texts()) <= 1:
        raise InstructionError(N_("At least one instruction must stay active."))
    text = instruction.text
    audit.record(
        actor, "archive.instruction_deleted", "archive_instruction", instruction.id, {"text": text}
    )
    db.session.delete(instruction)
    db.session.flush()
    return text
