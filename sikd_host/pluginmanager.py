"""Plugin discovery, state, live enable/disable and failure isolation.

Plugins are found through the ``sikd.plugins`` entry point group. Whether each is enabled
lives in the database (``plugin_state``); every process re-reads it at most every
``PLUGIN_STATE_TTL`` seconds (default 1) at the start of a request, so a change made by any
worker or host takes effect everywhere within that time, without a restart. A plugin is
imported only when it is to be active, and never in safe mode. Its failures (import,
initialisation, a clash with another plugin, a refused startup check) are recorded with
their traceback and the host keeps serving; ``SIKD_STRICT_PLUGINS=1`` re-raises them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
from flask import Flask, has_app_context
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from sikd_host import __version__, hookspecs
from sikd_host.frozen import copy_with
from sikd_host.i18n import N_

ENTRY_POINT_GROUP = "sikd.plugins"
HOST_DISTRIBUTION = "sikd-host"
log = logging.getLogger("sikd.plugins")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged (test runners swap it)."""

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def enable_trace_logging() -> None:
    """Let the trace lines of ``SIKD_TRACE_PLUGINS=1`` out: the ``sikd.plugins`` logger gets
    INFO and a handler writing to standard error (once per process, whatever the app count).
    Without it Python drops INFO lines of a logger nobody configured."""
    if not any(isinstance(handler, _StderrHandler) for handler in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        log.addHandler(handler)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)


Note = tuple[str, dict[str, Any]]  # an English msgid and its parameters, translated when shown


def english(notes: tuple[Note, ...]) -> str:
    """The notes in English, for logs and tests (pages translate them: ``translated``)."""
    return "; ".join(message % params if params else message for message, params in notes)


def translated(notes: tuple[Note, ...]) -> str:
    """The notes in the current interface language (needs an app context)."""
    from flask_babel import gettext

    return "; ".join(gettext(message, **params) for message, params in notes)


SCHEMA_BEHIND = N_("The schema is at %(current)s, its head is %(head)s: run sikd db upgrade.")
SCHEMA_MISSING = N_("The schema is not created yet (its head is %(head)s): run sikd db upgrade.")


class PluginTemplates(FileSystemLoader):
    """A plugin's ``templates/`` folder, found only while the plugin is active: a disabled
    plugin's templates cannot be included or extended by anyone else's either."""

    def __init__(self, record: PluginRecord, folder: Path):
        super().__init__(str(folder))
        self.record = record

    def get_source(self, environment: Environment, template: str) -> Any:
        if not self.record.active:
            raise TemplateNotFound(template)
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        return super().list_templates() if self.record.active else []


def normalised_rule(rule: str) -> str:
    """A URL rule with every variable part alike: ``/x/<int:id>`` and ``/x/<name>`` match
    the same URLs, so they clash."""
    return re.sub(r"<[^>]*>", "<>", rule)


class PluginRefused(Exception):
    """A plugin cannot be activated; ``notes`` say why (msgids with their parameters)."""

    def __init__(self, *notes: Note):
        self.notes = tuple(notes)
        super().__init__(english(self.notes))


def discover_entry_points() -> list[importlib.metadata.EntryPoint]:
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)


@dataclass
class PluginRecord:
    """What the host knows of one installed plugin, imported or not."""

    name: str
    entry_point: importlib.metadata.EntryPoint | None
    version: str = "?"
    description: str = ""
    distribution: str = ""
    host_spec: str = ""
    required_distributions: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    module: Any = None
    status: str = "discovered"
    notes: tuple[Note, ...] = ()  # why it is in this state: msgids, translated when shown
    error: str | None = None
    blueprint_names: list[str] = field(default_factory=list)
    initialised: bool = False

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def message(self) -> str:
        """Its notes in English (see ``translated`` for pages)."""
        return english(self.notes)

    @property
    def compatible(self) -> bool:
        return not self.host_spec or SpecifierSet(self.host_spec).contains(
            __version__, prereleases=True
        )

    @property
    def package_dir(self) -> Path | None:
        file = getattr(self.module, "__file__", None)
        return Path(file).parent if file else None


def record_for(entry_point: importlib.metadata.EntryPoint) -> PluginRecord:
    """Read a plugin's metadata without importing it."""
    record = PluginRecord(name=entry_point.name, entry_point=entry_point)
    dist = entry_point.dist
    if dist is None:
        return record
    record.version = dist.version
    record.description = dist.metadata.get("Summary") or ""
    record.distribution = canonicalize_name(dist.metadata["Name"])
    required = []
    for line in dist.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is not None:
            continue  # extras such as [test]
        name = canonicalize_name(requirement.name)
        if name == HOST_DISTRIBUTION:
            record.host_spec = str(requirement.specifier)
        else:
            required.append(name)
    record.required_distributions = tuple(required)
    return record


