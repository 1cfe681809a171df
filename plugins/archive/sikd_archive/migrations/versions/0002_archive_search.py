"""archive search

Revision ID: archive_0002
Revises: archive_0001
Create Date: 2026-12-05 10:00:00.000000

The full-text index is engine-specific, so it lives outside the models (tables whose name
contains ``_fts`` are left out of the models-versus-migrations comparison): an FTS5 table on
SQLite, a table with a tsvector column under a GIN index on PostgreSQL. Records already
registered are indexed here in SQL; ``sikd archive reindex`` rebuilds the index with the
plugin's own code (on PostgreSQL that also folds accents of these first entries).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "archive_0002"
down_revision = "archive_0001"
branch_labels = None
depends_on = None

# ringkasan, then the attachments' texts: the body of a document
SQLITE_BODY = (
    "trim(coalesce(r.ringkasan, '') || char(10) || coalesce((SELECT group_concat(a.text, "
    "char(10)) FROM archive_attachment a WHERE a.record_id = r.id AND a.text != ''), ''))"
)
PG_BODY = (
    "trim(coalesce(r.ringkasan, '') || E'\\n' || coalesce((SELECT string_agg(a.text, E'\\n' "
    "ORDER BY a.name, a.version) FROM archive_attachment a WHERE a.record_id = r.id "
    "AND a.text != ''), ''))"
)


def _words(expression: str) -> str:
    """Lower-case words separated by single spaces, as the plugin indexes them."""
    return f"regexp_replace(lower({expression}), '[^[:alnum:]]+', ' ', 'g')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE archive_fts USING fts5("
        "nomor, perihal, asal, tujuan, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO archive_fts (rowid, nomor, perihal, asal, tujuan, body) "
        f"SELECT r.id, r.nomor, r.perihal, r.asal, r.tujuan, {SQLITE_BODY} "
        "FROM archive_record r WHERE r.status != 'musnah'"
    )


def _upgrade_postgresql() -> None:
    op.create_table(
        "archive_fts",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("nomor", sa.Text(), nullable=False),
        sa.Column("perihal", sa.Text(), nullable=False),
        sa.Column("asal", sa.Text(), nullable=False),
        sa.Column("tujuan", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["archive_record.id"],
            name="fk_archive_fts_record_id_archive_record",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name="pk_archive_fts"),
    )
    title = _words("r.nomor || ' ' || r.perihal")
    parties = _words("r.asal || ' ' || r.tujuan")
    op.execute(
        "INSERT INTO archive_fts (record_id, nomor, perihal, asal, tujuan, body, document) "
        f"SELECT r.id, r.nomor, r.perihal, r.asal, r.tujuan, {PG_BODY}, "
        f"setweight(to_tsvector('simple', {title}), 'A') || "
        f"setweight(to_tsvector('simple', {parties}), 'B') || "
        f"setweight(to_tsvector('simple', {_words(PG_BODY)}), 'C') "
        "FROM archive_record r WHERE r.status != 'musnah'"
    )
    op.create_index("ix_archive_fts_document", "archive_fts", ["document"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_archive_fts_document", table_name="archive_fts")
    op.drop_table("archive_fts")
