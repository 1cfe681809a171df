"""``sikd backup`` and ``sikd restore``: a consistent snapshot of the database and the stored
files, and its restore into an empty instance.

A backup is a folder, or the same files in a ``.tar``::

    metadata.json      format, created at, host and plugin versions, schema revisions,
                       database kind and the SHA-256 of the database file, counts, audit head
    database.sqlite    SQLite, through the online backup API (one consistent read), or
    database.pgdump    PostgreSQL, ``pg_dump --format=custom`` (read back by ``pg_restore``)
    MANIFEST.sha256    one line per stored file: ``<sha256>  blobs/ab/cd/<sha256>``, so that
                       ``sha256sum -c MANIFEST.sha256`` checks a backup by hand
    blobs/ab/cd/<sha256>

Consistency: the database is snapshotted first, then every blob on disk is copied and hashed
as it is copied (its name is its SHA-256: they must agree). Blobs are immutable and named by
their content, so a blob copied after the snapshot is the blob the snapshot refers to; every
blob the snapshot's ``storage_blob`` rows name must be among those copied, or the backup
fails. A backup is built under a temporary name and renamed when complete: a folder or file
with the final name is a whole backup. Making one is audited (after the snapshot).

A restore goes into an empty instance only: no table in its database and no file in its
storage folder. The backup is checked first (the database file's hash, the manifest's form);
every blob is copied into the storage's temporary folder while it is hashed, and a blob that
does not match the manifest refuses the restore, naming it, with the instance left empty.
Then the database is restored (SQLite: the backup API copies the file into place;
PostgreSQL: ``pg_restore`` in a single transaction), the blobs are renamed into place, and the
audit chain is verified and reported.

``pg_dump`` and ``pg_restore`` are found on ``PATH`` and get the connection from the
database URL through the libpq environment (``PGHOST``, ``PGUSER``, ``PGPASSWORD``, ...):
the password never appears on a command line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from sikd_host import __version__
from sikd_host.extensions import db

FORMAT = "sikd-backup"
FORMAT_VERSION = 1
METADATA = "metadata.json"
MANIFEST = "MANIFEST.sha256"
BLOBS = "blobs"
DATABASE_FILES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
MANIFEST_LINE = re.compile(r"([0-9a-f]{64}) [ *](blobs/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64}))")
SHOWN = 20  # names listed in one error message

# libpq connection parameters a URL's query may carry, and their environment variables
LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcompression": "PGSSLCOMPRESSION",
    "requiressl": "PGREQUIRESSL",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "krbsrvname": "PGKRBSRVNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}

Progress = Callable[[int, str], Any]  # (length, label) -> a context manager with update(n)


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason in plain words."""


# --- small helpers -----------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _listed(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hash_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _copy_hashing(source: BinaryIO, target: Path) -> tuple[str, int]:
    """Copy ``source`` to the new file ``target`` (fsynced), hashing; (sha256, size)."""
    hasher = hashlib.sha256()
    size = 0
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := source.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest(), size


def _nothing(_length: int, _label: str) -> Any:
    class Bar:
        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *_exc: Any) -> None:
            return None

        def update(self, _n: int) -> None:
            return None

    return Bar()


def blob_relpath(sha256: str) -> str:
    return f"{BLOBS}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


# --- PostgreSQL tools --------------------------------------------------------------------


def find_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore`` on PATH, or a clear BackupError."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the "
            f"server's major version (Debian: apt-get install postgresql-client) and try again."
        )
    return found


