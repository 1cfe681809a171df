"""The Alembic runner: the host's schema first, then each plugin's, each with its own
version table (``alembic_version`` for the host, ``alembic_version_<plugin>`` for plugins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine

HOST_MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Track:
    """One migration history: the host's or a plugin's."""

    name: str
    versions_dir: Path
    version_table: str
    metadata: MetaData | None = None
    table_prefix: str | None = None  # plugin tables start with "<plugin>_"
    foreign_prefixes: tuple[str, ...] = ()  # for the host: every plugin's prefix

    def include_name(self, name: str | None, type_: str, _parent: Any) -> bool:
        if type_ != "table" or name is None:
            return True
        if name.startswith("alembic_version"):
            return False
        if "_fts" in name:  # engine-specific search objects (FTS5, tsvector) live outside models
            return False
        if self.table_prefix is None:  # the host: every table that is not a plugin's
            return not name.startswith(self.foreign_prefixes)
        return name.startswith(self.table_prefix)

    def include_object(
        self, obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
    ) -> bool:
        """The model side of the same filter, so autogenerate drafts only this track."""
        if type_ == "table":
            return self.include_name(name, type_, None)
        table = getattr(obj, "table", None)
        return table is None or self.include_name(table.name, "table", None)


def host_track(plugin_names: tuple[str, ...] = ()) -> Track:
    from sikd_host.extensions import db

    return Track(
        "host",
        HOST_MIGRATIONS / "versions",
        "alembic_version",
        db.metadata,
        foreign_prefixes=tuple(f"{name}_" for name in plugin_names),
    )


def _config(track: Track, connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HOST_MIGRATIONS))
    config.set_main_option("version_locations", str(track.versions_dir))
    config.set_main_option("path_separator", "os")
    config.attributes.update(
        connection=connection,
        version_table=track.version_table,
        target_metadata=track.metadata,
        include_name=track.include_name,
        include_object=track.include_object,
    )
    return config


def _run(engine: Engine, track: Track, action: Callable[[Config], None]) -> None:
    with engine.begin() as connection:
        action(_config(track, connection))


def upgrade(engine: Engine, track: Track, revision: str = "heads") -> None:
    _run(engine, track, lambda config: command.upgrade(config, revision))


def downgrade(
    engine: Engine,
    track: Track,
    revision: str,
    check: Callable[[list[str]], None] | None = None,
) -> None:
    """Downgrade ``track`` to ``revision``. ``check`` is called first with the track's tables
    that hold rows, inside the downgrade's own transaction and after those tables are locked
    against writes (PostgreSQL; SQLite refuses a write after a stale read by itself), so
    nothing written meanwhile can slip past it; it raises to refuse."""

    def action(config: Config) -> None:
        if check is not None:
            check(_tables_with_rows(config.attributes["connection"], track, lock=True))
        command.downgrade(config, revision)

    _run(engine, track, action)


def current_revision(engine: Engine, track: Track) -> str | None:
    return _revision_in(engine, track.version_table)


def _revision_in(engine: Engine, table: str) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": table})
        return context.get_current_revision()


def head_revision(track: Track) -> str | None:
    config = Config()
    config.set_main_option("script_location", str(HOST_MIGRATIONS))
    config.set_main_option("version_locations", str(track.versions_dir))
    config.set_main_option("path_separator", "os")
    return ScriptDirectory.from_config(config).get_current_head()


def revision(engine: Engine, track: Track, message: str, autogenerate: bool = True) -> None:
    """Write a new migration for ``track`` (a developer's command)."""
    _run(
        engine,
        track,
        lambda config: command.revision(
            config, message=message, autogenerate=autogenerate, version_path=str(track.versions_dir)
        ),
    )


def tables_with_rows(engine: Engine, track: Track) -> list[str]:
    """The track's existing tables that hold at least one row."""
    with engine.connect() as connection:
        return _tables_with_rows(connection, track)


def _tables_with_rows(connection: Connection, track: Track, lock: bool = False) -> list[str]:
    from sqlalchemy import inspect, select, table

    if not track.table_prefix:
        return []
    names = sorted(
        name
        for name in inspect(connection).get_table_names()
        if name.startswith(track.table_prefix) and "_fts" not in name
    )
    if lock and names and connection.dialect.name == "postgresql":
        quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
        connection.exec_driver_sql(f"LOCK TABLE {quoted} IN SHARE MODE")
    return [
        name
        for name in names
        if connection.execute(select(1).select_from(table(name)).limit(1)).first()
    ]


def version_table(plugin: str) -> str:
    return f"alembic_version_{plugin}"


def plugin_track(host: Any, record: Any) -> Track | None:
    """The migration history of a plugin (importing it), or None when it has no tables.

    Raises whatever the plugin's import or its ``sikd_migrations`` hook raises."""
    from sikd_host.extensions import db

    results = [value for _name, value in host.collect_from(record, "sikd_migrations") if value]
    if not results:
        return None
    return Track(
        record.name,
        Path(results[0]),
        version_table(record.name),
        db.metadata,
        f"{record.name}_",
    )


def data_protection(host: Any, record: Any) -> str | None:
    """Why the plugin's data may never be dropped by a downgrade (its
    ``sikd_protected_data`` answer), or None when it may."""
    reasons = [
        str(value) for _name, value in host.collect_from(record, "sikd_protected_data") if value
    ]
    return " ".join(reasons) or None


def plugin_schema_state(host: Any, record: Any) -> tuple[str | None, str | None]:
    """(current revision, head revision) of a plugin's schema."""
    from sikd_host.extensions import db

    track = plugin_track(host, record)
    if track is None:
        return None, None
    return current_revision(db.engine, track), head_revision(track)


def stored_revision(engine: Engine, plugin: str) -> str | None:
    """The revision recorded in a plugin's version table, read without importing it."""
    return _revision_in(engine, version_table(plugin))


@dataclass(frozen=True)
class TrackFailure:
    """A plugin whose migrations could not be found: it failed to import, or its
    ``sikd_migrations`` hook raised. ``message`` is the error; the traceback is on its
    record (and on the Plugins page)."""

    name: str
    message: str


def all_tracks(
    host: Any, only: str | None = None, failures: list[TrackFailure] | None = None
) -> list[Track]:
    """The host's track, then each installed plugin's in dependency order.

    Imports every compatible plugin, enabled or not, so that a disabled plugin's schema is
    kept current and it can be enabled later. ``only`` limits the list to one plugin.

    A plugin that fails to import (or whose ``sikd_migrations`` raises) is recorded as
    failed, with its traceback, and left out, so the host and the other plugins still
    migrate; it is appended to ``failures`` when a list is given. ``SIKD_STRICT_PLUGINS=1``
    re-raises instead.
    """
    names = tuple(host.records)
    tracks = [] if only else [host_track(names)]
    for record in host.ordered():
        if only and record.name != only:
            continue
        if host.safe_mode or not record.compatible:
            continue
        if record.status == "failed" and record.module is None:  # its import failed already
            if failures is not None:
                failures.append(TrackFailure(record.name, record.message))
            continue
        try:
            track = plugin_track(host, record)
        except Exception as error:  # noqa: BLE001 - one broken plugin must not stop the rest
            host.record_failure(record, error)
            if host.strict:
                raise
            if failures is not None:
                failures.append(TrackFailure(record.name, record.message))
            continue
        if track is not None:
            tracks.append(track)
    return tracks
