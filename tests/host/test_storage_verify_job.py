"""``sikd storage verify --queue``: the verification as a job with a progress page (inline
here, without Redis), failing with a translated message when files are damaged."""

from __future__ import annotations

import io
import json
import re

from sikd_host.extensions import db
from sikd_host.jobs.models import Job
from sikd_host.models import utcnow
from sikd_host.storage import service as storage
from sikd_host.storage.jobs import KEY, VerifyFailed
from sikd_host.testing import log_in


def store(app, data: bytes) -> str:
    with app.app_context():
        info = storage.store(io.BytesIO(data), "surat.pdf")
        db.session.commit()
        return info.sha256


def pdf(text: str) -> bytes:
    return b"%PDF-1.4\n" + text.encode() + b"\n%%EOF\n"


def job_of(output: str) -> Job:
    job_id = re.search(r"job ([0-9a-f]{32})", output).group(1)
    return db.session.get(Job, job_id)


def test_verify_as_a_job_reports_its_progress(app, client, runner, make_user):
    for n in range(3):
        store(app, pdf(f"doc {n}"))
    result = runner.invoke(args=["storage", "verify", "--queue"])
    assert result.exit_code == 0, result.output
    assert "done (3 of 3)" in result.output
    with app.app_context():
        job = job_of(result.output)
        assert (job.status, job.done, job.total, job.key) == ("done", 3, 3, KEY)
        job_id = job.id
    make_user("boss", roles=["admin"])  # started from the command line: the admins' job
    assert log_in(client, "boss").status_code == 302
    shown = client.get(f"/jobs/{job_id}")
    assert shown.status_code == 200 and b"100%" in shown.data
    assert client.get(f"/jobs/{job_id}.json").json["status"] == "done"


def test_a_damaged_file_fails_the_job_with_the_counts(app, runner):
    store(app, pdf("good"))
    bad = store(app, pdf("bad"))
    with app.app_context():
        storage.blob_path(bad).write_bytes(b"changed")
    result = runner.invoke(args=["storage", "verify", "--queue", "--restart"])
    assert result.exit_code == 1
    with app.app_context():
        job = job_of(result.output)
        assert job.status == "failed"
        assert json.loads(job.error) == {
            "message": VerifyFailed.message,
            "params": {"mismatched": 1, "missing": 0},
        }
    assert f"job {job.id} failed: " in result.output


def test_one_verification_at_a_time(app, runner):
    with app.app_context():
        db.session.add(
            Job(id="a" * 32, function="sikd_host.storage.jobs:verify", params={}, title="x",
                title_params={}, key=KEY, status="running", created_at=utcnow())
        )  # fmt: skip
        db.session.commit()
    result = runner.invoke(args=["storage", "verify", "--queue"])
    assert result.exit_code == 1
    assert f"already running: /jobs/{'a' * 32}" in result.output
