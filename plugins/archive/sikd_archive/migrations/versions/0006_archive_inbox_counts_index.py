"""archive: the inbox's open-items index also holds read_at and due_on (PostgreSQL)

The inbox's counts (open, unread, overdue) then come from an index-only scan instead of
reading every open item's row: 1.7 ms to 0.2 ms for 1,348 open items. SQLite has no
INCLUDE: nothing changes there.

Revision ID: archive_0006
Revises: archive_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "archive_0006"
down_revision = "archive_0005"
branch_labels = None
depends_on = None

NAME = "ix_archive_disposition_open"
COLUMNS = ["recipient_id", sa.text("(read_at IS NOT NULL)"), sa.text("sent_at DESC")]
OPEN = sa.text("done_at IS NULL")


def _create(**include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="archive_disposition")
    op.create_index(
        NAME, "archive_disposition", COLUMNS, postgresql_where=OPEN, sqlite_where=OPEN, **include
    )


def upgrade() -> None:
    _create(postgresql_include=["read_at", "due_on"])


def downgrade() -> None:
    _create()