def pg_environment(url: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for pg_dump / pg_restore: ``base`` (default: this process's) with the
    connection of ``url`` in libpq's variables (the password in PGPASSWORD)."""
    parsed = make_url(url)
    env = dict(os.environ if base is None else base)
    values: dict[str, str] = {}
    for key, value in parsed.query.items():
        if key not in LIBPQ_ENV:
            raise BackupError(
                f"The database URL option {key!r} has no libpq environment variable; "
                "pg_dump and pg_restore cannot be given it safely. Remove it or set the "
                "matching PG* variable yourself."
            )
        values[LIBPQ_ENV[key]] = value if isinstance(value, str) else ",".join(value)
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value is not None and value != "":
            values[key] = str(value)
    env.update(values)
    return env


def _run_tool(args: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(f"{Path(args[0]).name} could not be started: {error}") from error
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip()
        raise BackupError(
            f"{Path(args[0]).name} failed (exit status {result.returncode}): {detail}"
        )


def _tool_version(path: str) -> str:
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return result.stdout.strip()


# --- what a database snapshot holds ------------------------------------------------------


@dataclass
class Facts:
    """What the snapshot holds, read in the snapshot itself."""

    schema: dict[str, str | None]
    enabled: dict[str, bool]
    blob_shas: list[str]
    audit_entries: int
    audit_head: str | None


def read_facts(connection: Connection) -> Facts:
    names = set(inspect(connection).get_table_names())
    if "alembic_version" not in names or "storage_blob" not in names:
        raise BackupError(
            "The database has no SIKD schema yet (run sikd init first): nothing to back up."
        )
    quote = connection.dialect.identifier_preparer.quote
    schema: dict[str, str | None] = {}
    for name in sorted(names):
        if name == "alembic_version":
            track = "host"
        elif name.startswith("alembic_version_"):
            track = name[len("alembic_version_") :]
        else:
            continue
        revisions = connection.execute(text(f"SELECT version_num FROM {quote(name)}")).scalars()
        schema[track] = ",".join(sorted(revisions)) or None
    enabled: dict[str, bool] = {}
    if "plugin_state" in names:
        rows = connection.execute(text("SELECT name, enabled FROM plugin_state")).all()
        enabled = {name: bool(on) for name, on in rows}
    shas = list(connection.execute(text("SELECT sha256 FROM storage_blob")).scalars())
    entries, head = 0, None
    if "audit_event" in names:
        entries = connection.execute(text("SELECT count(*) FROM audit_event")).scalar() or 0
    if "audit_head" in names:
        head = connection.execute(text("SELECT last_hash FROM audit_head WHERE id = 1")).scalar()
    return Facts(schema, enabled, shas, int(entries), head)


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"Only an SQLite database in a file can be backed up or restored "
                          f"(the URL names {database or 'no file'!r}).")  # fmt: skip
    return Path(database)


def snapshot_sqlite(url: str, target: Path) -> Facts:
    """One consistent read of the live database into ``target`` (a self-contained file)."""
    source_path = sqlite_file(url)
    if not source_path.is_file():
        raise BackupError(f"The database file {source_path} does not exist.")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)  # all pages in one step: a single read transaction
            dest.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the copy
            check = dest.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dest.close()
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite backup failed: {error}") from error
    finally:
        source.close()
    if check != "ok":
        raise BackupError(f"The copied database does not pass SQLite's quick_check: {check}")
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return read_facts(connection)
    finally:
        engine.dispose()


def snapshot_postgres(url: str, target: Path) -> tuple[Facts, str]:
    """pg_dump (custom format) of a snapshot exported by a read-only repeatable-read
    transaction, whose rows ``read_facts`` reads in the same snapshot."""
    pg_dump = find_tool("pg_dump")
    env = pg_environment(url)
    with db.engine.connect() as plain:
        connection = plain.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            facts = read_facts(connection)
            args = [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                f"--file={target}",
            ]
            _run_tool(args, env)
    return facts, _tool_version(pg_dump)


# --- writing a backup --------------------------------------------------------------------


class FolderWriter:
    def __init__(self, root: Path, link: bool):
        self.root, self.link = root, link
        root.mkdir(mode=0o700)  # a backup holds everything: password hashes, records
        self.dirs: set[Path] = set()

    def database_path(self, name: str) -> Path:
        return self.root / name

    def add_database(self, name: str, path: Path) -> None:
        path.chmod(0o600)  # written in place by the snapshot

    def add_bytes(self, name: str, data: bytes) -> None:
        path = self.root / name
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def add_blob(self, sha256: str, source: Path) -> str:
        target = self.root / blob_relpath(sha256)
        if target.parent not in self.dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(target.parent)
        if self.link:
            try:
                os.link(source, target)
            except OSError:  # another filesystem, or links not allowed: copy instead
                pass
            else:
                return _hash_file(target)
        with source.open("rb") as handle:
            return _copy_hashing(handle, target)[0]

    def finish(self) -> None:
        for directory in sorted(self.dirs, reverse=True):
            _fsync_dir(directory)
        for directory in (self.root / BLOBS, self.root):
            if directory.is_dir():
                _fsync_dir(directory)


class _HashingReader:
    def __init__(self, handle: BinaryIO):
        self.handle, self.hasher = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.hasher.update(data)
        return data


class TarWriter:
    def __init__(self, path: Path, scratch: Path):
        self.path, self.scratch = path, scratch
        scratch.mkdir(mode=0o700)
        self.tar = tarfile.open(path, "x", format=tarfile.PAX_FORMAT)  # noqa: SIM115 - closed in finish
        path.chmod(0o600)  # a backup holds everything: password hashes, records

    def database_path(self, name: str) -> Path:
        return self.scratch / name

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(dt.datetime.now().timestamp())
        return info

    def add_database(self, name: str, path: Path) -> None:
        with path.open("rb") as handle:
            self.tar.addfile(self._info(name, os.fstat(handle.fileno()).st_size), handle)
        path.unlink()

    def add_bytes(self, name: str, data: bytes) -> None:
        import io

        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def add_blob(self, sha256: str, source: Path) -> str:
        with source.open("rb") as handle:
            reader = _HashingReader(handle)
            info = self._info(blob_relpath(sha256), os.fstat(handle.fileno()).st_size)
            self.tar.addfile(info, reader)  # type: ignore[arg-type]
            return reader.hasher.hexdigest()

    def finish(self) -> None:
        self.tar.close()
        with self.path.open("rb+") as handle:
            os.fsync(handle.fileno())
        shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class BackupReport:
    path: Path
    kind: str
    blobs: int
    bytes: int
    audit_entries: int
    skipped: list[str] = field(default_factory=list)  # other files in the storage folder


def default_output() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / f"sikd-backup-{stamp}"


def _disk_blobs(root: Path, strays: list[str]) -> list[str]:
    from sikd_host.storage import service

    return list(service._disk_blobs(root, strays))  # the storage's own walk, in sha order


def make_backup(
    output: Path | None = None, link: bool = False, progress: Progress = _nothing
) -> BackupReport:
    """Write a backup of the current instance to ``output`` (a new folder, or a ``.tar``)."""
    from sikd_host.pluginmanager import current_host
    from sikd_host.storage import service as storage

    output = Path(output) if output is not None else default_output()
    as_tar = output.suffix == ".tar"
    if output.name.endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")):
        raise BackupError(
            "A backup is written as a folder or an uncompressed .tar (stored files are mostly "
            "compressed already); compress the .tar afterwards if you wish."
        )
    if output.exists() and not (output.is_dir() and not any(output.iterdir()) and not as_tar):
        raise BackupError(f"{output} already exists; give a new folder or .tar file name.")
    output.parent.mkdir(parents=True, exist_ok=True)
    kind = db.engine.dialect.name
    if kind not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {kind}.")
    url = db.engine.url.render_as_string(hide_password=False)
    token = secrets.token_hex(4)
    partial = output.with_name(f".{output.name}.partial-{token}")
    writer: FolderWriter | TarWriter
    if as_tar:
        writer = TarWriter(partial, output.with_name(f".{output.name}.scratch-{token}"))
    else:
        writer = FolderWriter(partial, link)
    try:
        database_name = DATABASE_FILES[kind]
        database_path = writer.database_path(database_name)
        if kind == "sqlite":
            facts = snapshot_sqlite(url, database_path)
            tool = f"sqlite3 {sqlite3.sqlite_version}"
        else:
            facts, tool = snapshot_postgres(url, database_path)
        database_sha, database_size = _hash_file(database_path), database_path.stat().st_size
        writer.add_database(database_name, database_path)

        root = storage.storage_dir()
        strays: list[str] = []
        shas = _disk_blobs(root, strays)
        copied: dict[str, int] = {}
        damaged: list[str] = []
        with progress(len(shas), "Copying stored files") as bar:
            for sha256 in shas:
                path = root / sha256[:2] / sha256[2:4] / sha256
                try:
                    size = path.stat().st_size
                    digest = writer.add_blob(sha256, path)
                except FileNotFoundError:
                    continue  # removed since (destroyed, or an orphan reconciled)
                if digest != sha256:
                    damaged.append(sha256)
                copied[sha256] = size
                bar.update(1)
        if damaged:
            raise BackupError(
                f"{len(damaged)} stored file(s) do not match their SHA-256 (damaged on disk): "
                f"{_listed(damaged)}. Run sikd storage verify, restore those files from an "
                "older backup, then back up again."
            )
        missing = sorted(set(facts.blob_shas) - set(copied))
        if missing:
            raise BackupError(
                f"{len(missing)} stored file(s) named by the database are missing from the "
                f"storage folder {root}: {_listed(missing)}. Run sikd storage orphans; nothing "
                "was backed up."
            )
        manifest = "".join(f"{sha}  {blob_relpath(sha)}\n" for sha in sorted(copied))
        writer.add_bytes(MANIFEST, manifest.encode())
        host = current_host()
        plugins = {
            name: {
                "version": record.version,
                "enabled": facts.enabled.get(name, False),
                "schema": facts.schema.get(name),
            }
            for name, record in sorted(host.records.items())
        }
        metadata = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": _now(),
            "host_version": __version__,
            "python": sys.version.split()[0],
            "database": {
                "kind": kind,
                "file": database_name,
                "sha256": database_sha,
                "size": database_size,
                "tool": tool,
            },
            "schema": facts.schema,
            "plugins": plugins,
            "blobs": {
                "count": len(copied),
                "bytes": sum(copied.values()),
                "referenced": len(facts.blob_shas),
                "manifest": MANIFEST,
            },
            "audit": {"entries": facts.audit_entries, "head": facts.audit_head},
        }
        writer.add_bytes(METADATA, (json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode())
        writer.finish()
        if output.is_dir():
            output.rmdir()  # an empty folder given as the target
        os.replace(partial, output)
        _fsync_dir(output.parent)
    except BaseException:
        if isinstance(writer, TarWriter):
            with contextlib.suppress(Exception):
                writer.tar.close()
            shutil.rmtree(writer.scratch, ignore_errors=True)
            partial.unlink(missing_ok=True)
        else:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupReport(
        output, kind, len(copied), sum(copied.values()), facts.audit_entries, strays
    )


# --- reading a backup --------------------------------------------------------------------


class FolderSource:
    def __init__(self, root: Path):
        self.root = root

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        with (self.root / name).open("rb") as handle:
            yield handle

    def names(self) -> set[str]:
        return {
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file()
        }

    def close(self) -> None:
        return None


class TarSource:
    """Members are read as streams by name; no member name is ever used as a path."""

    def __init__(self, path: Path):
        try:
            self.tar = tarfile.open(path, "r:*")  # noqa: SIM115 - closed in close()
            members = [m for m in self.tar.getmembers() if m.isfile()]
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"{path} is not a readable tar file: {error}") from error
        names = {self._clean(m.name): m for m in members}
        prefix = ""
        if METADATA not in names:  # a backup folder tarred with its name in front
            tops = {name.split("/", 1)[0] for name in names if "/" in name}
            if len(tops) == 1 and f"{next(iter(tops))}/{METADATA}" in names:
                prefix = next(iter(tops)) + "/"
        self.members = {
            name[len(prefix) :]: member for name, member in names.items() if name.startswith(prefix)
        }

    @staticmethod
    def _clean(name: str) -> str:
        while name.startswith("./"):
            name = name[2:]
        return name

    def exists(self, name: str) -> bool:
        return name in self.members

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        handle = self.tar.extractfile(self.members[name])
        if handle is None:
            raise BackupError(f"{name} in the backup is not a regular file.")
        with handle:
            yield handle  # type: ignore[misc]

    def names(self) -> set[str]:
        return set(self.members)

    def close(self) -> None:
        self.tar.close()


