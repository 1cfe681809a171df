"""The progress view of a job (HTML that refreshes itself while the job runs, and JSON),
and the list of the user's recent jobs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template
from flask_login import current_user, login_required

from sikd_host.extensions import db
from sikd_host.jobs import service
from sikd_host.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _visible_job(job_id: str) -> Job:
    job = db.session.get(Job, job_id) if len(job_id) == 32 else None
    if not service.visible(job, current_user):
        abort(404)  # someone else's job does not exist for this user
    if job.status in service.UNFINISHED and service.queued():
        from sikd_host.jobs import queue

        queue.check_lost(job.id)
        db.session.refresh(job)
    return job


@bp.route("/")
@login_required
def index() -> Any:
    jobs = service.recent(current_user)
    return render_template("jobs/index.html", jobs=[(job, service.title_text(job)) for job in jobs])


@bp.route("/<job_id>")
@login_required
def show(job_id: str) -> Any:
    job = _visible_job(job_id)
    return render_template(
        "jobs/show.html",
        job=job,
        title=service.title_text(job),
        error=service.error_text(job),
    )


@bp.route("/<job_id>.json")
@login_required
def status(job_id: str) -> Any:
    job = _visible_job(job_id)
    return jsonify(
        id=job.id,
        title=service.title_text(job),
        status=job.status,
        done=job.done,
        total=job.total,
        percent=job.percent,
        step=job.step,
        link=job.result_link or None,
        error=service.error_text(job) or None,
    )
