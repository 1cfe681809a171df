"""SIKD records: naskah dinas with attachments, disposisi, klasifikasi and JRA with lawful
destruction, and full-text search. Loaded through the plugin machinery like any third
party's plugin; the hook implementations here only return declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sikd_archive import models  # noqa: F401 - registers the tables with the metadata
from sikd_host.plugin_api import MenuItem, Permission, Widget, hookimpl, org
from sikd_host.plugin_api import lazy_gettext as _l

__version__ = "0.1.0"


@hookimpl
def sikd_migrations() -> str:
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def sikd_protected_data() -> str:
    """Records leave only through penyusutan, never through a dropped table."""
    return (
        "Under UU 43/2009 a record may only be destroyed through penyusutan (a proposal, "
        "its approval by another user and the berita acara)."
    )


@hookimpl
def sikd_settings() -> dict[str, Any]:
    from sikd_archive.search import TEXT_SETTINGS

    return {"ARCHIVE_DEMO_LETTERS": 2000, **TEXT_SETTINGS}


@hookimpl
def sikd_blueprints() -> list[Any]:

    from sikd_archive.views import bp

    return [bp]


@hookimpl
def sikd_permissions() -> list[Permission]:
    return [
        Permission(
            "archive.use",
            _l("Use the records register"),
            _l("Open the records pages and the disposition inbox."),
            roles=("pegawai", "pimpinan", "arsiparis", "sdm"),
        ),
        Permission(
            "archive.register",
            _l("Register records"),
            _l("Register and edit naskah dinas, attach files, manage berkas."),
            roles=("arsiparis",),
        ),
        Permission(
            "archive.view_all",
            _l("See every record"),
            _l("See the records of every unit (except secret ones)."),
        ),
        Permission(
            "archive.view_secret",
            _l("See secret records"),
            _l("See Rahasia and Sangat Rahasia records."),
        ),
        Permission(
            "archive.manage_klasifikasi",
            _l("Manage the classification scheme"),
            _l("Edit and import klasifikasi codes and their JRA."),
            roles=("arsiparis",),
        ),
        Permission(
            "archive.manage",
            _l("Configure the records register"),
            _l("Maintain the lists the records pages offer, such as the disposition instructions."),
            roles=("arsiparis",),
        ),
        Permission(
            "archive.propose_destruction",
            _l("Propose destruction"),
            _l("Propose due records for destruction."),
            roles=("arsiparis",),
        ),
        Permission(
            "archive.approve_destruction",
            _l("Approve destruction"),
            _l("Approve another user's destruction proposal."),
            roles=("pimpinan",),
        ),
        Permission(
            "archive.legal_hold", _l("Set legal holds"), _l("Set or lift a legal hold on a record.")
        ),
        Permission(
            "archive.hand_over",
            _l("Hand over to ANRI"),
            _l("Record the hand-over of due permanent records to the national archive."),
            roles=("arsiparis",),
        ),
    ]


@hookimpl
def sikd_menu_items(user: Any) -> list[MenuItem]:
    return [
        MenuItem(
            "archive.inbox",
            _l("Inbox"),
            "archive.inbox",
            "archive.use",
            "archive",
            10,
            section_label=_l("Records (SIKD)"),
        ),
        MenuItem(
            "archive.records", _l("Records"), "archive.records_list", "archive.use", "archive", 20
        ),
        MenuItem("archive.search", _l("Search"), "archive.search", "archive.use", "archive", 30),
        MenuItem(
            "archive.berkas",
            _l("Case files"),
            "archive.berkas_list",
            "archive.register",
            "archive",
            40,
        ),
        MenuItem(
            "archive.klasifikasi",
            _l("Classification and JRA"),
            "archive.klasifikasi",
            "archive.use",
            "archive",
            50,
        ),
        MenuItem(
            "archive.instructions",
            _l("Disposition instructions"),
            "archive.instruction_list",
            "archive.manage",
            "archive",
            55,
        ),
        MenuItem(
            "archive.retention",
            _l("Retention"),
            "archive.retention",
            "archive.propose_destruction",
            "archive",
            60,
        ),
        MenuItem(
            "archive.proposals",
            _l("Destruction proposals"),
            "archive.proposals",
            "archive.approve_destruction",
            "archive",
            61,
        ),
    ]


@hookimpl
def sikd_cli(group: Any) -> list[Any]:
    from sikd_archive.cli import archive_cli

    return [archive_cli]


@hookimpl
def sikd_dashboard_widgets(user: Any) -> list[Widget]:
    if not user.has_permission("archive.use"):
        return []
    from sikd_archive.disposition import inbox_counts, overdue_sent

    widgets = [
        Widget(
            "archive.inbox",
            _l("My inbox"),
            "archive/widget_inbox.html",
            {"counts": inbox_counts(user)},
            order=20,
        )
    ]
    if org.subordinates_of(user):
        count, rows = overdue_sent(user)
        widgets.append(
            Widget(
                "archive.overdue",
                _l("Overdue dispositions"),
                "archive/widget_overdue.html",
                {"count": count, "rows": rows},
                order=21,
            )
        )
    if user.has_permission("archive.propose_destruction"):
        from sikd_archive.lifecycle import due_counts

        widgets.append(
            Widget(
                "archive.retention",
                _l("Due for a retention action"),
                "archive/widget_retention.html",
                {"counts": due_counts(user)},
                order=22,
            )
        )
    return widgets


@hookimpl(optionalhook=True)
def simantap_score_sources() -> list[Any]:
    """Workload and response time for Simantap, when Simantap is there to ask."""
    from sikd_archive.score_source import SikdActivity

    return [SikdActivity()]


@hookimpl(optionalhook=True)
def simantap_unit_activity(periods: Any) -> dict[str, dict[int, Any]]:
    """Disposition figures per work unit for Simantap's unit performance page."""
    from sikd_archive.unit_activity import unit_activity

    return unit_activity(periods)


@hookimpl
def sikd_demo_data(seed: int) -> str | None:
    from sikd_archive.demo import load_demo

    return load_demo(seed)
