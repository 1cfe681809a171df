"""``submit`` long work and watch it (plugins reach this as ``plugin_api.jobs``).

A job function is importable by its dotted path (``"sikd_simantap.jobs:score"``) so that an
rq worker in another process can find it. It is called inside an app context as
``function(progress, **params)`` and does its work in ``db.session``; whatever it leaves
uncommitted is committed when it returns and rolled back when it raises, so a failed job
leaves nothing half-written. It may return a link (a path inside SIKD) to its result.

The job row is committed before the work starts, so it is visible at once. Progress is
written through a connection of its own, a short transaction at a time, never through the
job's transaction: watching a job never commits its work.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from sikd_host.extensions import db
from sikd_host.i18n import N_
from sikd_host.jobs.models import Job
from sikd_host.models import utcnow
from sikd_host.security import safe_next

log = logging.getLogger(__name__)

UNFINISHED = ("queued", "running")
PROGRESS_INTERVAL = 0.5  # seconds between progress writes


class JobBusy(Exception):
    """An unfinished job with the same key exists; ``job`` is that job."""

    def __init__(self, job: Job):
        super().__init__(f"job {job.id} with key {job.key!r} is {job.status}")
        self.job = job


class Progress:
    """Handed to a job function: ``progress(step="Reading", total=10)``, ``progress(1)``."""

    def __init__(self, job_id: str, interval: float = PROGRESS_INTERVAL):
        self.job_id = job_id
        self.done = 0
        self.total = 0
        self.step = ""
        self.interval = interval
        self._written = 0.0

    def __call__(self, advance: int = 0, *, step: str | None = None, total: int | None = None):
        self.done += advance
        if total is not None:
            self.total = total
        if step is not None:
            self.step = str(step)[:200]
        if time.monotonic() - self._written >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Write the progress in a transaction of its own; best effort, never the job's."""
        self._written = time.monotonic()
        values = {"done": self.done, "total": self.total, "step": self.step}
        try:
            with db.engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:  # the job may hold the write lock: do not wait for it
                    connection.exec_driver_sql("PRAGMA busy_timeout = 100")
                try:
                    connection.execute(update(Job).where(Job.id == self.job_id).values(**values))
                    connection.commit()
                finally:
                    if sqlite:
                        timeout = int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
                        connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout}")
        except SQLAlchemyError as error:  # the final state is written anyway
            log.debug("progress of job %s not written: %s", self.job_id, error)


def function_path(function: str | Callable[..., Any]) -> str:
    if isinstance(function, str):
        return function
    return f"{function.__module__}:{function.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def queued() -> bool:
    """Whether jobs go to the rq queue (Redis configured and not forced inline)."""
    config = current_app.config
    return bool(config.get("REDIS_URL")) and not config.get("JOBS_INLINE")


def submit(
    function: str | Callable[..., Any],
    *,
    title: str,
    user: Any = None,
    params: Mapping[str, Any] | None = None,
    key: str = "",
    **title_params: Any,
) -> Job:
    """Record a job and start it: on the queue with Redis, else inline, before returning.

    ``title`` is an English msgid (``N_``) with ``title_params``; ``params`` (JSON values)
    are passed to the function. With a ``key``, a second job is refused (``JobBusy``) while
    one with the same key is unfinished: one scoring run per period at a time.
    """
    path = function_path(function)
    resolve(path)  # fail now, in the caller, when the function does not exist
    params = dict(params or {})
    json.dumps(params)
    if key:
        running = db.session.scalar(
            select(Job).where(Job.key == key, Job.status.in_(UNFINISHED)).limit(1)
        )
        if running is not None:
            raise JobBusy(running)
    job = Job(
        id=uuid.uuid4().hex,
        function=path,
        params=params,
        title=title,
        title_params=title_params,
        key=key,
        status="queued",
        user_id=getattr(user, "id", None),
        created_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    if queued():
        from sikd_host.jobs import queue

        queue.enqueue(job_id)
    else:
        run(job_id)
    return db.session.get(Job, job_id)


def run(job_id: str) -> None:
    """Execute a recorded job in the current app context (inline or in a worker)."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != "queued":
        return
    job.status = "running"
    job.started_at = utcnow()
    function, params = job.function, dict(job.params or {})
    db.session.commit()
    progress = Progress(job_id)
    try:
        link = resolve(function)(progress, **params)
        db.session.commit()
    except Exception as error:  # recorded on the job, whatever it was
        db.session.rollback()
        log.error("job %s (%s) failed:\n%s", job_id, function, traceback.format_exc())
        _finish(job_id, "failed", progress, error=_error_of(error))
    else:
        _finish(job_id, "done", progress, link=link if isinstance(link, str) else "")


def _error_of(error: Exception) -> dict[str, Any]:
    """An error as a msgid and its parameters, so each user reads it in their language."""
    message, params = getattr(error, "message", None), getattr(error, "params", None)
    if isinstance(message, str) and isinstance(params, dict):
        try:
            json.dumps(params)
            return {"message": message, "params": params}
        except TypeError:
            pass
    return {
        "message": N_("The job stopped with an error: %(error)s"),
        "params": {"error": str(error)[:500]},
    }


def _finish(
    job_id: str, status: str, progress: Progress, *, link: str = "", error: Any = None
) -> None:
    job = db.session.get(Job, job_id)
    job.status = status
    job.finished_at = utcnow()
    job.done = progress.total if status == "done" and progress.total else progress.done
    job.total = progress.total
    job.step = progress.step
    job.result_link = safe_next(link, "")
    job.error = json.dumps(error) if error else ""
    db.session.commit()


def mark_lost(job_id: str, reason: str) -> None:
    """A job whose worker died: failed, so its key is free again."""
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(UNFINISHED))
        .values(
            status="failed",
            finished_at=utcnow(),
            error=json.dumps(
                {"message": N_("The worker stopped: %(reason)s"), "params": {"reason": reason}}
            ),
        )
    )
    db.session.commit()


def error_text(job: Job) -> str:
    from flask_babel import gettext

    if not job.error:
        return ""
    try:
        error = json.loads(job.error)
        return gettext(error["message"], **error.get("params", {}))
    except (ValueError, KeyError, TypeError):
        return job.error


def title_text(job: Job) -> str:
    from flask_babel import gettext

    try:
        return gettext(job.title, **(job.title_params or {}))
    except (KeyError, ValueError, TypeError):
        return job.title


def visible(job: Job | None, user: Any) -> bool:
    """The submitter sees their job; admins see every job."""
    if job is None or not getattr(user, "is_authenticated", False):
        return False
    return job.user_id == user.id or "admin" in user.role_names


def recent(user: Any, limit: int = 50) -> list[Job]:
    query = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if "admin" not in user.role_names:
        query = query.where(Job.user_id == user.id)
    return list(db.session.scalars(query))
