"""archive: one GIN index over scope and words, and the list of indexed words (PostgreSQL)

A search by someone who sees few records asks for the words AND one of their scope terms.
With a GIN index per column, PostgreSQL collected every match of a common word into a
bitmap before intersecting it with the scope's (BitmapAnd): 22 ms for "rapat" at 1,000,000
records, 69 ms as the prefix "rapat:*". One index over both columns walks the two lists
together and skips what the other rules out: 2 ms.

A prefix, though, is still collected whole by GIN. ``archive_fts_word`` holds every word the
index holds (each document's lexemes, committed just before its entry), so the
search turns the prefix into the words that start so (``'rapat' | 'rapatkan'``), which the
index then skips through like any word. SQLite's FTS5 needs neither: nothing changes there.

Revision ID: archive_0007
Revises: archive_0006
"""

from alembic import op

revision = "archive_0007"
down_revision = "archive_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        'CREATE TABLE archive_fts_word (word text COLLATE "C", '
        "CONSTRAINT pk_archive_fts_word PRIMARY KEY (word))"
    )
    op.execute(
        "INSERT INTO archive_fts_word (word) "
        "SELECT DISTINCT unnest(tsvector_to_array(document)) FROM archive_fts"
    )
    op.execute("CREATE INDEX ix_archive_fts_terms ON archive_fts USING gin (scope, document)")
    op.drop_index("ix_archive_fts_scope", table_name="archive_fts")
    op.drop_index("ix_archive_fts_document", table_name="archive_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_archive_fts_document", "archive_fts", ["document"], postgresql_using="gin")
    op.create_index("ix_archive_fts_scope", "archive_fts", ["scope"], postgresql_using="gin")
    op.drop_index("ix_archive_fts_terms", table_name="archive_fts")
    op.execute("DROP TABLE archive_fts_word")
