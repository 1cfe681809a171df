"""NIP (Nomor Induk Pegawai) parsing and validation, as DOMAIN.md section 2 describes.

18 digits: birth date ``YYYYMMDD``, civil-service start (TMT CPNS) ``YYYYMM``, gender
``1`` (pria) or ``2`` (wanita), serial ``001``-``999``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sikd_host.i18n import N_

GENDERS = {"1": "pria", "2": "wanita"}


class NIPError(ValueError):
    """An invalid NIP; ``message`` is an English msgid to translate when shown."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class NIP:
    digits: str
    birth_date: dt.date
    start_year: int
    start_month: int
    gender: str
    serial: int

    @property
    def grouped(self) -> str:
        d = self.digits
        return f"{d[:8]} {d[8:14]} {d[14]} {d[15:]}"

    @property
    def start_date(self) -> dt.date:
        return dt.date(self.start_year, self.start_month, 1)


def normalize(raw: str) -> str:
    return "".join(str(raw).split())


def parse_nip(raw: str, today: dt.date | None = None) -> NIP:
    """Parse and validate a NIP; raise :class:`NIPError` naming the first problem."""
    today = today or dt.date.today()
    digits = normalize(raw)
    if len(digits) != 18 or not (digits.isascii() and digits.isdigit()):  # not "²" or "١"
        raise NIPError(N_("A NIP has exactly 18 digits."))
    try:
        birth = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise NIPError(N_("The birth date in the NIP does not exist.")) from None
    start_year, start_month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= start_month <= 12:
        raise NIPError(N_("The start month (TMT CPNS) in the NIP is not a valid month."))
    if (start_year, start_month) < (birth.year + 18, birth.month):
        raise NIPError(N_("The start (TMT CPNS) in the NIP is before the 18th birthday."))
    if (start_year, start_month) > (today.year, today.month):
        raise NIPError(N_("The start (TMT CPNS) in the NIP is in the future."))
    gender = digits[14]
    if gender not in GENDERS:
        raise NIPError(N_("The gender digit in the NIP must be 1 or 2."))
    serial = int(digits[15:])
    if serial == 0:
        raise NIPError(N_("The serial number in the NIP cannot be 000."))
    return NIP(digits, birth, start_year, start_month, GENDERS[gender], serial)


def is_valid_nip(raw: str, today: dt.date | None = None) -> bool:
    try:
        parse_nip(raw, today)
    except NIPError:
        return False
    return True
