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

A statement counts as a read when it starts with ``SELECT``: none of SIKD's reads calls a
function that writes, and a ``SELECT ... FOR UPDATE`` lock ends with either.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
WROTE = "sikd_wrote"
INTRANS = TransactionStatus.INTRANS


def is_read(statement: str) -> bool:
    return READ.match(statement) is not None


def end_reads_with_commit(engine: Engine) -> None:
    """On PostgreSQL, end the transactions that only read with COMMIT."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not is_read(statement):
            conn.info[WROTE] = True

    @event.listens_for(engine, "commit")
    def _committed(conn: Any) -> None:
        conn.info.pop(WROTE, None)

    @event.listens_for(engine, "rollback")
    def _commit_if_only_read(conn: Any) -> None:
        """Runs just before the driver's ROLLBACK, which then finds no transaction to end."""
        if conn.invalidated or conn.info.pop(WROTE, False):
            return
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection.info.transaction_status != INTRANS:  # idle, or failed: roll back
            return
        try:
            conn.dialect.do_commit(dbapi_connection)
        except conn.dialect.loaded_dbapi.Error:  # nothing lost: the ROLLBACK follows
            log.warning("could not end a read-only transaction with COMMIT", exc_info=True)
