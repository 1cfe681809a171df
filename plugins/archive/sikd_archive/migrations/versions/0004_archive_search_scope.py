"""archive: a scope for every entry of the search index

Revision ID: archive_0004
Revises: archive_0003

Each entry gets the terms of its record's unit (``u<id>``), registrar (``c<id>``) and
routings' recipients (``r<id>``), so that a search by someone who sees few records asks the
index for the words AND one of their terms (see ``sikd_archive.search``). SQLite: an FTS5
table cannot gain a column, so a new one with a ``scope`` column is filled from the old and
takes its name. PostgreSQL: a ``scope`` tsvector column under its own GIN index.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "archive_0004"
down_revision = "archive_0003"
branch_labels = None
depends_on = None

TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"
TEXTS = "nomor, perihal, asal, tujuan, body"
SQLITE_SCOPE = (
    "'u' || coalesce(r.unit_id, 0) || ' c' || coalesce(r.created_by_id, 0) || "
    "coalesce((SELECT group_concat(' r' || d.recipient_id, '') FROM (SELECT DISTINCT "
    "recipient_id FROM archive_disposition WHERE record_id = r.id) AS d), '')"
)
PG_SCOPE = (
    "'u' || coalesce(r.unit_id, 0) || ' c' || coalesce(r.created_by_id, 0) || "
    "coalesce((SELECT string_agg(DISTINCT ' r' || d.recipient_id, '') "
    "FROM archive_disposition d WHERE d.record_id = r.id), '')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "archive_fts",
            sa.Column(
                "scope",
                postgresql.TSVECTOR(),
                nullable=False,
                server_default=sa.text("''::tsvector"),
            ),
        )
        op.execute(
            f"UPDATE archive_fts AS f SET scope = to_tsvector('simple', {PG_SCOPE}) "
            "FROM archive_record AS r WHERE r.id = f.record_id"
        )
        op.create_index("ix_archive_fts_scope", "archive_fts", ["scope"], postgresql_using="gin")
        return
    op.execute(f"CREATE VIRTUAL TABLE archive_fts_new USING fts5({TEXTS}, scope, {TOKENIZE})")
    op.execute(
        f"INSERT INTO archive_fts_new (rowid, {TEXTS}, scope) "
        f"SELECT f.rowid, f.nomor, f.perihal, f.asal, f.tujuan, f.body, {SQLITE_SCOPE} "
        "FROM archive_fts AS f JOIN archive_record AS r ON r.id = f.rowid"
    )
    op.execute("DROP TABLE archive_fts")
    op.execute("ALTER TABLE archive_fts_new RENAME TO archive_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_archive_fts_scope", table_name="archive_fts")
        op.drop_column("archive_fts", "scope")
        return
    op.execute(f"CREATE VIRTUAL TABLE archive_fts_old USING fts5({TEXTS}, {TOKENIZE})")
    op.execute(
        f"INSERT INTO archive_fts_old (rowid, {TEXTS}) SELECT rowid, {TEXTS} FROM archive_fts"
    )
    op.execute("DROP TABLE archive_fts")
    op.execute("ALTER TABLE archive_fts_old RENAME TO archive_fts")
