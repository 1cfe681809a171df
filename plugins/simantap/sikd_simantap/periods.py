"""Assessment periods and their scoring profiles: create (the profile copied from a preset),
open, close, and edit the profile while no run of the period is published.

Every function changes the current transaction and records an audit event; the caller
commits. Problems raise :class:`PeriodError` with English msgids per field.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sikd_host.plugin_api import N_, audit, db
from sikd_simantap.models import Period, Run
from sikd_simantap.scoring import profile as profiles

CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,9}$")
YEAR = re.compile(r"^(\d{4})$")
STATUSES = {
    "draft": N_("Draft"),
    "open": N_("Open"),
    "closed": N_("Closed"),
}


class PeriodError(Exception):
    """``errors`` maps a field ("" for the whole request) to an English msgid; ``params``
    fill its placeholders; ``status`` is the fitting HTTP status."""

    def __init__(self, errors: dict[str, str], status: int = 422, **params: Any):
        super().__init__(errors)
        self.errors = errors
        self.status = status
        self.params = params

    def messages(self, translate: Any = None) -> dict[str, str]:
        """Field -> message, translated with ``translate`` (gettext) when given."""
        found = {}
        for field, msgid in self.errors.items():
            if translate is not None:
                found[field] = translate(msgid, **self.params)
            else:
                found[field] = msgid % self.params if self.params else msgid
        return found


def dates_for(
    code: str, starts_on: dt.date | None, ends_on: dt.date | None
) -> tuple[dt.date, dt.date]:
    """A year code (``2026``) spans the year unless dates are given; other codes need both."""
    if not CODE.match(code or ""):
        raise PeriodError(
            {"code": N_("Use 1 to 10 letters, digits, dots, dashes or underscores, e.g. 2026.")}
        )
    year = YEAR.match(code)
    if starts_on is None and ends_on is None:
        if not year or not 1900 <= int(year.group(1)) <= 2999:
            raise PeriodError(
                {"code": N_("Give the period as a year (e.g. 2026), or give its dates.")}
            )
        return dt.date(int(code), 1, 1), dt.date(int(code), 12, 31)
    if starts_on is None or ends_on is None:
        field = "starts_on" if starts_on is None else "ends_on"
        raise PeriodError({field: N_("Give both the first and the last day.")})
    if ends_on < starts_on:
        raise PeriodError({"ends_on": N_("The last day cannot be before the first day.")})
    return starts_on, ends_on


def by_code(code: str) -> Period | None:
    return db.session.scalar(select(Period).where(Period.code == code))


def create(
    actor: Any,
    code: str,
    preset_name: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Period:
    """A draft period with a copy of the preset ``preset_name`` as its profile."""
    code = (code or "").strip()
    if preset_name not in profiles.PRESETS:
        raise PeriodError(
            {"profile": N_("Unknown scoring profile %(name)s; choose one of: %(names)s.")},
            name=preset_name,
            names=", ".join(profiles.PRESETS),
        )
    starts_on, ends_on = dates_for(code, starts_on, ends_on)
    if by_code(code) is not None:
        raise PeriodError({"code": N_("Period %(code)s already exists.")}, 409, code=code)
    period = Period(
        code=code,
        starts_on=starts_on,
        ends_on=ends_on,
        status="draft",
        profile_name=preset_name,
        profile=profiles.preset(preset_name),
    )
    db.session.add(period)
    try:
        db.session.flush()
    except IntegrityError as error:  # created at the same moment elsewhere
        raise PeriodError(
            {"code": N_("Period %(code)s already exists.")}, 409, code=code
        ) from error
    audit.record(
        actor,
        "simantap.period_created",
        "simantap_period",
        period.id,
        {"code": code, "profile": preset_name, "starts_on": starts_on, "ends_on": ends_on},
    )
    return period


def open_period(actor: Any, period: Period) -> None:
    """Draft -> open, when its profile is valid."""
    if period.status != "draft":
        raise PeriodError({"": N_("Only a draft period can be opened.")}, 409)
    if profiles.validate(period.profile):
        raise PeriodError({"": N_("Fix the scoring profile before opening the period.")}, 409)
    _set_status(actor, period, "open")


def close_period(actor: Any, period: Period) -> None:
    """Open -> closed: the 360 forms become read-only."""
    if period.status != "open":
        raise PeriodError({"": N_("Only an open period can be closed.")}, 409)
    _set_status(actor, period, "closed")


def _set_status(actor: Any, period: Period, status: str) -> None:
    before = period.status
    period.status = status
    audit.record(
        actor,
        f"simantap.period_{status}",
        "simantap_period",
        period.id,
        {"code": period.code, "from": before, "to": status},
    )


def profile_locked(period: Period) -> bool:
    """True once a run of the period is published: its profile is then history."""
    return (
        db.session.scalar(
            select(Run.id).where(Run.period_id == period.id, Run.published.is_(True)).limit(1)
        )
        is not None
    )


def update_profile(actor: Any, period: Period, profile: dict[str, Any]) -> None:
    """Replace the period's profile after validation; nothing changes on any error."""
    if profile_locked(period):
        raise PeriodError(
            {
                "": N_(
                    "A run of this period is published; its scoring profile can no longer change."
                )
            },
            409,
        )
    errors = profiles.validate(profile)
    if errors:
        raise PeriodError(errors)
    before = period.profile
    period.profile = copy.deepcopy(profile)
    audit.record(
        actor,
        "simantap.profile_updated",
        "simantap_period",
        period.id,
        {"code": period.code, "changes": changes(before, profile)},
    )


def changes(before: Any, after: Any, prefix: str = "") -> dict[str, list[Any]]:
    """Field path -> [old, new] for every leaf that differs."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: dict[str, list[Any]] = {}
        for key in sorted(set(before) | set(after), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            found.update(changes(before.get(key), after.get(key), path))
        return found
    return {} if before == after else {prefix: [before, after]}
