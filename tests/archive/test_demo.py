"""The archive's demo data, loaded through ``sikd demo`` like an admin would."""

import re

import pytest
from sikd_archive import search
from sikd_archive.models import Attachment, Disposition, Record
from sqlalchemy import func, select, text

from sikd_host.extensions import db
from sikd_host.storage.service import blob_path


@pytest.fixture
def app_config():
    return {"ARCHIVE_DEMO_LETTERS": 60}


def test_demo_letters_have_pdfs_retention_and_realistic_dispositions(app, runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Archive: 60 letters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record)) == 60
        attachments = db.session.scalars(select(Attachment)).all()
        assert len(attachments) == 60
        assert all(blob_path(a.sha256).read_bytes().startswith(b"%PDF") for a in attachments)
        assert len({a.sha256 for a in attachments}) == 60  # each letter its own PDF
        assert all(r.final_due_on is not None for r in db.session.scalars(select(Record)))
        rows = db.session.scalars(select(Disposition)).all()
        assert rows, "no dispositions"
        for row in rows:
            assert row.read_at is None or row.read_at >= row.sent_at
            if row.first_action_at is not None:
                assert row.read_at <= row.first_action_at
                assert row.response_hours == pytest.approx(
                    (row.first_action_at - row.sent_at).total_seconds() / 3600, abs=0.01
                )
        hours = sorted(r.response_hours for r in rows if r.response_hours is not None)
        assert hours[0] < hours[-1], "delays should vary"
        assert stored_scopes() == expected_scopes(), "the index's scope lags the routings"
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record)) == 60


def stored_scopes():
    """{record id: set of scope terms} as the search index holds them (text on SQLite, a
    tsvector on PostgreSQL)."""
    key = "rowid" if db.engine.dialect.name == "sqlite" else "record_id"
    rows = db.session.execute(text(f"SELECT {key}, scope FROM {search.TABLE}")).all()
    return {row[0]: set(re.findall(r"[ucr]\d+", str(row[1]))) for row in rows}


def expected_scopes():
    """The same, computed from the records and their routings."""
    recipients = {}
    for record_id, recipient_id in db.session.execute(
        select(Disposition.record_id, Disposition.recipient_id)
    ):
        recipients.setdefault(record_id, []).append(recipient_id)
    return {
        record.id: set(
            search.record_scope(
                record.unit_id, record.created_by_id, recipients.get(record.id, ())
            ).split()
        )
        for record in db.session.scalars(select(Record).where(Record.status != "musnah"))
    }
