"""Every hook the host calls. Plugins implement them with ``@hookimpl`` from ``plugin_api``.

Conventions, as in datasette: hooks return *declarations* (blueprints, ``MenuItem``,
``Permission``, ``Widget`` ...) and the host registers them, checks names for clashes and
tags each with its plugin. Collector hooks return a list from every plugin; ``firstresult``
hooks stop at the first non-None answer. Hooks are called per request or per batch, never
per row. Every hook here is documented again, with an example, in docs/hooks.md.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "sikd"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def sikd_blueprints() -> list[Any]:
    """Flask blueprints the plugin serves.

    Called once when the plugin is loaded in a process. Collector: return a list of
    ``flask.Blueprint``. Blueprint names and URL rules must not clash with the host's or
    another plugin's; a clash refuses the later plugin. While the plugin is disabled its
    URLs answer 404.
    """


@hookspec
def sikd_permissions() -> list[Any]:
    """Permissions the plugin declares, so that admins can tick them on roles.

    Called when the plugin is loaded and whenever the host lists permissions (the roles
    page). Collector: return a list of ``plugin_api.Permission``; names are conventionally
    ``<plugin>.<right>`` (``archive.view_all``) and must be unique across the house.
    """


@hookspec
def sikd_menu_items(user: Any) -> list[Any]:
    """Side-menu items for ``user`` (the logged-in user).

    Called on every page render for an authenticated user. Collector: return a list of
    ``plugin_api.MenuItem``; items whose ``permission`` the user lacks are hidden by the host,
    so a plugin may return all its items. Item ids must be unique across the house.
    """


@hookspec
def sikd_dashboard_widgets(user: Any) -> list[Any]:
    """Dashboard cards for ``user``.

    Called when the dashboard is rendered. Collector: return a list of ``plugin_api.Widget``
    (a template name and its context); return only what this user may see. Do set-based
    queries here: the dashboard is the most visited page.
    """


@hookspec
def sikd_template_slot(slot: str, context: dict[str, Any]) -> list[Any]:
    """HTML for a named slot of a host page, such as ``profile.sections``.

    Called when a page renders ``{{ slot("name", ...) }}``; ``context`` holds the page's
    values (for ``profile.sections``: ``user``). Collector: return a list of HTML strings
    (``Markup`` or text from ``render_template``), or an empty list for slots the plugin
    does not fill. Slots let plugins add sections without overriding whole pages.
    """


@hookspec
def sikd_cli(group: Any) -> list[Any]:
    """Commands for the ``sikd`` command line.

    Called once when the command line is built; ``group`` is the root ``sikd`` click group,
    for plugins that want to inspect it. Collector: return a list of ``click.Command`` or
    ``click.Group`` to add at the top level (``sikd archive ...``). Only enabled plugins
    contribute commands.
    """


@hookspec
def sikd_demo_data(seed: int) -> str | None:
    """Load the plugin's demo data into the current transaction.

    Called by ``sikd demo`` after the host's demo institution exists, in dependency order;
    ``seed`` is the fixed demo seed, so every start looks the same. Do not commit: the host
    commits once. Collector: return a one-line summary to print, or None. Must be
    idempotent: do nothing when the data is already there.
    """


@hookspec
def sikd_migrations() -> str | None:
    """The folder of the plugin's Alembic revision files.

    Called per plugin (the host calls each plugin's implementation on its own, so this is
    neither a collector nor firstresult) by
    ``sikd db upgrade`` and the plugins page. Return the path of the ``versions`` folder; the
    host runs it with the version table ``alembic_version_<plugin>``. Plugin tables must be
    prefixed ``<plugin>_``. Return None when the plugin has no tables.
    """


@hookspec
def sikd_protected_data() -> str | None:
    """Why the plugin's data may never be dropped by a schema downgrade, if it may not.

    Called per plugin by ``sikd db downgrade --plugin <name>``, before anything changes.
    Return None (or leave the hook out) for ordinary data, which ``--drop-data`` may drop;
    or a message saying why the data is protected (a law, a procedure). Then, while any of
    the plugin's tables holds a row, every downgrade of the plugin is refused with that
    message and exit status 1, and no option overrides it. With its tables empty the
    downgrade runs: it drops nothing.
    """


@hookspec
def sikd_startup_check(app: Any) -> str | None:
    """A check run when the plugin is loaded, able to refuse it.

    Called once per process with the Flask app, after the plugin's declarations were
    checked. Collector (of this one plugin's answers): return None when all is well, or a
    message (shown on the plugins page and by ``sikd plugins list``) to refuse loading, e.g.
    a missing system tool.
    """


@hookspec
def sikd_settings() -> dict[str, Any]:
    """The plugin's settings and their defaults.

    Called when the plugin is loaded. Collector: return a dict of upper-case names (without
    prefix) to defaults, e.g. ``{"ARCHIVE_PAGE_SIZE": 50}``. The host fills in values from
    ``instance/sikd.toml`` and ``SIKD_*`` environment variables, coerced to the default's
    type; plugins read them with ``plugin_api.settings()``.
    """


@hookspec
def sikd_hookspecs() -> list[Any]:
    """Modules of hookspecs this plugin offers to other plugins.

    Called once when the plugin is loaded, before its other hooks. Collector: return a list
    of modules (or classes) whose functions are marked with ``plugin_api.hookspec``. Simantap
    publishes ``simantap_score_sources`` this way. A plugin implementing a hook of a plugin
    that may be absent marks it ``@hookimpl(optionalhook=True)``.
    """