def open_source(path: Path) -> FolderSource | TarSource:
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        return TarSource(path)
    raise BackupError(f"There is no backup at {path}.")


def read_metadata(source: FolderSource | TarSource) -> dict[str, Any]:
    if not source.exists(METADATA):
        raise BackupError(f"This is not a SIKD backup: {METADATA} is missing.")
    try:
        with source.open(METADATA) as handle:
            metadata = json.loads(handle.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{METADATA} cannot be read: {error}") from error
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise BackupError(f"This is not a SIKD backup: {METADATA} has no format {FORMAT!r}.")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {metadata.get('format_version')!r}; this SIKD "
            f"({__version__}) reads version {FORMAT_VERSION}."
        )
    return metadata


def read_manifest(source: FolderSource | TarSource) -> list[str]:
    """The sha256 of every blob the manifest lists, after checking each line's form."""
    if not source.exists(MANIFEST):
        raise BackupError(f"The backup has no {MANIFEST}.")
    with source.open(MANIFEST) as handle:
        lines = handle.read().decode("utf-8", errors="replace").splitlines()
    shas = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = MANIFEST_LINE.fullmatch(line)
        if not match or not (
            match[1] == match[5] and match[3] == match[1][:2] and match[4] == match[1][2:4]
        ):
            raise BackupError(
                f"{MANIFEST} line {number} is not '<sha256>  blobs/ab/cd/<sha256>' with the "
                f"same hash twice: {line[:200]!r}"
            )
        shas.append(match[1])
    return shas


