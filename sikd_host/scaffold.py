"""``sikd plugin new NAME``: a working plugin distribution from the template folder.

Files under ``scaffold_template/`` are copied with ``$name``, ``$title`` and ``$host_spec``
substituted (``string.Template``); ``__name__`` in a path becomes the plugin name.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from sikd_host import __version__

TEMPLATE_DIR = Path(__file__).parent / "scaffold_template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
RESERVED = {
    "host",
    "admin",
    "auth",
    "static",
    "plugins",
    "org",
    "audit",
    "portal",
    "storage",
    "notifications",
}


class ScaffoldError(ValueError):
    pass


def scaffold(name: str, directory: Path) -> Path:
    """Create ``directory/sikd-<name>`` and return its path."""
    if not NAME.match(name) or name in RESERVED:
        raise ScaffoldError(
            f"invalid plugin name {name!r}: use 2-31 lower-case letters, digits or _, "
            f"starting with a letter, and not one of {', '.join(sorted(RESERVED))}"
        )
    target = directory / f"sikd-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists")
    major, minor = __version__.split(".")[:2]
    values = {
        "name": name,
        "title": name.replace("_", " ").title(),
        "host_spec": f">={major}.{minor},<{major}.{int(minor) + 1}",
    }
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = Path(str(source.relative_to(TEMPLATE_DIR)).replace("__name__", name))
        destination = target / relative.with_name(relative.name.removesuffix(".tmpl"))
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text()).substitute(values))
    return target
