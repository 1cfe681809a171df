"""Helpers for the archive tests (import as ``from archive_helpers import ...``; a module
named conftest is ambiguous when several test folders have one)."""

import zlib

from sikd_host.testing import log_in


def make_pdf(text: str) -> bytes:
    """A valid one-page PDF whose text pypdf can extract."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zlib.compress(stream))
        + zlib.compress(stream)
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


def pdf_file(objects: list[bytes], padding: int = 0) -> bytes:
    """A PDF file of the given objects (numbered from 1, the first the catalog) with its
    cross-reference table; ``padding`` bytes of comment after the header make it larger."""
    out = bytearray(b"%PDF-1.4\n")
    if padding:
        out += b"%" + b"x" * padding + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def client_for(app, username):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def query_plan(statement) -> str:
    """The engine's plan of ``statement`` as one string (call inside an app context).
    PostgreSQL is told to avoid sequential and bitmap scans, which it prefers on a test's
    handful of rows, so the plan shows whether an index can serve the query."""
    from sqlalchemy import text

    from sikd_host.extensions import db

    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        explain = "EXPLAIN QUERY PLAN "
    else:
        explain = "EXPLAIN "
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    try:
        return " ".join(str(row) for row in db.session.execute(text(explain + str(compiled))))
    finally:
        db.session.rollback()
