"""What the host assembles for each page: permissions, the side menu and dashboard widgets.

The host declares its own items here; plugins add theirs through hooks (see hookspecs.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from sikd_host.frozen import copy_with
from sikd_host.menus import MenuItem, Widget, visible
from sikd_host.permissions import HOST_PERMISSIONS, Permission

log = logging.getLogger("sikd.plugins")

SECTION_LABELS = {"main": _l("Main"), "admin": _l("Administration")}

HOST_MENU = (
    MenuItem("dashboard", _l("Dashboard"), "portal.dashboard", order=0),
    MenuItem("profile", _l("My profile"), "portal.profile", order=1),
    MenuItem("admin.users", _l("Users"), "admin.users", "admin.users", "admin", 10),
    MenuItem("admin.roles", _l("Roles"), "admin.roles", "admin.roles", "admin", 20),
    MenuItem("admin.units", _l("Units"), "org.units", "admin.org", "admin", 30),
    MenuItem("admin.positions", _l("Positions"), "org.positions", "admin.org", "admin", 40),
    MenuItem("admin.audit", _l("Audit log"), "audit.events", "admin.audit", "admin", 50),
    MenuItem("admin.plugins", _l("Plugins"), "plugins.index", "admin.plugins", "admin", 60),
)


def _plugins() -> Any:
    from sikd_host.pluginmanager import current_host

    return current_host()


def all_permissions() -> list[Permission]:
    """The host's permissions and those of every active plugin."""
    return list(HOST_PERMISSIONS) + _plugins().declarations("sikd_permissions")


@dataclass(frozen=True)
class MenuSection:
    key: str
    label: Any
    items: list[MenuItem]


def menu_items(user: Any) -> list[MenuSection]:
    """Visible items grouped by section (main first, admin last); first declaration of an id
    wins."""
    items: dict[str, MenuItem] = {}
    for item in list(HOST_MENU) + _plugins().declarations("sikd_menu_items", user=user):
        items.setdefault(item.id, item)
    grouped: dict[str, list[MenuItem]] = {"main": []}
    labels = dict(SECTION_LABELS)
    for item in _with_urls(visible(list(items.values()), user)):
        grouped.setdefault(item.section, []).append(item)
        if item.section_label is not None:
            labels.setdefault(item.section, item.section_label)
    order = sorted(grouped, key=lambda key: (key == "admin", key != "main"))
    return [MenuSection(key, labels.get(key, key), grouped[key]) for key in order if grouped[key]]


def _with_urls(items: list[MenuItem]) -> list[MenuItem]:
    """Each item with its URL built; an item whose URL cannot be built (an endpoint that does
    not exist, missing values) is logged and left out, so it never breaks the page."""
    built = []
    for item in items:
        try:
            href = _url_of(item)
        except Exception:  # noqa: BLE001 - a plugin's mistake must not break every page
            log.exception("plugin %s: menu item %s has no URL; left out", item.plugin, item.id)
            continue
        built.append(copy_with(item, href=href))
    return built


MENU_URLS_KEPT = 1000


def _url_of(item: MenuItem) -> str:
    """The item's URL, remembered per application and script root: every page builds the
    same menu URLs. A URL given by the plugin is used as it is, and items whose values cannot
    be a key, or ask for something of the request (``_external``, ``_scheme``), are built
    each time."""
    if item.href is not None:
        return item.href
    values = item.url_values
    try:
        key = (
            request.script_root,
            item.endpoint,
            frozenset((name, type(value), value) for name, value in values.items()),
        )
    except TypeError:
        return item.url
    if any(name.startswith("_") for name in values):
        return item.url
    urls = current_app.extensions.setdefault("sikd_menu_urls", {})
    url = urls.get(key)
    if url is None:
        url = item.url
        if len(urls) >= MENU_URLS_KEPT:  # values that differ per user: keep it bounded
            urls.clear()
        urls[key] = url
    return url


def slot(name: str, **context: Any) -> Markup:
    """The HTML plugins contribute to a named slot of a host page."""
    parts = _plugins().declarations("sikd_template_slot", slot=name, context=context)
    return Markup("\n").join(Markup(part) for part in parts)


def dashboard_widgets(user: Any) -> list[Widget]:
    widgets = [
        Widget("welcome", _l("Welcome"), "widgets/welcome.html", {"user": user}, order=0),
    ]
    if user.has_permission("admin.users"):
        from sikd_host.admin.stats import host_counts

        widgets.append(
            Widget(
                "host-counts",
                _l("Institution"),
                "widgets/counts.html",
                {"counts": host_counts()},
                order=10,
            )
        )
    widgets += _plugins().declarations("sikd_dashboard_widgets", user=user)
    return sorted(widgets, key=lambda widget: widget.order)


@pass_context
def render_widget(context: Context, widget: Widget) -> Markup | None:
    """The body of a dashboard widget, rendered with the page's context (as an ``include``
    would be), or None when its template is missing or fails: the error is logged and the
    dashboard shows the other widgets."""
    try:
        template = context.environment.get_template(widget.template)
        return Markup(template.render({**context.get_all(), "widget": widget}))
    except Exception:  # noqa: BLE001
        log.exception("plugin %s: widget %s failed to render; left out", widget.plugin, widget.id)
        return None