# --- restoring ---------------------------------------------------------------------------


@dataclass
class RestoreReport:
    kind: str
    blobs: int
    audit_entries: int
    audit_broken: str | None  # the first broken link, described; None when it holds
    audit_head_matches: bool
    missing: list[str]  # rows naming a file the backup does not hold
    unlisted: list[str]  # files in the backup's blobs/ the manifest does not list
    schema: list[str]  # one line per track: revision, head, state

    @property
    def ok(self) -> bool:
        return self.audit_broken is None and self.audit_head_matches and not self.missing


def database_contents() -> list[str]:
    """The names of what the target database already holds (empty: restorable)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return list(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
                ).scalars()
            )
        return list(
            connection.execute(
                text(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
                    "ORDER BY 1"
                )
            ).scalars()
        )


def storage_contents(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())


def check_empty(root: Path) -> None:
    tables = database_contents()
    if tables:
        raise BackupError(
            f"Refused: the target database is not empty ({len(tables)} object(s), e.g. "
            f"{_listed(tables[:5])}). Restore into a new, empty database."
        )
    files = storage_contents(root)
    if files:
        raise BackupError(
            f"Refused: the storage folder {root} is not empty ({len(files)} file(s), e.g. "
            f"{_listed(files[:5])}). Restore into an empty storage folder."
        )


def _restore_sqlite(database: Path) -> None:
    target = sqlite_file(db.engine.url.render_as_string(hide_password=False))
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database)
    try:
        dest = sqlite3.connect(target, timeout=30)
        try:
            dest.execute("PRAGMA journal_mode=DELETE")  # the copy may bring its own page size
            source.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite restore failed: {error}") from error
    finally:
        source.close()


def _restore_postgres(database: Path) -> None:
    from psycopg.conninfo import make_conninfo

    pg_restore = find_tool("pg_restore")
    url = db.engine.url.render_as_string(hide_password=False)
    env = pg_environment(url)
    name = make_url(url).database or env.get("PGDATABASE", "")
    args = [
        pg_restore,
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        f"--dbname={make_conninfo('', dbname=name)}",  # the name only: the rest is in env
        str(database),
    ]
    _run_tool(args, env)


def restore(source_path: Path, progress: Progress = _nothing) -> RestoreReport:
    """Restore the backup at ``source_path`` (a folder or .tar) into this empty instance."""
    from sikd_host.storage import service as storage

    root = storage.storage_dir()
    kind = db.engine.dialect.name
    source = open_source(Path(source_path))
    staged: dict[str, Path] = {}
    placed: list[Path] = []
    database_copy: Path | None = None
    restored_database = False
    try:
        metadata = read_metadata(source)
        if not isinstance(metadata.get("database"), dict):
            raise BackupError(f"{METADATA} does not describe the database.")
        backup_kind = metadata["database"].get("kind")
        if backup_kind != kind:
            raise BackupError(
                f"This backup holds a {backup_kind} database; this instance uses {kind}. "
                "Restore into an instance with the same kind of database."
            )
        database_name = metadata["database"].get("file")
        if database_name != DATABASE_FILES[kind] or not source.exists(database_name):
            raise BackupError(f"The backup has no database file {DATABASE_FILES[kind]}.")
        shas = read_manifest(source)
        absent = [sha for sha in shas if not source.exists(blob_relpath(sha))]
        if absent:
            raise BackupError(
                f"{len(absent)} file(s) listed in {MANIFEST} are not in the backup: "
                f"{_listed(absent)}"
            )
        check_empty(root)

        tmp = root / storage.TMP_DIR
        tmp.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(4)
        database_copy = tmp / f"restore-{token}-{database_name}.part"
        with source.open(database_name) as handle:
            digest, _size = _copy_hashing(handle, database_copy)
        if digest != metadata["database"].get("sha256"):
            raise BackupError(
                f"The database file {database_name} does not match the SHA-256 in {METADATA}: "
                "the backup is damaged."
            )
        mismatched = []
        with progress(len(shas), "Checking stored files") as bar:
            for sha256 in shas:
                staging = tmp / f"restore-{token}-{sha256}.part"
                with source.open(blob_relpath(sha256)) as handle:
                    digest, _size = _copy_hashing(handle, staging)
                staged[sha256] = staging
                if digest != sha256:
                    mismatched.append(sha256)
                bar.update(1)
        if mismatched:
            raise BackupError(
                f"Refused: {len(mismatched)} file(s) in the backup do not match their SHA-256 "
                f"in {MANIFEST}: {_listed(mismatched)}. Nothing was restored."
            )
        listed = {blob_relpath(sha) for sha in shas}
        unlisted = sorted(
            name for name in source.names() if name.startswith(f"{BLOBS}/") and name not in listed
        )

        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            _restore_sqlite(database_copy)
        else:
            _restore_postgres(database_copy)
        restored_database = True
        db.engine.dispose()
        for sha256, staging in staged.items():
            final = storage.blob_path(sha256)
            storage._ensure_dir(final.parent)
            os.replace(staging, final)
            placed.append(final)
        for directory in sorted({path.parent for path in placed}):
            _fsync_dir(directory)
        staged.clear()
    except BaseException:
        for path in staged.values():
            path.unlink(missing_ok=True)
        if not restored_database:
            for path in placed:
                path.unlink(missing_ok=True)
        raise
    finally:
        if database_copy is not None:
            database_copy.unlink(missing_ok=True)
        source.close()
    return _after_restore(metadata, len(shas), unlisted)


def _after_restore(metadata: dict[str, Any], blobs: int, unlisted: list[str]) -> RestoreReport:
    from sqlalchemy import func, select

    from sikd_host import migrations
    from sikd_host.audit import service as audit
    from sikd_host.audit.models import AuditEvent, AuditHead
    from sikd_host.pluginmanager import current_host
    from sikd_host.storage import service as storage

    host = current_host()
    host.sync(force=True)
    broken = audit.verify()
    entries = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    head = db.session.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1))
    head_matches = head == (metadata.get("audit") or {}).get("head")
    missing = storage.orphans(grace_seconds=0).missing
    schema = []
    for track in migrations.all_tracks(host):
        current = migrations.current_revision(db.engine, track)
        wanted = migrations.head_revision(track)
        state = "ok" if current == wanted else "needs sikd db upgrade"
        schema.append(f"{track.name}: {current or '-'} (head {wanted}) {state}")
    report = RestoreReport(
        db.engine.dialect.name,
        blobs,
        int(entries),
        None if broken is None else f"entry {broken.row_id}: {broken.reason}",
        head_matches,
        missing,
        unlisted,
        schema,
    )
    audit.record(
        "sikd restore",
        "backup.restored",
        "backup",
        metadata.get("created_at", ""),
        {
            "backup_created_at": metadata.get("created_at"),
            "blobs": blobs,
            "database": report.kind,
            "audit_chain": "ok" if report.audit_broken is None else report.audit_broken,
        },
    )
    db.session.commit()
    return report


# --- commands ----------------------------------------------------------------------------


def _bar(length: int, label: str) -> Any:
    return click.progressbar(length=length, label=label, file=sys.stderr)


def _fail(error: BaseException) -> click.ClickException:
    if isinstance(error, BackupError):
        return click.ClickException(str(error))
    return click.ClickException(f"{type(error).__name__}: {error}")


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="A new folder, or a file name ending in .tar. "
    "Default: backups/sikd-backup-<UTC time> in the instance folder.",
)
@click.option(
    "--link",
    is_flag=True,
    help="Hard-link the stored files instead of copying them when the backup is on the same "
    "filesystem (fast, no extra space; not a second copy of the files).",
)
@with_appcontext
def backup_command(output: Path | None, link: bool) -> None:
    """Back up the database and the stored files (a consistent snapshot with a manifest)."""
    from sikd_host.audit import service as audit

    try:
        report = make_backup(output, link=link, progress=_bar)
    except Exception as error:  # noqa: BLE001 - a clear message and exit status 1
        with contextlib.suppress(Exception):
            db.session.rollback()
        raise _fail(error) from error
    try:
        audit.record(
            "sikd backup",
            "backup.created",
            "backup",
            report.path.name,
            {"database": report.kind, "blobs": report.blobs, "bytes": report.bytes},
        )
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - the backup itself is complete
        db.session.rollback()
        click.echo(f"warning: the backup could not be audited: {error}", err=True)
    if report.skipped:
        click.echo(
            f"note: {len(report.skipped)} other path(s) in the storage folder were not backed "
            f"up (not stored files): {_listed(report.skipped)}",
            err=True,
        )
    click.echo(
        f"backup written to {report.path}: {report.kind} database, {report.blobs} stored "
        f"file(s) ({report.bytes} bytes), {report.audit_entries} audit entries"
    )


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore a backup (a folder or .tar) into this instance, whose database and storage
    folder must be empty; then verify the files and the audit chain."""
    try:
        report = restore(source, progress=_bar)
    except Exception as error:  # noqa: BLE001 - a clear message and exit status 1
        with contextlib.suppress(Exception):
            db.session.rollback()
        raise _fail(error) from error
    click.echo(f"restored {report.kind} database and {report.blobs} stored file(s) from {source}")
    for line in report.schema:
        click.echo(f"schema {line}")
    if report.unlisted:
        click.echo(
            f"warning: {len(report.unlisted)} file(s) under blobs/ are not in the manifest and "
            f"were not restored: {_listed(report.unlisted)}",
            err=True,
        )
    failed = []
    if report.missing:
        failed.append(
            f"{len(report.missing)} row(s) name a stored file the backup does not hold: "
            f"{_listed(report.missing)}"
        )
    if report.audit_broken is not None:
        failed.append(f"audit chain broken at {report.audit_broken}")
    elif not report.audit_head_matches:
        failed.append("the audit chain's last entry is not the one the backup recorded")
    else:
        click.echo(f"audit chain ok: {report.audit_entries} entries")
    if failed:
        raise click.ClickException("restored, but: " + "; ".join(failed))


__all__ = [
    "BackupError",
    "backup_command",
    "make_backup",
    "pg_environment",
    "restore",
    "restore_command",
]
