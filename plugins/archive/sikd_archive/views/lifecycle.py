"""Retention (penyusutan) pages: due lists, proposals, approval, berita acara (being written)."""

from __future__ import annotations

from typing import Any

from sikd_archive.views import bp
from sikd_host.plugin_api import permission_required


@bp.route("/penyusutan")
@permission_required("archive.use")
def retention() -> Any:
    return "", 501
