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

    def include_name(self, name: str | None, type_: str, _parent: Any) -> bool:
        if type_ != "table" or name is None:
            return True
        if name.startswith("alembic_version"):
            return False
        if self.table_prefix is None:  # the host: every table that is not a plugin's
            return self.metadata is None or name in self.metadata.tables
        return name.startswith(self.table_prefix)


def host_track() -> Track:
    from sikd_host.extensions import db

    return Track("host", HOST_MIGRATIONS / "versions", "alembic_version", db.metadata)


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
    )
    return config


def _run(engine: Engine, track: Track, action: Callable[[Config], None]) -> None:
    with engine.begin() as connection:
        action(_config(track, connection))


def upgrade(engine: Engine, track: Track, revision: str = "heads") -> None:
    _run(engine, track, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, track: Track, revision: str) -> None:
    _run(engine, track, lambda config: command.downgrade(config, revision))


def current_revision(engine: Engine, track: Track) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": track.version_table}
        )
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
