"""Full-text search over records: one interface, two engines.

SQLite keeps an FTS5 table (``unicode61 remove_diacritics 2``); PostgreSQL a table with a
``tsvector`` column (``simple`` configuration) under a GIN index, shared with the scope
(below), and the list of every word it holds (``archive_fts_word``). Both are named
``archive_fts`` and hold one row per record that is not destroyed: nomor, perihal, asal,
tujuan and a body (ringkasan plus the text of every attachment), kept current in the
transaction that changes the record (``index_record``).

Each entry also carries the record's *scope*: index terms for its unit (``u<id>``), the person
who registered it (``c<id>``) and every recipient of its routings (``r<id>``). A user without
``archive.view_all`` sees only records that carry one of their own terms (``access``), so the
search asks the index for "the words AND one of these terms" and the engine intersects the two
lists of matches itself, instead of testing the access of every match of a common word
against its record. The scope only narrows: the access filter is still applied, in full, to
every candidate. It is kept current with the record (``index_record``, also after a
routing).

A search takes at most ``CANDIDATES`` matches from the index (the newest by record id) and
ranks only those (bm25 / ts_rank), so a word found in half the archive is ranked as cheaply
as a rare one. The access filter and the page's filters are part of the query that takes
the candidates, before its LIMIT: the cap counts only records the user may see and asked
for, so older matching records are still found when newer ones are hidden or filtered out.

GIN collects every match of a prefix (``rapat:*``) before it can intersect them with
anything, about 70 ms for a common word at 1,000,000 records, while it skips through the
matches of whole words. So on PostgreSQL the last word is spelled out as the indexed words
that start with it (``'rapat' | 'rapatkan'``, at most ``MAX_COMPLETIONS``, else it stays a
prefix): the same matches, found in a few milliseconds. Ranking and highlights keep the
prefix.

Words are cut out of the user's text here (letters and digits only), so no query syntax of
either engine can reach the database: each word becomes a quoted term, the last one a
prefix. On PostgreSQL, where ``simple`` keeps accents, the indexed words and the query words
are folded (lower case, accents removed) in Python, so "kopi" finds "kópi" on both engines.
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pyexpat import ExpatError, ParserCreate
from typing import Any, BinaryIO, Protocol

from markupsafe import Markup, escape
from sqlalchemy import (
    CTE,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    true,
    type_coerce,
)
from sqlalchemy.engine import Connection

from sikd_archive.models import Attachment, Disposition, Record
from sikd_host.plugin_api import db, settings, storage

log = logging.getLogger(__name__)

TABLE = "archive_fts"
WORDS = "archive_fts_word"  # PostgreSQL: every word the index holds, to spell out prefixes
MAX_COMPLETIONS = 100  # a prefix with more indexed words than this stays a prefix
CANDIDATES = 1000  # matches taken from the index before the join with records and filters
MAX_QUERY_CHARS = 200
MAX_WORDS = 12
MAX_WORD_CHARS = 60
MAX_FIELD_CHARS = 2_000
MAX_BODY_CHARS = 300_000  # keeps a tsvector well below PostgreSQL's 1 MB limit
MAX_DOCX_XML_BYTES = 64 * 1024 * 1024
MIB = 1024 * 1024
# Bounds of the text read from one attachment while it is uploaded (settings, see
# docs/archive.md): a larger file is stored all the same and found by its record's fields.
TEXT_SETTINGS = {
    "ARCHIVE_TEXT_MAX_MB": 20,  # files above this size are not read for text
    "ARCHIVE_TEXT_MAX_PAGES": 300,  # PDF pages read
    "ARCHIVE_TEXT_MAX_CHARS": MAX_BODY_CHARS,  # characters kept (after spaces are folded)
}
CHUNK = 1_000
START, STOP = "\x02", "\x03"  # highlight markers; never left in indexed text
FIELDS = ("nomor", "perihal", "asal", "tujuan", "body")  # the text columns, searched by words

WORD = re.compile(r"[^\W_]+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MARKED = re.compile(f"{START}(.*?){STOP}", re.S)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --- documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """What the index holds for one record."""

    record_id: int
    nomor: str
    perihal: str
    asal: str
    tujuan: str
    body: str
    scope: str

    def values(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in FIELDS}
        return {"id": self.record_id, **fields, "scope": self.scope}


def record_scope(
    unit_id: int | None, created_by_id: int | None, recipient_ids: Iterable[int]
) -> str:
    """The scope terms of a record: its unit, its registrar, its routings' recipients."""
    terms = [f"u{unit_id or 0}", f"c{created_by_id or 0}"]
    terms += [f"r{recipient}" for recipient in sorted(set(recipient_ids))]
    return " ".join(terms)


