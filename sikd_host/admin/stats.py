"""Small counts for the admin dashboard widget."""

from __future__ import annotations

from sqlalchemy import func, select

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit


def host_counts() -> dict[str, int]:
    return {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.active)) or 0,
        "units": db.session.scalar(select(func.count()).select_from(Unit)) or 0,
        "positions": db.session.scalar(select(func.count()).select_from(Position)) or 0,
    }
