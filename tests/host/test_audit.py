"""The audit chain verifies, and any edit or deletion is found and named."""

from sqlalchemy import delete, select, text, update

from sikd_host.audit import service as audit
from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db


def add_events(app, count=5):
    with app.app_context():
        for number in range(count):
            audit.record("tester", "test.event", "thing", number, {"n": number, "teks": "ñ é"})
        db.session.commit()
        return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def test_chain_verifies(app, runner):
    ids = add_events(app)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"{len(ids)} entries" in result.output


def test_editing_a_row_is_found_and_named(app, runner):
    ids = add_events(app)
    with app.app_context():
        db.session.execute(
            update(AuditEvent).where(AuditEvent.id == ids[2]).values(details='{"n": 99}')
        )
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {ids[2]}" in result.output and "edited" in result.output


def test_rehashing_an_edited_row_still_breaks_the_next_link(app, runner):
    ids = add_events(app)
    with app.app_context():
        row = db.session.get(AuditEvent, ids[1])
        row.actor_name = "someone else"
        from sikd_host.audit.chain import entry_hash

        row.hash = entry_hash(
            {c.name: getattr(row, c.name) for c in AuditEvent.__table__.columns}, row.prev_hash
        )
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {ids[2]}" in result.output


def test_deleting_a_row_is_found(app, runner):
    ids = add_events(app)
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {ids[3]}" in result.output


def test_deleting_the_newest_row_is_found(app, runner):
    ids = add_events(app)
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[-1]})
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "deleted" in result.output


def test_host_audits_logins_and_failures(app, client, make_user):
    from sikd_host.testing import log_in

    make_user("budi")
    log_in(client, "budi", "wrong password")
    log_in(client, "budi")
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "auth.login_failed" in actions and "auth.login" in actions


def test_audit_page_filters_and_exports(app, client, login_as):
    login_as("admin")
    add_events(app, 3)
    page = client.get("/admin/audit/?action=test.&user=tester")
    assert page.status_code == 200 and page.data.count(b"test.event") == 3
    none = client.get("/admin/audit/?action=nothing")
    assert b"test.event" not in none.data
    export = client.get("/admin/audit/export.csv?action=test.")
    lines = export.data.decode().strip().splitlines()
    assert lines[0].startswith("id,created_at") and len(lines) == 4
    bad = client.get("/admin/audit/?from=yesterday")
    assert bad.status_code == 422
