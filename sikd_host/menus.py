"""Side-menu items and dashboard widgets: declarations the host assembles per user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for


@dataclass(frozen=True)
class MenuItem:
    """A link in the side menu. ``section`` groups items under ``section_label`` (the first
    label given for a section wins); lower ``order`` comes first."""

    id: str
    label: Any
    endpoint: str
    permission: str | None = None
    section: str = "main"
    order: int = 100
    section_label: Any = None
    url_values: dict[str, Any] = field(default_factory=dict)
    plugin: str = "host"
    href: str | None = None  # filled in by the host once the URL is built

    @property
    def url(self) -> str:
        return self.href if self.href is not None else url_for(self.endpoint, **self.url_values)


@dataclass(frozen=True)
class Widget:
    """A dashboard card rendered from ``template`` with ``context``."""

    id: str
    title: Any
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    width: int = 6  # Bootstrap columns out of 12 on wide screens
    plugin: str = "host"


def visible(items: list[MenuItem], user: Any) -> list[MenuItem]:
    """The items the user may open, by order, then id (not by label: translating every
    label to sort them cost more than the rest of the menu)."""
    return sorted(
        (item for item in items if item.permission is None or user.has_permission(item.permission)),
        key=lambda item: (item.order, item.id),
    )
