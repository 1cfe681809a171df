"""Simantap, civil-servant talent management inside SIKD: talent data, the 360
assessment, explainable scoring and the nine-box. Loaded through the plugin machinery like
any third party's plugin; the hook implementations here only return declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sikd_host.plugin_api import MenuItem, Permission, hookimpl, org
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
            "simantap.succession",
            _l("See and manage succession plans"),
            _l(
                "The register of critical positions, the talent pool, succession plans and "
                "candidate comparisons: for HR and the placement committee."
            ),
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
def sikd_dashboard_widgets(user: Any) -> list[Any]:
    from sikd_simantap.widgets import widgets_for

    return widgets_for(user)


@hookimpl(trylast=True)  # after the archive's demo, so the run sees SIKD activity
def sikd_demo_data(seed: int) -> str | None:
    from sikd_simantap.demo import load_demo

    return load_demo(seed)


@hookimpl
def sikd_menu_items(user: Any) -> list[MenuItem]:
    def item(key: str, label: Any, endpoint: str, permission: str, order: int) -> MenuItem:
        return MenuItem(key, label, endpoint, permission, "simantap", order)

    items = [
        MenuItem(
            "simantap.home",
            _l("Talent management"),
            "simantap.home",
            permission="simantap.use",
            section="simantap",
            order=10,
            section_label="Simantap",
        ),
        item("simantap.my_result", _l("My results"), "simantap.my_result", "simantap.use", 11),
        item(
            "simantap.my_assessment",
            _l("My 360 assessment"),
            "simantap.my_assessment",
            "simantap.use",
            12,
        ),
        item("simantap.periods", _l("Periods"), "simantap.period_list", "simantap.manage", 30),
        item("simantap.runs", _l("Scoring runs"), "simantap.runs_page", "simantap.manage", 35),
        item(
            "simantap.import",
            _l("Import talent data"),
            "simantap.import_file",
            "simantap.manage",
            40,
        ),
    ]
    items += [
        item("simantap.critical", _l("Critical positions"), "simantap.critical_list",
             "simantap.succession", 50),
        item("simantap.pool", _l("Talent pool"), "simantap.talent_pool", "simantap.succession", 51),
        item("simantap.candidates", _l("Find candidates"), "simantap.candidates",
             "simantap.succession", 52),
    ]  # fmt: skip
    if _sees_others(user):  # HR, and leaders for their own subtree
        items += [
            item("simantap.ninebox", _l("Nine-box"), "simantap.ninebox", "simantap.use", 20),
            item("simantap.employees", _l("Employees"), "simantap.employees", "simantap.use", 25),
        ]
    if _sees_others(user) or user.has_permission("simantap.succession"):
        items.append(
            item("simantap.units", _l("Work-unit performance"), "simantap.units_page",
                 "simantap.use", 26)
        )  # fmt: skip
    # HR and the placement committee: the fairness view and the printable reports
    reader = next(
        (p for p in ("simantap.succession", "simantap.view_all") if user.has_permission(p)), None
    )
    if reader:
        items += [
            item("simantap.fairness", _l("Fairness"), "simantap.fairness", reader, 53),
            item("simantap.reports", _l("Talent mapping reports"), "simantap.reports", reader, 54),
        ]
    return items


def _sees_others(user: Any) -> bool:
    return user.has_permission("simantap.view_all") or org.leads_unit(user)
