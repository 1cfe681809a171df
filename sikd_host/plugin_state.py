"""Whether each plugin is enabled, and its last error: kept in the database so that every
worker and every host sharing it sees the same state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, String, Text, insert, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from sikd_host.extensions import db
from sikd_host.models import utcnow


class PluginState(db.Model):
    __tablename__ = "plugin_state"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def read_enabled() -> dict[str, bool] | None:
    """Name -> enabled for every plugin with a row; None when the table does not exist yet
    (before the first migration). Any other database error is raised: a hiccup must not be
    mistaken for "no plugin is enabled"."""
    try:
        with db.engine.connect() as connection:  # its own short transaction, not the session's
            return dict(connection.execute(select(PluginState.name, PluginState.enabled)).all())
    except SQLAlchemyError:
        if not table_exists():  # raises in turn when the database does not answer
            return None
        raise


def table_exists() -> bool:
    return inspect(db.engine).has_table("plugin_state")


def set_enabled(name: str, enabled: bool) -> PluginState:
    """Record the choice in the current transaction (the caller audits and commits)."""
    state = db.session.get(PluginState, name) or PluginState(name=name)
    state.enabled = enabled
    state.changed_at = utcnow()
    db.session.add(state)
    return state


def record_error(name: str, error: str | None) -> None:
    """Store (or clear) the plugin's last error in a transaction of its own; best effort."""
    table = PluginState.__table__
    try:
        with db.engine.begin() as connection:
            changed = connection.execute(
                update(table).where(table.c.name == name).values(last_error=error)
            ).rowcount
            if not changed and error is not None:
                connection.execute(
                    insert(table).values(
                        name=name, enabled=False, last_error=error, changed_at=utcnow()
                    )
                )
    except SQLAlchemyError:  # no table yet, or the database is down: keep it in memory
        pass


def last_errors() -> dict[str, str | None]:
    return dict(db.session.execute(select(PluginState.name, PluginState.last_error)).all())