def dependency_order(records: list[PluginRecord]) -> list[PluginRecord]:
    """Plugins after the plugins they require (by distribution); ties by name."""
    by_dist = {r.distribution: r for r in records if r.distribution}
    for record in records:
        record.requires = tuple(
            by_dist[d].name for d in record.required_distributions if d in by_dist
        )
    ordered: list[PluginRecord] = []
    placed: set[str] = set()
    pending = sorted(records, key=lambda r: r.name)
    while pending:
        ready = [r for r in pending if set(r.requires) <= placed] or pending[:1]  # break cycles
        for record in ready:
            ordered.append(record)
            placed.add(record.name)
            pending.remove(record)
    return ordered


class _ProbeUser:
    """Stands in for a user when the host asks for every menu item a plugin may show."""

    id = None
    is_authenticated = True
    username = "probe"

    def has_permission(self, _name: str) -> bool:
        return True


class PluginHost:
    """The plugins of one Flask app: a pluggy manager plus per-plugin records and state."""

    def __init__(self, app: Flask):
        self.app = app
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.blueprint_owner: dict[str, str] = {}
        self.template_loader: ChoiceLoader = getattr(app, "plugin_templates", ChoiceLoader([]))
        self.safe_mode = bool(app.config.get("SAFE_MODE"))
        self.strict = bool(app.config.get("STRICT_PLUGINS"))
        self.trace = bool(app.config.get("TRACE_PLUGINS"))
        self.ttl = float(app.config.get("PLUGIN_STATE_TTL", 1.0))
        self._checked_at = float("-inf")
        self._lock = threading.RLock()
        self._permissions: dict[str, list[Any]] = {}
        self._menu_ids: dict[str, str] = {}
        self._probes: dict[str, pluggy.PluginManager] = {}
        self._trace_starts = threading.local()
        if self.trace:
            enable_trace_logging()

    # --- discovery and start-up ----------------------------------------------------

    def discover(self) -> None:
        records = [record_for(ep) for ep in discover_entry_points()]
        for record in dependency_order(records):
            self.records[record.name] = record

    def start(self) -> None:
        """Discover, then activate what should be active; called once by ``create_app``."""
        self.discover()
        self.sync(force=True)

    def add_plugin(self, obj: Any, name: str | None = None) -> PluginRecord:
        """Take a plugin object that no entry point names (tests, embedding apps)."""
        name = name or getattr(obj, "__name__", type(obj).__name__).rpartition(".")[2]
        doc = (getattr(obj, "__doc__", None) or "").strip()
        record = PluginRecord(
            name=name, entry_point=None, module=obj, description=doc.splitlines()[0] if doc else ""
        )
        self.records[name] = record
        self.sync(force=True)
        return record

    def ordered(self) -> list[PluginRecord]:
        return list(self.records.values())

    # --- state ------------------------------------------------------------------------

    def _decision(
        self, record: PluginRecord, enabled: dict[str, bool] | None
    ) -> tuple[bool, str, tuple[Note, ...]]:
        if self.safe_mode:
            return False, "safe-mode", ((N_("SIKD_SAFE_MODE is set: no plugin is loaded."), {}),)
        if not record.compatible:
            message = N_("%(name)s supports sikd-host %(spec)s; this host is %(version)s.")
            params = {"name": record.name, "spec": record.host_spec, "version": __version__}
            return False, "incompatible", ((message, params),)
        if enabled is None:
            return (
                False,
                "needs-upgrade",
                ((N_("The database has no schema yet: run sikd init."), {}),),
            )
        if record.name not in enabled:
            return False, "disabled", ((N_("Installed but not enabled yet."), {}),)
        if not enabled[record.name]:
            return False, "disabled", ()
        missing = [name for name in record.requires if not self._usable(name, enabled)]
        if missing:
            return (
                False,
                "disabled",
                ((N_("Needs the plugin(s) %(names)s."), {"names": ", ".join(missing)}),),
            )
        return True, "active", ()

    def _usable(self, name: str, enabled: dict[str, bool]) -> bool:
        record = self.records.get(name)
        return record is not None and record.status != "failed" and enabled.get(name, False)

    def sync(self, force: bool = False) -> None:
        """Bring this process in line with the database state (at most once per TTL)."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.ttl:
            return
        context = contextlib.nullcontext() if has_app_context() else self.app.app_context()
        with self._lock, context:
            if not force and now - self._checked_at < self.ttl:
                return
            from sqlalchemy.exc import SQLAlchemyError

            from sikd_host.plugin_state import read_enabled

            try:
                enabled = None if self.safe_mode else read_enabled()
            except SQLAlchemyError as error:  # keep the last known state; retry after the TTL
                log.warning("plugin state not read, keeping the last known one: %s", error)
                self._checked_at = time.monotonic()
                return
            for record in self.ordered():
                if record.status == "failed":
                    continue
                wanted, status, notes = self._decision(record, enabled)
                if wanted and not record.active:
                    self._activate(record)
                elif not wanted:
                    self._deactivate(record, status, notes)
            self._checked_at = time.monotonic()

    def retry(self, name: str) -> None:
        """Forget a failure so the next sync tries the plugin again (after a fix)."""
        record = self.records[name]
        if record.status == "failed":
            record.status, record.error, record.notes = "discovered", None, ()
            record.module, record.initialised = None, False
            self._probes.pop(name, None)

    # --- activation -------------------------------------------------------------------

    def _activate(self, record: PluginRecord) -> None:
        try:
            if record.module is None:
                record.module = self._import(record)
            if not record.initialised:
                self._initialise(record)
            from sikd_host.migrations import plugin_schema_state

            current, head = plugin_schema_state(self, record)
            if current != head:
                record.status = "needs-upgrade"
                message = SCHEMA_BEHIND if current else SCHEMA_MISSING
                record.notes = ((message, {"current": current, "head": head}),)
                return
            if not self.pm.is_registered(record.module):
                self.pm.register(record.module, name=record.name)
            if record.status != "active" and record.error is None:
                from sikd_host.plugin_state import record_error

                record_error(record.name, None)  # a stale error of an earlier run is cleared
            record.status, record.notes = "active", ()
        except Exception as error:  # noqa: BLE001 - isolate every plugin failure
            self._fail(record, error)

    def _import(self, record: PluginRecord) -> Any:
        """Import the plugin; refuse it when it defines tables without its name as prefix."""
        from sikd_host.extensions import db

        before = set(db.metadata.tables)
        module = record.entry_point.load() if record.entry_point else None
        foreign = sorted(
            t for t in set(db.metadata.tables) - before if not t.startswith(f"{record.name}_")
        )
        if foreign:
            raise PluginRefused(
                (
                    N_("%(name)s defines tables without the prefix %(prefix)s: %(tables)s"),
                    {
                        "name": record.name,
                        "prefix": f"{record.name}_",
                        "tables": ", ".join(foreign),
                    },
                )
            )
        return module

    def _fail(self, record: PluginRecord, error: Exception) -> None:
        self.record_failure(record, error)
        if self.strict:
            raise error

    def record_failure(self, record: PluginRecord, error: Exception) -> None:
        """Mark the plugin failed, with its traceback, in memory and in the database; log it.

        Never raises: callers that must stop (strict mode) re-raise themselves."""
        from sikd_host.plugin_state import record_error

        record.status = "failed"
        if isinstance(error, PluginRefused):
            record.notes = error.notes
        else:  # the plugin's own error text, shown as it is
            record.notes = ((str(error) or error.__class__.__name__, {}),)
        record.error = "".join(traceback.format_exception(error))
        log.error("plugin %s failed: %s", record.name, record.error)
        with contextlib.suppress(Exception):
            if record.module is not None and self.pm.is_registered(record.module):
                self.pm.unregister(record.module)
        record_error(record.name, record.error)

    def _deactivate(self, record: PluginRecord, status: str, notes: tuple[Note, ...]) -> None:
        if record.module is not None and self.pm.is_registered(record.module):
            self.pm.unregister(record.module)
        was_active = record.active
        record.status, record.notes = status, notes
        if was_active:  # compiled templates are cached: forget the plugin's
            self._forget_templates()

    def _forget_templates(self) -> None:
        cache = self.app.jinja_env.cache
        if cache is not None:
            cache.clear()

    def _probe(self, record: PluginRecord) -> pluggy.PluginManager:
        """A manager holding only this plugin, to read its declarations before it joins."""
        probe = self._probes.get(record.name)
        if probe is None:
            probe = pluggy.PluginManager(hookspecs.PROJECT)
            probe.add_hookspecs(hookspecs)
            probe.register(record.module, name=record.name)
            if self.trace:
                self._monitor(probe)
            self._probes[record.name] = probe
        return probe

    def _monitor(self, probe: pluggy.PluginManager) -> None:
        """Trace the calls made through a probe (start-up declarations, migrations, data
        protection): it holds one plugin, so the call's duration is that plugin's."""
        starts = self._trace_starts

        def before(_hook_name: str, _impls: Any, _kwargs: Any) -> None:
            starts.stack = [*getattr(starts, "stack", []), time.perf_counter()]

        def after(_outcome: Any, hook_name: str, impls: Any, _kwargs: Any) -> None:
            started = starts.stack.pop()
            for impl in impls:
                self._trace_line(hook_name, impl.plugin_name, started)

        probe.add_hookcall_monitoring(before, after)

    @staticmethod
    def _trace_line(hook_name: str, plugin: str, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        log.info("hook %s -> %s: %.3f ms", hook_name, plugin, elapsed)

    def collect_from(
        self, record: PluginRecord, hook_name: str, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call one plugin's implementation of a host hook, active or not (imports it)."""
        if record.module is None:
            record.module = self._import(record)
        results = getattr(self._probe(record).hook, hook_name)(**kwargs)
        return [(record.name, value) for value in results]

    def _initialise(self, record: PluginRecord) -> None:
        """Check the plugin's declarations against the house and register what lasts."""
        probe = self._probe(record)
        for specs in _flatten(probe.hook.sikd_hookspecs()):
            self.pm.add_hookspecs(specs)
        settings = _merge(probe.hook.sikd_settings())
        prefix = f"{record.name.upper()}_"
        foreign = sorted(key for key in settings if not key.startswith(prefix))
        if foreign:
            raise PluginRefused(
                (
                    N_("%(name)s declares settings without the prefix %(prefix)s: %(keys)s"),
                    {"name": record.name, "prefix": prefix, "keys": ", ".join(foreign)},
                )
            )
        self._apply_settings(settings)
        blueprints = _flatten(probe.hook.sikd_blueprints())
        permissions = _flatten(probe.hook.sikd_permissions())
        menu_ids = [item.id for item in _flatten(probe.hook.sikd_menu_items(user=_ProbeUser()))]
        self._check_clashes(record, blueprints, permissions, menu_ids)
        for message in probe.hook.sikd_startup_check(app=self.app):
            if message:
                raise PluginRefused(
                    (
                        N_("%(name)s refused to start: %(message)s"),
                        {"name": record.name, "message": str(message)},
                    )
                )
        with self._setup_allowed():
            for blueprint in blueprints:
                self.app.register_blueprint(blueprint)
                self.blueprint_owner[blueprint.name] = record.name
                record.blueprint_names.append(blueprint.name)
        if record.package_dir and (record.package_dir / "templates").is_dir():
            self.template_loader.loaders.append(
                PluginTemplates(record, record.package_dir / "templates")
            )
        if record.package_dir and (record.package_dir / "translations").is_dir():
            self._add_translations(record.package_dir / "translations")
        self._permissions[record.name] = permissions
        self._menu_ids.update({menu_id: record.name for menu_id in menu_ids})
        record.initialised = True

    def _check_clashes(
        self,
        record: PluginRecord,
        blueprints: list[Any],
        permissions: list[Any],
        menu_ids: list[str],
    ) -> None:
        from sikd_host.registry import HOST_MENU, HOST_PERMISSIONS

        def owner_of_blueprint(name: str) -> str:
            return self.blueprint_owner.get(name, "host")

        problems: list[Note] = []

        def clash(message: str, name: str, owner: str) -> None:
            problems.append((message, {"name": name, "owner": owner, "plugin": record.name}))

        for blueprint in blueprints:
            if blueprint.name in self.app.blueprints:
                clash(
                    N_("blueprint '%(name)s' is declared by both %(owner)s and %(plugin)s"),
                    blueprint.name,
                    owner_of_blueprint(blueprint.name),
                )
        existing_rules = {
            (normalised_rule(rule.rule), method): rule.endpoint.partition(".")[0]
            for rule in self.app.url_map.iter_rules()
            for method in rule.methods or ()
        }
        probe_app = Flask(f"probe_{record.name}")
        for blueprint in blueprints:
            probe_app.register_blueprint(blueprint)
        for rule in probe_app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                owner = existing_rules.get((normalised_rule(rule.rule), method))
                if owner is not None:
                    clash(
                        N_("URL rule %(name)s is declared by both %(owner)s and %(plugin)s"),
                        f"{rule.rule} ({method})",
                        owner_of_blueprint(owner),
                    )
                    break
        taken_permissions = {p.name: "host" for p in HOST_PERMISSIONS}
        for plugin, declared in self._permissions.items():
            taken_permissions.update({p.name: plugin for p in declared})
        for permission in permissions:
            if permission.name in taken_permissions:
                clash(
                    N_("permission '%(name)s' is declared by both %(owner)s and %(plugin)s"),
                    permission.name,
                    taken_permissions[permission.name],
                )
        taken_menus = {item.id: "host" for item in HOST_MENU}
        taken_menus.update(self._menu_ids)
        for menu_id in menu_ids:
            if menu_id in taken_menus:
                clash(
                    N_("menu id '%(name)s' is declared by both %(owner)s and %(plugin)s"),
                    menu_id,
                    taken_menus[menu_id],
                )
        if problems:
            raise PluginRefused(*problems)

    @contextlib.contextmanager
    def _setup_allowed(self) -> Iterator[None]:
        """Let a plugin enabled after the first request register its blueprints.

        Flask forbids setup once a request was served, to protect apps that are still being
        configured; here the registration happens under our lock, before any of the new
        rules can be matched, which is what live enabling needs.
        """
        served = self.app._got_first_request
        self.app._got_first_request = False
        try:
            yield
        finally:
            self.app._got_first_request = served

    def _add_translations(self, folder: Path) -> None:
        """Merge a plugin's catalogues after the host's (Flask-Babel caches per locale)."""
        babel = self.app.extensions.get("babel")
        if babel is None or str(folder) in babel.translation_directories:
            return
        babel.translation_directories.append(str(folder))
        babel.instance.domain_instance.cache.clear()

    def _apply_settings(self, defaults: dict[str, Any]) -> None:
        """Plugin settings: defaults < sikd.toml < SIKD_* (coerced) < create_app(config)."""
        from sikd_host.config import instance_overrides

        explicit = self.app.extensions.get("sikd_explicit_config", set())
        overrides = instance_overrides(Path(self.app.instance_path), defaults)
        for key, default in defaults.items():
            if key not in explicit:
                self.app.config[key] = overrides.get(key, default)

    # --- calling hooks ------------------------------------------------------------------

    def collect(
        self, hook_name: str, guard: Callable[[], Any] | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call each active plugin's implementation on its own: (plugin, result) pairs.

        A failing implementation is logged and its contribution left out, so one broken
        plugin never breaks the page. ``guard`` (e.g. ``db.session.begin_nested``) wraps each
        call, so that a failing plugin's half-written rows are rolled back alone.
        """
        caller = getattr(self.pm.hook, hook_name, None)
        if caller is None:
            return []
        results = []
        for impl in reversed(caller.get_hookimpls()):  # pluggy keeps them newest first
            started = time.perf_counter()
            try:
                with guard() if guard else contextlib.nullcontext():
                    value = impl.function(*[kwargs[name] for name in impl.argnames])
            except Exception:  # noqa: BLE001
                log.exception("plugin %s: hook %s failed", impl.plugin_name, hook_name)
                continue
            finally:
                if self.trace:
                    self._trace_line(hook_name, impl.plugin_name, started)
            if value is not None:
                results.append((impl.plugin_name, value))
        return results

    def declarations(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Flattened list results of a collector hook, each tagged with its plugin."""
        items = []
        for plugin, values in self.collect(hook_name, **kwargs):
            for value in values:
                if dataclasses.is_dataclass(value) and hasattr(value, "plugin"):
                    value = copy_with(value, plugin=plugin)
                items.append(value)
        return items

    def permissions_of(self, name: str) -> list[Any]:
        """The permissions a loaded plugin declared (empty when it never loaded)."""
        return list(self._permissions.get(name, []))

    def is_active_blueprint(self, blueprint: str | None) -> bool:

        owner = self.blueprint_owner.get(blueprint or "")
        return owner is None or self.records[owner].active

    def hook_names(self, record: PluginRecord) -> list[str]:
        if record.module is None:
            return []
        return sorted(
            name
            for name in dir(record.module)
            if self.pm.parse_hookimpl_opts(record.module, name) is not None
        )


def _flatten(results: list[Any]) -> list[Any]:
    return [item for result in results if result for item in result]


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for result in results:
        merged.update(result or {})
    return merged


def current_host(app: Flask | None = None) -> PluginHost:
    from flask import current_app

    return (app or current_app).extensions["sikd_plugins"]
