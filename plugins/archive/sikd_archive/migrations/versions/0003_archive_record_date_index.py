"""archive: index records by date for newest-first lists

Revision ID: archive_0003
Revises: archive_0002
"""

from alembic import op

revision = "archive_0003"
down_revision = "archive_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("archive_record", schema=None) as batch_op:
        batch_op.create_index("ix_archive_record_tanggal", ["tanggal", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archive_record", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_record_tanggal")
