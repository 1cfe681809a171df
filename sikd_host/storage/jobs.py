"""Storage verification as a job (``sikd storage verify --queue``): with Redis it runs in
``sikd worker`` and its progress shows on ``/jobs/<id>``; without Redis it runs inline."""

from __future__ import annotations

from typing import Any

from sikd_host.i18n import N_
from sikd_host.storage import service

TITLE = N_("Verification of the stored files")
KEY = "storage.verify"  # one verification at a time


class VerifyFailed(Exception):
    """Some stored files are changed or missing: the job fails with a translated message."""

    message = N_(
        "%(mismatched)s stored file(s) do not match their hash and %(missing)s are missing; "
        "`sikd storage verify --restart` lists them."
    )

    def __init__(self, report: service.VerifyReport):
        self.params = {"mismatched": len(report.mismatched), "missing": len(report.missing)}
        super().__init__(self.message % self.params)


def verify(progress: Any, restart: bool = False, batch: int = 500) -> str:
    """Re-hash every stored file (resuming an interrupted run unless ``restart``)."""
    resume = not restart
    progress(total=service.verify_pending(resume))
    report = service.verify(resume=resume, batch=batch, progress=lambda n: progress(n))
    if not report.ok:
        raise VerifyFailed(report)
    return ""
