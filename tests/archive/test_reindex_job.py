"""``sikd archive reindex --queue``: the rebuild of the search index as a job with a
progress page; inline without Redis, in ``sikd worker`` with it."""

import datetime as dt
import re
import uuid

import pytest
import redis
from sikd_archive import records, search
from sikd_archive.jobs import KEY
from sqlalchemy import func, select, text

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.jobs.models import Job
from sikd_host.models import utcnow

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def records_without_index(app, org, count: int) -> None:
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "arsiparis"))
        for number in range(count):
            records.register(
                actor,
                org.units["B.A"],
                {
                    "kind": "memo",
                    "nomor": f"M-{number}",
                    "tanggal": dt.date(2026, 1, 5),
                    "perihal": f"Rapat semeru {number}",
                },
            )
        db.session.commit()
        db.session.execute(text(f"DELETE FROM {search.TABLE}"))
        db.session.commit()


def indexed(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(text(search.TABLE)))


def job_of(output: str) -> Job:
    return db.session.get(Job, re.search(r"job ([0-9a-f]{32})", output).group(1))


def test_reindex_as_a_job_runs_inline_without_redis(app, org, runner):
    records_without_index(app, org, 3)
    result = runner.invoke(args=["archive", "reindex", "--queue", "--chunk", "2"])
    assert result.exit_code == 0, result.output
    assert "done: 3 records indexed." in result.output
    assert indexed(app) == 3
    with app.app_context():
        job = job_of(result.output)
        assert (job.status, job.done, job.total, job.key) == ("done", 3, 3, KEY)


def test_one_rebuild_at_a_time(app, org, runner):
    with app.app_context():
        db.session.add(
            Job(id="b" * 32, function="sikd_archive.jobs:reindex", params={}, title="x",
                title_params={}, key=KEY, status="queued", created_at=utcnow())
        )  # fmt: skip
        db.session.commit()
    result = runner.invoke(args=["archive", "reindex", "--queue"])
    assert result.exit_code == 1
    assert f"already queued: /jobs/{'b' * 32}" in result.output


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379")
def test_with_redis_the_rebuild_waits_for_a_worker(app, org, runner):
    records_without_index(app, org, 2)
    queue = f"sikd-test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue)
    try:
        result = runner.invoke(args=["archive", "reindex", "--queue"])
        assert result.exit_code == 0, result.output
        assert "queued; progress on /jobs/" in result.output
        assert indexed(app) == 0
        assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
        assert indexed(app) == 2
        with app.app_context():
            assert job_of(result.output).status == "done"
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{queue}*"):
            client.delete(key)
