"""archive: index the open items of an inbox in the order the inbox shows them

Revision ID: archive_0005
Revises: archive_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "archive_0005"
down_revision = "archive_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_archive_disposition_open",
        "archive_disposition",
        ["recipient_id", sa.text("(read_at IS NOT NULL)"), sa.text("sent_at DESC")],
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_archive_disposition_open", table_name="archive_disposition")
