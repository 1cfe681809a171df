"""Every hook is documented in its docstring and in docs/hooks.md; no plugin implements a
hook that does not exist."""

import inspect
import re
from pathlib import Path

from sikd_host import hookspecs
from sikd_host.pluginmanager import current_host

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def hookspec_functions():
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("sikd_")
    }


def test_every_hookspec_has_a_full_docstring():
    specs = hookspec_functions()
    assert len(specs) >= 11
    for name, function in specs.items():
        doc = inspect.getdoc(function) or ""
        assert "Called" in doc, f"{name}: say when it is called"
        assert "Return" in doc or "return" in doc, f"{name}: say what it returns"
        assert "Collector" in doc or "firstresult" in doc or "per plugin" in doc, (
            f"{name}: say whether it is a collector or firstresult"
        )


def test_every_hookspec_is_in_docs_hooks_md():
    text = DOCS.read_text()
    for name, function in hookspec_functions().items():
        arguments = ", ".join(inspect.signature(function).parameters)
        heading = f"## `{name}({arguments})`"
        assert heading in text, f"docs/hooks.md lacks the heading {heading}"
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        assert "```python" in section, f"{name}: docs/hooks.md needs an example"
        assert re.search(r"\*\*Returns", section), f"{name}: docs/hooks.md must say what it returns"


def test_docs_name_no_hook_that_does_not_exist():
    documented = set(re.findall(r"^## `(sikd_\w+)\(", DOCS.read_text(), re.MULTILINE))
    assert documented == set(hookspec_functions())


def test_no_plugin_implements_an_unknown_hook(app):
    host = current_host(app)
    assert all(record.active for record in host.records.values())
    host.pm.check_pending()  # raises PluginValidationError for an unknown, non-optional hook


def test_check_pending_catches_a_misspelt_hook(app, register_plugin):
    import pytest
    from pluggy import PluginValidationError

    from sikd_host.plugin_api import hookimpl

    class Misspelt:
        @hookimpl
        def sikd_menu_itemz(self, user):
            return []

    register_plugin(Misspelt(), "misspelt")
    with pytest.raises(PluginValidationError):
        current_host(app).pm.check_pending()


def plugin_hookspecs(app):
    """Every hookspec a loaded plugin publishes through ``sikd_hookspecs``: name -> function."""
    host = current_host(app)
    found = {}
    for record in host.records.values():
        if not record.active:
            continue
        for _plugin, modules in host.collect_from(record, "sikd_hookspecs"):
            for module in modules or []:
                for name in dir(module):
                    if host.pm.parse_hookspec_opts(module, name) is not None:
                        found[name] = getattr(module, name)
    return found


def test_every_hook_a_plugin_publishes_is_documented(app):
    specs = plugin_hookspecs(app)
    assert {"simantap_score_sources", "simantap_unit_activity"} <= set(specs)
    text = DOCS.read_text()
    for name, function in specs.items():
        doc = inspect.getdoc(function) or ""
        assert "Called" in doc, f"{name}: say when it is called"
        assert "return" in doc.lower(), f"{name}: say what it returns"
        assert "Collector" in doc or "firstresult" in doc, f"{name}: collector or firstresult?"
        arguments = ", ".join(inspect.signature(function).parameters)
        heading = f"### `{name}({arguments})`"
        assert heading in text, f"docs/hooks.md lacks the heading {heading}"
        section = re.split(r"\n#{2,3} ", text.split(heading, 1)[1], maxsplit=1)[0]
        assert re.search(r"\*\*Returns", section), f"{name}: docs/hooks.md must say it returns"
        assert "```python" in section, f"{name}: docs/hooks.md needs an example"