def scope_terms(unit_ids: Iterable[int], user_id: int) -> tuple[str, ...]:
    """The terms of which a record must carry one to be visible to a user who sees the
    records of ``unit_ids`` and those routed to them or registered by them."""
    return (*(f"u{unit}" for unit in sorted(set(unit_ids))), f"c{user_id}", f"r{user_id}")


def clean(value: str | None, limit: int = MAX_FIELD_CHARS) -> str:
    """Text fit for the index: NFC, no control characters (nor highlight markers), capped."""
    if not value:
        return ""
    return CONTROL.sub(" ", unicodedata.normalize("NFC", value))[:limit]


def make_document(
    record_id: int,
    fields: Mapping[str, Any],
    texts: Iterable[str],
    recipient_ids: Iterable[int] = (),
) -> Document:
    """A record's document from its fields, its attachments' texts (duplicates once) and the
    recipients of its routings."""
    parts = [fields.get("ringkasan") or ""]
    for value in texts:
        if value and value not in parts:
            parts.append(value)
    return Document(
        record_id,
        clean(fields.get("nomor")),
        clean(fields.get("perihal")),
        clean(fields.get("asal")),
        clean(fields.get("tujuan")),
        clean("\n".join(p for p in parts if p), MAX_BODY_CHARS),
        record_scope(fields["unit_id"], fields["created_by_id"], recipient_ids),
    )


def quote_lexeme(word: str) -> str:
    """A word as a quoted tsquery lexeme."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def fold(value: str) -> str:
    """Lower case without accents: "Kópi" -> "kopi" (lowered again after the decomposition,
    which turns some lower-case characters into capitals: "ᴬ" -> "A")."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(value: str) -> list[str]:
    """The words of a text as both engines index them: runs of letters and digits."""
    return WORD.findall(value)


def query_words(value: str) -> tuple[str, ...]:
    """The words of a user's query (at most ``MAX_WORDS``, each capped), NFC."""
    normal = unicodedata.normalize("NFC", value or "")
    return tuple(word[:MAX_WORD_CHARS] for word in words(normal)[:MAX_WORDS])


def _documents(condition: Any) -> list[Document]:
    """Documents of the records matching ``condition``, in three set-based queries."""
    rows = db.session.execute(
        select(
            Record.id,
            Record.nomor,
            Record.perihal,
            Record.asal,
            Record.tujuan,
            Record.ringkasan,
            Record.unit_id,
            Record.created_by_id,
        )
        .where(condition, Record.status != "musnah")
        .order_by(Record.id)
    ).all()
    if not rows:
        return []
    texts: dict[int, list[str]] = {}
    attached = db.session.execute(
        select(Attachment.record_id, Attachment.text)
        .where(Attachment.record_id.in_([row.id for row in rows]), Attachment.text != "")
        .order_by(Attachment.record_id, Attachment.name, Attachment.version)
    )
    for record_id, value in attached:
        texts.setdefault(record_id, []).append(value)
    recipients: dict[int, list[int]] = {}
    routed = db.session.execute(
        select(Disposition.record_id, Disposition.recipient_id)
        .where(Disposition.record_id.in_([row.id for row in rows]))
        .distinct()
    )
    for record_id, recipient_id in routed:
        recipients.setdefault(record_id, []).append(recipient_id)
    return [
        make_document(row.id, row._mapping, texts.get(row.id, ()), recipients.get(row.id, ()))
        for row in rows
    ]


