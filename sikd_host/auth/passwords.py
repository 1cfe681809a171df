"""Password hashing with argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from sikd_host.i18n import N_

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
MIN_LENGTH = 10

# Verified against when the user does not exist, so both answers take the same time.
_DUMMY_HASH = HASHER.hash("not a real password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


def password_problem(password: str) -> tuple[str, dict[str, int]] | None:
    """Why ``password`` is refused (an English msgid and its values), or None when it is good."""
    if len(password) < MIN_LENGTH:
        return N_("A password needs at least %(n)s characters."), {"n": MIN_LENGTH}
    if password.isdigit():
        return N_("A password cannot be digits only."), {}
    return None
