"""Full-text search page (being written)."""

from __future__ import annotations

from typing import Any

from sikd_archive.views import bp
from sikd_host.plugin_api import permission_required


@bp.route("/cari")
@permission_required("archive.use")
def search() -> Any:
    return "", 501
