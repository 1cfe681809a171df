"""simantap: indicator values as columns of the result row

A run wrote one row per employee and indicator (1.2 million rows for 100,000 employees);
the values now sit in the employee's result row, one column per indicator key, which
halves the cost of a run. Existing values are moved over, then the old table goes.

Revision ID: simantap_0003
Revises: simantap_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "simantap_0003"
down_revision = "simantap_0002"
branch_labels = None
depends_on = None

KEYS = (
    "skp", "ekinerja", "kehadiran", "lembur", "rapat", "terlambat", "beban_kerja", "respons",
    "penilaian360", "kompetensi", "potensi", "rekam_jejak",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("simantap_result", schema=None) as batch_op:
        for key in KEYS:
            batch_op.add_column(sa.Column(f"i_{key}", sa.Float(), nullable=True))
    for key in KEYS:
        op.execute(
            f"UPDATE simantap_result SET i_{key} = ("
            " SELECT v.value FROM simantap_indicator_value v"
            " WHERE v.run_id = simantap_result.run_id AND v.user_id = simantap_result.user_id"
            f" AND v.indicator = '{key}')"
        )
    op.drop_table("simantap_indicator_value")


def downgrade() -> None:
    op.create_table(
        "simantap_indicator_value",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["simantap_run.id"],
            name=op.f("fk_simantap_indicator_value_run_id_simantap_run"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_simantap_indicator_value_user_id_user")
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "user_id", "indicator", name=op.f("pk_simantap_indicator_value")
        ),
    )  # fmt: skip
    for key in KEYS:
        op.execute(
            "INSERT INTO simantap_indicator_value (run_id, user_id, indicator, value)"
            f" SELECT run_id, user_id, '{key}', i_{key} FROM simantap_result"
            f" WHERE i_{key} IS NOT NULL"
        )
    with op.batch_alter_table("simantap_result", schema=None) as batch_op:
        for key in KEYS:
            batch_op.drop_column(f"i_{key}")