# --- engines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """Highlighted fields of one result, safe HTML."""

    nomor: Markup
    perihal: Markup
    asal: Markup
    tujuan: Markup
    snippet: Markup


class Engine(Protocol):
    """What each database's search table offers."""

    def insert(self, connection: Connection, documents: Sequence[Document]) -> None: ...

    def delete(self, connection: Connection, record_ids: Sequence[int]) -> None: ...

    def prune(self, connection: Connection) -> int: ...

    def prepare(self, session: Any) -> None: ...

    def lock(self, session: Any, record_ids: Sequence[int]) -> None: ...

    def candidates(self, conditions: Sequence[Any], scoped: bool) -> CTE: ...

    def query_values(
        self, session: Any, terms: tuple[str, ...], scope: Sequence[str] | None, limit: int
    ) -> dict[str, Any]: ...

    def highlights(self, terms: tuple[str, ...], record_ids: Sequence[int]) -> Select[Any]: ...


WORD_LIST = table(WORDS, column("word"))
# The values of a search, bound when its statement (built once per shape) is executed.
FTS_QUERY = bindparam("fts_query", type_=String)  # the words, ranked and highlighted
FTS_MATCH = bindparam("fts_match", type_=String)  # PostgreSQL: the words, prefix spelled out
FTS_SCOPE = bindparam("fts_scope", type_=String)  # PostgreSQL: the viewer's scope terms
FTS_LIMIT = bindparam("fts_limit", type_=Integer)  # the cap on candidates
FTS = table(
    TABLE,
    column("rowid", Integer),
    column("record_id", Integer),
    column("document"),
    column("scope"),
)


class SqliteEngine:
    """An FTS5 table whose rowid is the record id."""

    def insert(self, connection: Connection, documents: Sequence[Document]) -> None:
        if documents:
            connection.execute(
                text(
                    f"INSERT INTO {TABLE} (rowid, nomor, perihal, asal, tujuan, body, scope) "
                    "VALUES (:id, :nomor, :perihal, :asal, :tujuan, :body, :scope)"
                ),
                [document.values() for document in documents],
            )

    def delete(self, connection: Connection, record_ids: Sequence[int]) -> None:
        if record_ids:
            connection.execute(
                text(f"DELETE FROM {TABLE} WHERE rowid IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": list(record_ids)},
            )

    def prune(self, connection: Connection) -> int:
        result = connection.execute(
            text(
                f"DELETE FROM {TABLE} WHERE rowid NOT IN "
                "(SELECT id FROM archive_record WHERE status != 'musnah')"
            )
        )
        return result.rowcount or 0

    def prepare(self, session: Any) -> None:
        """Nothing to set before a search."""

    def lock(self, session: Any, record_ids: Sequence[int]) -> None:
        """Nothing to lock: SQLite lets one writer at a time in."""

    @staticmethod
    def match(
        terms: tuple[str, ...], scope: Sequence[str] | None = None, prefix: bool = True
    ) -> str:
        """An FTS5 query on the text columns: every word quoted (it holds no quote), the last
        one a prefix; with a scope, also one of its terms in the scope column."""
        quoted = [f'"{term}"' for term in terms]
        if prefix:
            quoted[-1] += "*"
        query = f"{{{' '.join(FIELDS)}}} : ({' '.join(quoted)})"
        if scope is not None:
            query += f" AND scope : ({' OR '.join(scope) or 'none'})"
        return query

    def candidates(self, conditions: Sequence[Any], scoped: bool) -> CTE:
        # bm25 weights: nomor, perihal, asal, tujuan, body, scope; bm25 is lower for better
        # matches. FTS5 hands out its matches newest first, the join keeps that order, so the
        # LIMIT stops the scan once enough visible, filtered records are found. The scope is
        # part of the MATCH query (``query_values``).
        fts = literal_column(TABLE)
        weights = (literal_column(w) for w in ("8.0", "6.0", "3.0", "3.0", "1.0", "0.0"))
        score = -func.bm25(fts, *weights)
        return (
            select(FTS.c.rowid.label("record_id"), type_coerce(score, Float).label("score"))
            .select_from(FTS)
            .join(Record, Record.id == FTS.c.rowid)
            .where(fts.op("MATCH")(FTS_QUERY), *conditions)
            .order_by(FTS.c.rowid.desc())
            .limit(FTS_LIMIT)
            .cte("archive_fts_hits")
        )

    def query_values(
        self, session: Any, terms: tuple[str, ...], scope: Sequence[str] | None, limit: int
    ) -> dict[str, Any]:
        return {FTS_QUERY.key: self.match(terms, scope), FTS_LIMIT.key: limit}

    def highlights(self, terms: tuple[str, ...], record_ids: Sequence[int]) -> Select[Any]:
        # exact words and one rowid at a time (json_each drives the join): a prefix or a
        # plain IN would make FTS5 walk every match of a common word again
        marks = ":start, :stop"
        return (
            text(
                f"SELECT f.rowid, highlight({TABLE}, 0, {marks}), "
                f"highlight({TABLE}, 1, {marks}), highlight({TABLE}, 2, {marks}), "
                f"highlight({TABLE}, 3, {marks}), snippet({TABLE}, 4, {marks}, '…', 24) "
                f"FROM json_each(:ids) AS j CROSS JOIN {TABLE} AS f ON f.rowid = j.value "
                f"WHERE {TABLE} MATCH :fts_query"
            )
            .bindparams(
                bindparam("fts_query", self.match(terms, prefix=False)),
                bindparam("ids", json.dumps(list(record_ids))),
                bindparam("start", START),
                bindparam("stop", STOP),
            )
            .columns()
        )


