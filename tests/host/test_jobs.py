"""Jobs: inline without Redis, queued to rq with it; failures leave nothing half-written;
only the submitter (and admins) can watch a job."""

import uuid

import pytest
import redis

from sikd_host.extensions import db
from sikd_host.jobs import service
from sikd_host.jobs.models import Job
from sikd_host.testing import log_in

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def test_inline_job_runs_before_submit_returns(app, make_user):
    import jobs_sample

    user_id = make_user("budi")
    with app.test_request_context():
        from sikd_host.auth.models import User

        job = service.submit(
            jobs_sample.count_to,
            title="Counting",
            user=db.session.get(User, user_id),
            params={"n": 7},
        )
        assert job.status == "done" and job.done == 7 and job.total == 7 and job.percent == 100
        assert job.result_link == "/jobs/" and job.user_id == user_id
        assert jobs_sample.audited("test.counted") == 1


def test_a_failing_job_leaves_nothing_and_says_why(app):
    import jobs_sample

    with app.test_request_context():
        job = service.submit("jobs_sample:fail_halfway", title="Failing", params={"n": 1})
        assert job.status == "failed" and "disk on fire" in service.error_text(job)
        assert jobs_sample.audited("test.half") == 0  # rolled back
        assert job.finished_at is not None


def test_unknown_functions_and_bad_params_are_refused_before_anything_is_recorded(app):
    with app.test_request_context():
        with pytest.raises((ImportError, AttributeError)):
            service.submit("jobs_sample:nope", title="x")
        with pytest.raises(TypeError):
            service.submit("jobs_sample:count_to", title="x", params={"n": object()})
        assert db.session.query(Job).count() == 0


def test_one_unfinished_job_per_key(app):
    with app.test_request_context():
        db.session.add(
            Job(
                id=uuid.uuid4().hex,
                function="jobs_sample:count_to",
                title="t",
                key="k1",
                status="running",
            )
        )
        db.session.commit()
        with pytest.raises(service.JobBusy):
            service.submit("jobs_sample:count_to", title="t", key="k1", params={"n": 1})
        assert (
            service.submit("jobs_sample:count_to", title="t", key="k2", params={"n": 1}).status
            == "done"
        )


def test_only_the_submitter_and_admins_see_a_job(app, make_user):
    make_user("budi")
    make_user("siti")
    make_user("root", roles=["admin"])
    budi = app.test_client()
    log_in(budi, "budi")
    with app.test_request_context():
        from sikd_host.auth.models import User

        owner = db.session.scalar(db.select(User).where(User.username == "budi"))
        job_id = service.submit(
            "jobs_sample:count_to", title="Counting", user=owner, params={"n": 3}
        ).id
    page = budi.get(f"/jobs/{job_id}")
    assert page.status_code == 200 and 'data-status="done"' in page.get_data(as_text=True)
    assert budi.get(f"/jobs/{job_id}.json").get_json()["percent"] == 100
    assert job_id in budi.get("/jobs/").get_data(as_text=True)
    siti = app.test_client()
    log_in(siti, "siti")
    assert siti.get(f"/jobs/{job_id}").status_code == 404
    assert siti.get(f"/jobs/{job_id}.json").status_code == 404
    assert job_id not in siti.get("/jobs/").get_data(as_text=True)
    assert siti.get("/jobs/not-a-job").status_code == 404
    root = app.test_client()
    log_in(root, "root")
    assert root.get(f"/jobs/{job_id}").status_code == 200


def test_progress_is_written_outside_the_jobs_transaction(app):
    """Watching a job never commits its work: the progress row moves while the job's own
    writes stay invisible until it returns."""
    import jobs_sample

    seen = {}

    def spy(progress, n):
        progress(total=n, step="half")
        progress.flush()
        from sikd_host.audit import service as audit

        audit.record("system", "test.counted", "test", "x", {})
        db.session.flush()
        with db.engine.connect() as other:
            seen["row"] = other.execute(
                db.select(Job.done, Job.total, Job.step).where(Job.id == progress.job_id)
            ).one()
            seen["audited"] = other.execute(
                db.text("SELECT count(*) FROM audit_event WHERE action = 'test.counted'")
            ).scalar()
        return ""

    jobs_sample.spy = spy
    with app.test_request_context():
        job = service.submit("jobs_sample:spy", title="Spy", params={"n": 4})
    assert job.status == "done"
    assert tuple(seen["row"]) == (0, 4, "half") and seen["audited"] == 0


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379")
def test_with_redis_jobs_wait_for_a_worker_and_the_worker_runs_them(app, runner):
    import jobs_sample

    queue_name = f"sikd-test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue_name)
    try:
        with app.test_request_context():
            job = service.submit("jobs_sample:count_to", title="Counting", params={"n": 5})
            assert job.status == "queued" and jobs_sample.audited("test.counted") == 0
            job_id = job.id
        result = runner.invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            done = db.session.get(Job, job_id)
            assert done.status == "done" and done.done == 5
            assert jobs_sample.audited("test.counted") == 1
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{queue_name}*"):
            client.delete(key)


def test_the_worker_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "SIKD_REDIS_URL" in result.output
