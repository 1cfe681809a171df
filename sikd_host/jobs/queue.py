"""The rq side of jobs: enqueue on Redis, perform in a worker, notice a worker's death.

``sikd worker`` runs an rq worker inside the app; a plain ``rq worker sikd`` works too,
since ``perform`` creates the app when it finds none.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context, has_request_context

JOB_TIMEOUT = 6 * 3600  # seconds: a scoring run of a large institution stays well under


def connection() -> Any:
    import redis

    return redis.Redis.from_url(current_app.config["REDIS_URL"])


def queue_name() -> str:
    return str(current_app.config.get("JOBS_QUEUE") or "sikd")


def rq_queue() -> Any:
    from rq import Queue

    return Queue(queue_name(), connection=connection())


def enqueue(job_id: str) -> None:
    rq_queue().enqueue(
        "sikd_host.jobs.queue.perform", job_id, job_id=job_id, job_timeout=JOB_TIMEOUT
    )


def perform(job_id: str) -> None:
    """The rq task: run the recorded job inside an app context (and a request context, so
    that the job can build links with ``url_for``)."""
    from sikd_host.jobs import service

    if has_request_context():
        service.run(job_id)
    elif has_app_context():
        with current_app.test_request_context():
            service.run(job_id)
    else:
        from sikd_host import create_app

        app = create_app()
        with app.app_context(), app.test_request_context():
            service.run(job_id)


def check_lost(job_id: str) -> None:
    """Mark the job failed when rq says its worker died or it timed out."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RqJob

    from sikd_host.jobs import service

    try:
        status = RqJob.fetch(job_id, connection=connection()).get_status(refresh=True)
    except NoSuchJobError:
        status = None
    if status is None or str(getattr(status, "value", status)) in ("failed", "stopped", "canceled"):
        service.mark_lost(job_id, str(getattr(status, "value", status) or "gone"))


def work(burst: bool = False) -> bool:
    """Run a worker in this process (no fork: the app and its engine stay ours)."""
    from rq import SimpleWorker

    worker = SimpleWorker([rq_queue()], connection=connection())
    return worker.work(burst=burst)
