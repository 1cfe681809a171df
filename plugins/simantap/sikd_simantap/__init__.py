"""Simantap, civil-servant talent management inside SIKD: talent data, the 360
assessment, explainable scoring and the nine-box. Loaded through the plugin machinery like
any third party's plugin; the hook implementations here only return declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sikd_host.plugin_api import MenuItem, Permission, hookimpl
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import models  # noqa: F401 - registers the tables with the metadata

__version__ = "0.1.0"


@hookimpl
def sikd_migrations() -> str:
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def sikd_hookspecs() -> list[Any]:
    from sikd_simantap import hookspecs

    return [hookspecs]


@hookimpl
def sikd_blueprints() -> list[Any]:
    from sikd_simantap.views import bp

    return [bp]


@hookimpl
def sikd_permissions() -> list[Permission]:
    return [
        Permission(
            "simantap.use",
            _l("Use Simantap"),
            _l("Fill in one's own 360 forms and see one's own published results."),
            roles=("pegawai", "pimpinan", "sdm"),
        ),
        Permission(
            "simantap.manage",
            _l("Manage talent management"),
            _l("Import talent data, run periods, the 360 assessment and scoring runs."),
            roles=("sdm",),
        ),
        Permission(
            "simantap.view_all",
            _l("See every employee's results"),
            _l("See the results and talent data of every employee (never who rated whom)."),
            roles=("sdm",),
        ),
    ]


@hookimpl
def sikd_cli(group: Any) -> list[Any]:
    from sikd_simantap.cli import simantap_cli

    return [simantap_cli]


@hookimpl
def sikd_menu_items(user: Any) -> list[MenuItem]:
    return [
        MenuItem(
            "simantap.home",
            _l("Talent management"),
            "simantap.home",
            permission="simantap.use",
            section="simantap",
            order=10,
            section_label="Simantap",
        )
    ]
