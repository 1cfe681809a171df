"""permissions offered once to their suggested roles

Every permission already ticked on some role counts as offered, so that an upgrade does
not tick again what an admin removed from other roles.

Revision ID: a7169446056e
Revises: 969146786035
Create Date: 2026-12-04 01:45:03.765154
"""

import sqlalchemy as sa
from alembic import op

revision = "a7169446056e"
down_revision = "969146786035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "permission_seen",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_permission_seen")),
    )
    op.execute(
        "INSERT INTO permission_seen (name, seen_at)"
        " SELECT DISTINCT permission, CURRENT_TIMESTAMP FROM role_permission"
    )


def downgrade() -> None:
    op.drop_table("permission_seen")
