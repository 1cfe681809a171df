"""Job functions for tests/host/test_jobs.py (importable by path, as a worker needs)."""

from sqlalchemy import select

from sikd_host.audit import service as audit
from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db


def count_to(progress, n: int) -> str:
    progress(total=n, step="counting")
    for _ in range(n):
        progress(1)
    audit.record("system", "test.counted", "test", str(n), {"n": n})
    return "/jobs/"


def fail_halfway(progress, n: int) -> None:
    audit.record("system", "test.half", "test", str(n), {"n": n})
    db.session.flush()
    raise RuntimeError("disk on fire")


def audited(action: str) -> int:
    return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())
