"""Rebuilding the search index as a job (``sikd archive reindex --queue``): with Redis it runs
in ``sikd worker`` and its progress shows on ``/jobs/<id>``; without Redis it runs inline."""

from __future__ import annotations

from typing import Any

from sikd_host.plugin_api import N_

TITLE = N_("Rebuilding the search index of the records")
KEY = "archive.reindex"  # one rebuild at a time


def reindex(progress: Any, chunk: int = 1000) -> str:
    """Rebuild the full-text index, ``chunk`` records per transaction."""
    from sikd_archive import search

    progress(total=search.indexable_count())
    search.reindex(chunk=chunk, progress=lambda n: progress(n))
    return ""
