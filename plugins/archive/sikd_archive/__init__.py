"""SIKD records (naskah dinas, disposisi, klasifikasi and JRA): a placeholder until the
archive issue fills it in, loaded through the plugin machinery like any third party's."""

from __future__ import annotations

from typing import Any

from sikd_host.plugin_api import MenuItem, Permission, hookimpl
from sikd_host.plugin_api import lazy_gettext as _l

__version__ = "0.1.0"


@hookimpl
def sikd_blueprints() -> list[Any]:
    from sikd_archive.views import bp

    return [bp]


@hookimpl
def sikd_permissions() -> list[Permission]:
    return [Permission("archive.use", _l("Use the records register"),
                       _l("Open the records (naskah dinas) pages."))]


@hookimpl
def sikd_menu_items(user: Any) -> list[MenuItem]:
    return [MenuItem("archive.home", _l("Records"), "archive.home", permission="archive.use",
                     section="archive", order=10)]