class PostgresEngine:
    """A table with the texts and a weighted tsvector of their folded words."""

    VECTOR = (
        "setweight(to_tsvector('simple', :w_a), 'A') || "
        "setweight(to_tsvector('simple', :w_b), 'B') || "
        "setweight(to_tsvector('simple', :w_c), 'C')"
    )

    def insert(self, connection: Connection, documents: Sequence[Document]) -> None:
        if documents:
            values = [self.values(document) for document in documents]
            self.list_words(connection, values)
            connection.execute(
                text(
                    f"INSERT INTO {TABLE} (record_id, nomor, perihal, asal, tujuan, body, "
                    f"document, scope) VALUES (:id, :nomor, :perihal, :asal, :tujuan, :body, "
                    f"{self.VECTOR}, to_tsvector('simple', :scope))"
                ),
                values,
            )

    def list_words(self, connection: Connection, values: list[dict[str, Any]]) -> None:
        """Add the documents' words that the word list lacks, committed at once on a
        connection of their own, before the entries that hold them can be seen.

        Inside the indexing transaction, a new word would stay locked until it ends, and two
        transactions adding the same new words in different statements could deadlock; a
        word listed for an entry that is then rolled back does no harm (it matches nothing).
        One sorted statement: two of them at once wait for each other, never deadlock."""
        texts = [" ".join((v["w_a"], v["w_b"], v["w_c"])) for v in values]
        with connection.engine.connect() as own:
            own = own.execution_options(isolation_level="AUTOCOMMIT")
            for start in range(0, len(texts), CHUNK):
                own.execute(
                    text(
                        f"INSERT INTO {WORDS} (word) SELECT DISTINCT unnest(tsvector_to_array("
                        "to_tsvector('simple', t))) FROM unnest(CAST(:texts AS text[])) AS t "
                        "ORDER BY 1 ON CONFLICT DO NOTHING"
                    ),
                    {"texts": texts[start : start + CHUNK]},
                )

    @staticmethod
    def values(document: Document) -> dict[str, Any]:
        def folded(*parts: str) -> str:
            return " ".join(words(fold(" ".join(parts))))

        return document.values() | {
            "w_a": folded(document.nomor, document.perihal),
            "w_b": folded(document.asal, document.tujuan),
            "w_c": folded(document.body),
        }

    def delete(self, connection: Connection, record_ids: Sequence[int]) -> None:
        if record_ids:
            connection.execute(
                text(f"DELETE FROM {TABLE} WHERE record_id = ANY(:ids)"), {"ids": list(record_ids)}
            )

    def prune(self, connection: Connection) -> int:
        result = connection.execute(
            text(
                f"DELETE FROM {TABLE} f WHERE NOT EXISTS (SELECT 1 FROM archive_record r "
                "WHERE r.id = f.record_id AND r.status != 'musnah')"
            )
        )
        return result.rowcount or 0

    def lock(self, session: Any, record_ids: Sequence[int]) -> None:
        """Lock the records' rows until the transaction ends, so that two transactions
        replacing one record's entry do so one after the other."""
        session.execute(select(Record.id).where(Record.id.in_(record_ids)).with_for_update())

    def prepare(self, session: Any) -> None:
        """No JIT compilation for the rest of the transaction: the planner's cost of a common
        word's candidates passes ``jit_above_cost``, and compiling the plan took longer
        (20-25 ms at 1,000,000 records) than it saved. No parallel workers either: starting
        them cost more than they saved (46 against 50 ms for a common word, on two cores)."""
        session.execute(
            text(
                "SELECT set_config('jit', 'off', true), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )

    @staticmethod
    def tsquery(terms: tuple[str, ...]) -> str:
        """A tsquery: every folded word quoted (letters and digits only), the last a prefix."""
        folded = PostgresEngine.folded_words(terms)
        quoted = [f"'{word}'" for word in folded]
        quoted[-1] += ":*"
        return " & ".join(quoted)

    @staticmethod
    def folded_words(terms: tuple[str, ...]) -> list[str]:
        """The query's words as the index holds them ("_", which matches nothing, for none)."""
        return [w for term in terms for w in words(fold(term))] or ["_"]

    @staticmethod
    def matching_tsquery(terms: tuple[str, ...], completions: Sequence[str] | None) -> str:
        """:meth:`tsquery` with its prefix spelled out as the indexed words that start so
        (``completions``, from the word list), which GIN finds as fast as any word. With
        None (too many of them) or none, the prefix stays a prefix: a word that PostgreSQL's
        parser would split or lower further than :func:`fold` finds no completions, and its
        prefix then matches as it always did (and costs nothing when it matches nothing)."""
        if not completions:  # too many, or none: what PostgreSQL makes of the word decides
            return PostgresEngine.tsquery(terms)
        quoted = [f"'{word}'" for word in PostgresEngine.folded_words(terms)[:-1]]
        quoted.append(f"({' | '.join(quote_lexeme(word) for word in completions)})")
        return " & ".join(quoted)

    @staticmethod
    def completions(session: Any, terms: tuple[str, ...]) -> list[str] | None:
        """The indexed words that start with the query's last word, at most
        ``MAX_COMPLETIONS`` of them; None when there are more.

        A range of the word list's key (in the "C" collation, code point order), not a LIKE:
        a prepared statement's generic plan cannot use an index for a LIKE pattern it does
        not know. No word holds U+10FFFF, a noncharacter, which closes the range."""
        prefix = PostgresEngine.folded_words(terms)[-1]
        found = session.scalars(
            select(WORD_LIST.c.word)
            .where(WORD_LIST.c.word >= prefix, WORD_LIST.c.word < prefix + "\U0010ffff")
            .order_by(WORD_LIST.c.word)
            .limit(MAX_COMPLETIONS + 1)
        ).all()
        return None if len(found) > MAX_COMPLETIONS else list(found)

    def query_values(
        self, session: Any, terms: tuple[str, ...], scope: Sequence[str] | None, limit: int
    ) -> dict[str, Any]:
        found = {
            FTS_QUERY.key: self.tsquery(terms),
            FTS_MATCH.key: self.matching_tsquery(terms, self.completions(session, terms)),
            FTS_LIMIT.key: limit,
        }
        if scope is not None:
            found[FTS_SCOPE.key] = " | ".join(scope) or "none"
        return found

    def candidates(self, conditions: Sequence[Any], scoped: bool) -> CTE:
        # the rank is computed for the candidates only, never for every match
        simple = literal_column("'simple'::regconfig")
        query = func.to_tsquery(simple, FTS_QUERY)
        matching = func.to_tsquery(simple, FTS_MATCH)
        # The scope and the words, under one GIN index, are matched together: the index walks
        # both lists of matches at once, skipping what the other excludes.
        in_scope = FTS.c.scope.op("@@")(func.to_tsquery(simple, FTS_SCOPE)) if scoped else true()
        # The matches' ids, newest first. "+ 0" keeps the planner from walking the whole
        # table backwards by id, testing every row for the words, in the hope of soon
        # finding enough visible ones; the ORDER BY keeps the subquery whole, so the rows
        # come out sorted and the LIMIT below stops once enough of them passed the check.
        newest = (FTS.c.record_id + 0).label("newest")
        matched = (
            select(FTS.c.record_id, newest)
            .where(FTS.c.document.op("@@")(matching), in_scope)
            .order_by(newest.desc())
            .subquery("m")
        )
        # Each match's record is checked on its own (LATERAL with LIMIT 1, never flattened
        # into a join): the plan starts from the index's matches, so a misestimated match
        # count cannot turn it into a scan of every record.
        allowed = (
            select(literal_column("1").label("ok"))
            .select_from(Record)
            .where(Record.id == matched.c.record_id, *conditions)
            .limit(1)
            .lateral("allowed")
        )
        matches = (
            select(matched.c.record_id)
            .join(allowed, true())
            .order_by(matched.c.newest.desc())
            .limit(FTS_LIMIT)
            .subquery("c")
        )
        # the document is read again for the candidates' rank only
        ranked = FTS.alias("ranked")
        score = type_coerce(func.ts_rank(ranked.c.document, query), Float)
        return (
            select(matches.c.record_id, score.label("score"))
            .join(ranked, ranked.c.record_id == matches.c.record_id)
            .cte("archive_fts_hits")
        )

    def highlights(self, terms: tuple[str, ...], record_ids: Sequence[int]) -> Select[Any]:
        whole = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
        parts = (
            f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )

        def headline(field: str, options: str) -> str:
            return f"ts_headline('simple', {field}, q.query, :{options})"

        return (
            text(
                f"SELECT record_id, {headline('nomor', 'whole')}, {headline('perihal', 'whole')}, "
                f"{headline('asal', 'whole')}, {headline('tujuan', 'whole')}, "
                f"{headline('body', 'parts')} "
                f"FROM {TABLE}, (SELECT to_tsquery('simple', :fts_query) AS query) AS q "
                "WHERE record_id = ANY(:ids)"
            )
            .bindparams(
                bindparam("fts_query", self.tsquery(terms)),
                bindparam("ids", list(record_ids)),
                bindparam("whole", whole),
                bindparam("parts", parts),
            )
            .columns()
        )


ENGINES: dict[str, Engine] = {"sqlite": SqliteEngine(), "postgresql": PostgresEngine()}


def engine_for(dialect: str) -> Engine:
    try:
        return ENGINES[dialect]
    except KeyError:
        raise RuntimeError(f"no full-text search for the {dialect} database") from None


def current_engine() -> Engine:
    """The engine of the database the session is bound to."""
    return engine_for(db.session.get_bind().dialect.name)


# --- keeping the index current ---------------------------------------------------------


def index_record(record: Any) -> None:
    """Bring the record's index entry up to date in the current transaction.

    A destroyed record (status ``musnah``) leaves the index. The record's row is locked
    first, so that two changes of one record at once (two routings, say) replace its entry
    one after the other instead of both inserting it.
    """
    engine = current_engine()
    connection = db.session.connection()
    db.session.flush()
    engine.lock(db.session, [record.id])
    engine.delete(connection, [record.id])
    if record.status != "musnah":
        engine.insert(connection, _documents(Record.id == record.id))


def remove_record(record_id: int) -> None:
    """Take a record out of the index, in the current transaction."""
    current_engine().delete(db.session.connection(), [record_id])


def reindex(chunk: int = CHUNK, progress: Callable[[int], Any] | None = None) -> int:
    """Rebuild the index from the records, ``chunk`` records per transaction.

    Entries are replaced chunk by chunk, so searching keeps working while it runs; entries
    of records that are gone or destroyed are removed at the end. Returns the number of
    records indexed.
    """
    engine = current_engine()
    last, total = 0, 0
    while True:
        ids = db.session.scalars(
            select(Record.id)
            .where(Record.id > last, Record.status != "musnah")
            .order_by(Record.id)
            .limit(chunk)
        ).all()
        if not ids:
            break
        # the entries are deleted (and, on PostgreSQL, the records locked) before the
        # documents are read, so a routing committed meanwhile is either waited for or read
        connection = db.session.connection()
        engine.lock(db.session, ids)
        engine.delete(connection, ids)
        documents = _documents(Record.id.in_(ids))
        engine.insert(connection, documents)
        db.session.commit()
        last, total = ids[-1], total + len(documents)
        if progress is not None:
            progress(len(ids))
    engine.prune(db.session.connection())
    db.session.commit()
    return total


def indexable_count() -> int:
    return db.session.scalar(select(func.count()).where(Record.status != "musnah")) or 0


# --- searching -------------------------------------------------------------------------


def ranked_statement(dialect: str, conditions: Sequence[Any], scoped: bool) -> Select[Any]:
    """(record id, score) of the candidates, best first, as a statement without its search's
    values (:func:`search_values`), so that it can be built once and kept: the newest
    ``fts_limit`` matching records that satisfy ``conditions`` (the access filter and the
    page's filters, applied before the cap), narrowed by the viewer's scope when ``scoped``."""
    hits = engine_for(dialect).candidates(conditions, scoped)
    return (
        select(Record.id, hits.c.score)
        .join(hits, hits.c.record_id == Record.id)
        .order_by(hits.c.score.desc(), Record.tanggal.desc(), Record.id.desc())
    )


def search_values(
    terms: tuple[str, ...], scope: Sequence[str] | None = None, limit: int | None = None
) -> dict[str, Any]:
    """The values of a search of ``terms`` for :func:`ranked_statement` (``scope``: see
    ``access.search_scope``; None for no narrowing), its transaction made ready for it."""
    engine = current_engine()
    engine.prepare(db.session)
    return engine.query_values(db.session, terms, scope, CANDIDATES if limit is None else limit)


def ranked_ids(
    terms: tuple[str, ...],
    conditions: Sequence[Any],
    limit: int | None = None,
    scope: Sequence[str] | None = None,
) -> Any:
    """:func:`ranked_statement` with the values of a search of ``terms`` bound: the newest
    ``limit`` (default ``CANDIDATES``) matching records that satisfy ``conditions``, best
    first."""
    dialect = db.session.get_bind().dialect.name
    statement = ranked_statement(dialect, conditions, scope is not None)
    return statement.params(search_values(terms, scope, limit))


def highlights(terms: tuple[str, ...], record_ids: Sequence[int]) -> dict[int, Highlight]:
    """Highlighted fields of the given records, keyed by record id."""
    if not terms or not record_ids:
        return {}
    rows = db.session.execute(current_engine().highlights(terms, record_ids)).all()
    return {row[0]: Highlight(*(mark(value or "") for value in row[1:])) for row in rows}


def mark(value: str) -> Markup:
    """Escape the text, then turn the engine's highlight markers into ``<mark>``."""
    safe = str(escape(value))
    safe = MARKED.sub(r"<mark>\1</mark>", safe)
    return Markup(safe.replace(START, "").replace(STOP, ""))


# --- text of attachments ---------------------------------------------------------------


@dataclass(frozen=True)
class TextLimits:
    """How much of an attachment is read for the index."""

    max_bytes: int
    max_pages: int
    max_chars: int

    @classmethod
    def current(cls) -> TextLimits:
        def value(name: str) -> int:
            return max(0, int(settings(name, TEXT_SETTINGS[name])))

        return cls(
            value("ARCHIVE_TEXT_MAX_MB") * MIB,
            value("ARCHIVE_TEXT_MAX_PAGES"),
            value("ARCHIVE_TEXT_MAX_CHARS"),
        )


def extract_text(
    sha256: str, filename: str, size: int | None = None, limits: TextLimits | None = None
) -> str:
    """Text of a PDF or DOCX attachment, for the index; "" for other files or broken ones.

    Bounded by ``limits`` (default: the settings): a file larger than ``max_bytes`` is not
    read at all, a PDF is read for its first ``max_pages`` pages, and at most ``max_chars``
    characters are kept, so that an upload's time does not grow with the file beyond them.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    reader = {"pdf": _pdf_text, "docx": _docx_text}.get(extension)
    if reader is None:
        return ""
    limits = limits or TextLimits.current()
    if limits.max_chars == 0:
        return ""
    try:
        with storage.open_blob(sha256) as handle:
            if size is None:
                size = os.fstat(handle.fileno()).st_size
            if size > limits.max_bytes:
                log.info("no text read from %s (%s): %d bytes", filename, sha256, size)
                return ""
            value = reader(handle, limits)
    except Exception as error:  # noqa: BLE001 - a broken file must not stop the upload
        log.warning("no text from %s (%s): %s", filename, sha256, error)
        return ""
    return clean(" ".join(value.split()), limits.max_chars)


def _pdf_text(handle: BinaryIO, limits: TextLimits) -> str:
    from pypdf import PdfReader

    reader = PdfReader(handle)
    parts, size = [], 0
    for number, page in enumerate(reader.pages):
        if number >= limits.max_pages:
            break
        try:
            value = page.extract_text() or ""
        except Exception as error:  # noqa: BLE001 - keep the other pages
            log.warning("PDF page without text: %s", error)
            continue
        parts.append(value)
        size += len(value)
        if size > limits.max_chars:
            break
    return "\n".join(parts)


def _docx_text(handle: BinaryIO, limits: TextLimits) -> str:
    """The text of word/document.xml: paragraphs, tabs and breaks, streamed through expat
    until ``limits.max_chars`` characters are collected.

    A DOCTYPE (never present in a real document) is refused, so no entity can expand.
    """
    with zipfile.ZipFile(handle) as archive:
        info = archive.getinfo("word/document.xml")
        if info.file_size > MAX_DOCX_XML_BYTES:
            raise ValueError("word/document.xml is too large")
        collector = _DocxText(limits.max_chars)
        with archive.open(info) as xml:
            collector.feed(xml)
    return collector.text()


class _DocxText:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self.parts: list[str] = []
        self.in_text = False
        self.parser = ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.parser.StartDoctypeDeclHandler = self.refuse
        self.parser.EntityDeclHandler = self.refuse

    def feed(self, stream: BinaryIO) -> None:
        size = 0
        while chunk := stream.read(64 * 1024):
            size += len(chunk)
            if size > MAX_DOCX_XML_BYTES:
                raise ValueError("word/document.xml is too large")
            self.parser.Parse(chunk, False)
            if self.chars > self.max_chars:
                return  # enough text: the rest is not read
        self.parser.Parse(b"", True)

    def text(self) -> str:
        return "".join(self.parts)

    @staticmethod
    def refuse(*_args: Any) -> None:
        raise ExpatError("a DOCTYPE or entity in word/document.xml")

    def start(self, name: str, _attributes: Any) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace != W_NS:
            return
        if local == "t":
            self.in_text = True
        elif local == "tab":
            self.parts.append("\t")
        elif local in ("br", "cr"):
            self.parts.append("\n")

    def end(self, name: str) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace != W_NS:
            return
        if local == "t":
            self.in_text = False
        elif local == "p":
            self.parts.append("\n")

    def data(self, value: str) -> None:
        if self.in_text:
            self.parts.append(value)
            self.chars += len(value)
