"""How a PostgreSQL transaction that only read ends: with COMMIT.

**A transaction that only read ends with COMMIT.** Removing the session at the end of a
request rolls its transaction back. For a transaction that wrote nothing, COMMIT and
ROLLBACK are the same, but psycopg forgets every prepared statement on a ROLLBACK (it might
have undone a ``CREATE``), so the statements every page sends (the session's user above
all) were planned anew on every request. Ended with COMMIT, they are prepared on the fifth
use on a connection and not planned again. A transaction that sent any other statement, or
failed, still ends with ROLLBACK, and nothing of it is kept. The COMMIT goes to the driver
just before the ROLLBACK the session asked for, which then finds nothing to end, so the
session's objects stay as they were (a session COMMIT would expire them all).

A statement counts as a read when SQLAlchemy compiled it from a ``select()``: one
statement, never a ``text()`` or a driver string (which could hold a second statement after
a ``;``). A ``SELECT`` must change nothing, so SIKD and its plugins never select a function
that writes or sets something (``set_config``, ``pg_notify``); docs/plugins.md says so. A
``SELECT ... FOR UPDATE`` lock ends with either.
"""

from __future__ import annotations

import logging
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import CompoundSelect, Select, event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

WROTE = "sikd_wrote"
INTRANS = TransactionStatus.INTRANS


def is_read(context: Any) -> bool:
    """Whether a statement about to be sent is a SELECT built by SQLAlchemy (a
    ``text(...).columns()`` is text, so it does not count)."""
    compiled = getattr(context, "compiled", None)
    return compiled is not None and isinstance(compiled.statement, (Select, CompoundSelect))


def end_reads_with_commit(engine: Engine) -> None:
    """On PostgreSQL, end the transactions that only read with COMMIT."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _fresh(conn: Any) -> None:
        conn.info.pop(WROTE, None)  # the flag is about this transaction, whatever came before

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(
        conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, *_: Any
    ) -> None:
        if not is_read(context):
            conn.info[WROTE] = True

    @event.listens_for(engine, "rollback")
    def _commit_if_only_read(conn: Any) -> None:
        """Runs just before the driver's ROLLBACK, which then finds no transaction to end."""
        if conn.invalidated or conn.info.get(WROTE):
            return
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection.info.transaction_status != INTRANS:  # idle, or failed: roll back
            return
        try:
            conn.dialect.do_commit(dbapi_connection)
        except conn.dialect.loaded_dbapi.Error:  # nothing lost: the ROLLBACK follows
            log.warning("could not end a read-only transaction with COMMIT", exc_info=True)
