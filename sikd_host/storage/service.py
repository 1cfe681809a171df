"""The host's content-addressed file storage, offered to plugins as ``plugin_api.storage``.

A file is streamed in chunks to ``<STORAGE_DIR>/tmp/`` while it is hashed (SHA-256),
refused past the size limit or when its content is not an allowed type, fsynced, and renamed
to ``<STORAGE_DIR>/ab/cd/<sha256>``. Its ``storage_blob`` row joins the caller's transaction:
the caller commits it together with its own row and its audit event. Nothing else::

    from sikd_host.plugin_api import audit, db, storage

    try:
        info = storage.store(upload.stream, upload.filename)
    except storage.StorageError as error:
        return storage.error_response(error)          # 413, 415 or 422, translated
    letter.file_sha256, letter.file_name = info.sha256, info.filename
    audit.record(None, "archive.file_uploaded", "letter", letter.id, {"sha256": info.sha256})
    db.session.commit()

A multipart upload reaches ``store`` without a second copy: the host's request class has
Werkzeug write each file part to an unnamed file (``O_TMPFILE``) in ``<STORAGE_DIR>/tmp/``,
hashed as Werkzeug writes it (``ReceivedFile``); ``store`` given such a stream checks it, fsyncs
it and links it into place instead of copying it. An upload cut off, refused or never stored
leaves nothing on disk, not even after a crash. Where ``O_TMPFILE`` is missing, Werkzeug's own
temporary file is used and ``store`` copies it as it copies any stream.

If that commit fails, the file stays on disk without a row: ``orphans`` lists it and
``reconcile`` removes it once it is older than the grace period. The same content is stored
once, whoever uploads it and under whatever name.

``destroy`` is the only way a blob is deleted (lawful destruction); ``verify`` re-hashes every
blob, resumably; ``orphans`` and ``reconcile`` compare the disk with the rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import logging
import os
import queue
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from flask import Response, abort, current_app, send_file
from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.orm import Session

from sikd_host.extensions import db
from sikd_host.i18n import N_
from sikd_host.models import utcnow
from sikd_host.storage.models import (
    VERIFY_MISMATCH,
    VERIFY_MISSING,
    VERIFY_OK,
    StoredBlob,
    VerifyRun,
)
from sikd_host.storage.types import (
    BY_MIMETYPE,
    HEAD_BYTES,
    TYPES,
    FileType,
    clean_filename,
    extension_of,
    parse_allowed,
    sniff,
)

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "EmptyFile",
    "ExtensionMismatch",
    "OrphanReport",
    "ReceivedFile",
    "ReconcileReport",
    "StorageError",
    "StorageFull",
    "StoredBlob",
    "TooLarge",
    "TypeRefused",
    "VerifyReport",
    "allowed_types",
    "blob_path",
    "destroy",
    "error_response",
    "message",
    "open_blob",
    "orphans",
    "receive_upload",
    "reconcile",
    "send_blob",
    "store",
    "storage_dir",
    "upload_limit",
    "verify",
    "verify_pending",
]

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MIB = 1024 * 1024
TMP_DIR = "tmp"
SHA256 = re.compile(r"[0-9a-f]{64}")
HEX2 = re.compile(r"[0-9a-f]{2}")
PENDING_UNLINK = "sikd_storage_pending_unlink"  # key in Session.info


# --- errors ----------------------------------------------------------------------------


class StorageError(ValueError):
    """A refused upload or a missing blob; ``message`` is an English msgid with ``params``,
    ``status`` the HTTP status that fits it."""

    status = 422

    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


class TooLarge(StorageError):
    status = 413


class TypeRefused(StorageError):
    status = 415


class ExtensionMismatch(StorageError):
    status = 422


class EmptyFile(StorageError):
    status = 422


class StorageFull(StorageError):
    status = 507


class BlobNotFound(StorageError):
    status = 404


def message(error: StorageError) -> str:
    """The error's message in the interface language of the current request."""
    from flask_babel import gettext

    return gettext(error.message, **error.params)


def error_response(error: StorageError) -> tuple[Any, int]:
    """The host's error page (or JSON) for a refused upload, with the error's status."""
    from sikd_host.errors import render_error

    return render_error(error.status, message(error))


# --- settings --------------------------------------------------------------------------


def storage_dir() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def upload_limit() -> int:
    """The default size limit in bytes: ``MAX_UPLOAD_MB`` MiB."""
    return int(current_app.config["MAX_UPLOAD_MB"]) * MIB


def allowed_types() -> frozenset[str]:
    """The type keys ``STORAGE_ALLOWED_TYPES`` allows (default: all of ``types.TYPES``)."""
    return parse_allowed(current_app.config.get("STORAGE_ALLOWED_TYPES"))


def _human(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:g} MiB" if size % MIB == 0 else f"{size / MIB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} B"


# --- store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BlobInfo:
    """What ``store`` kept: the content's hash and size, its type and a safe file name."""

    sha256: str
    size: int
    type: str  # a key of types.TYPES: "pdf", "docx", ...
    mimetype: str
    filename: str  # the uploaded name made safe, ending in an extension of its type
    new: bool  # False when the same content was already stored


def blob_path(sha256: str) -> Path:
    """Where the blob lives: ``<STORAGE_DIR>/ab/cd/<sha256>`` (whether or not it exists)."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise BlobNotFound(N_("No stored file %(sha256)s."), sha256=str(sha256)[:80])
    return storage_dir() / sha256[:2] / sha256[2:4] / sha256


def store(stream: BinaryIO, filename: str, max_bytes: int | None = None) -> BlobInfo:
    """Keep the content of ``stream`` (named ``filename`` by the uploader); see the module.

    Raises ``TooLarge`` past ``max_bytes`` (default ``MAX_UPLOAD_MB``), ``EmptyFile``,
    ``TypeRefused`` when the content is not an allowed type, ``ExtensionMismatch`` when the
    name's extension does not fit the content, ``StorageFull`` when the disk is full. Any
    failure leaves nothing behind: the temporary file is removed. On success the
    ``storage_blob`` row is in the current transaction, not committed.
    """
    limit = upload_limit() if max_bytes is None else int(max_bytes)
    allowed = allowed_types()
    tmp_dir = _ensure_dir(storage_dir() / TMP_DIR)
    received = stream if isinstance(stream, ReceivedFile) and stream.adoptable() else None
    tmp: Path | None = None
    try:
        if received is not None:
            tmp, (sha256, size, head) = _adopt(received, tmp_dir, limit)
        else:
            fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-", suffix=".part")
            tmp = Path(tmp_name)
            try:
                sha256, size, head = _receive(stream, fd, limit)
            finally:
                os.close(fd)
        if size == 0:
            raise EmptyFile(N_("The file is empty."))
        file_type = sniff(tmp, head)
        if file_type is None or file_type.key not in allowed:
            labels = ", ".join(TYPES[key].label for key in TYPES if key in allowed)
            raise TypeRefused(
                N_("This kind of file is not accepted. Allowed: %(allowed)s."), allowed=labels
            )
        _check_extension(filename, file_type)
        new = _place(tmp, blob_path(sha256), size)
    except OSError as error:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(N_("The storage is full; the file was not saved.")) from error
        raise
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    _add_row(sha256, size)
    return BlobInfo(
        sha256, size, file_type.key, file_type.mimetype, clean_filename(filename, file_type), new
    )


def _receive(stream: BinaryIO, fd: int, limit: int) -> tuple[str, int, bytes]:
    """Copy the stream to ``fd`` in chunks, hashing; fsync; (sha256, size, first bytes)."""
    hasher = hashlib.sha256()
    size = 0
    head = b""
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise TooLarge(
                N_("The file is larger than the allowed %(limit)s."), limit=_human(limit)
            )
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        hasher.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]
    os.fsync(fd)
    return hasher.hexdigest(), size, head


def _adopt(
    received: ReceivedFile, tmp_dir: Path, limit: int
) -> tuple[Path, tuple[str, int, bytes]]:
    """Keep a file Werkzeug already wrote and hashed: check its size, fsync it, give it a
    name in ``tmp_dir`` (the caller renames it into place or removes it)."""
    received.adopted = True  # whatever happens next, never twice
    if received.error is not None:
        raise received.error
    if received.size > limit:
        raise TooLarge(N_("The file is larger than the allowed %(limit)s."), limit=_human(limit))
    os.fsync(received.fileno())
    name = f"upload-{secrets.token_hex(8)}.part"
    # linkat(AT_SYMLINK_FOLLOW) names the unnamed file; Python calls linkat, not link, only
    # when given a directory descriptor
    directory = os.open(tmp_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(f"/proc/self/fd/{received.fileno()}", name, dst_dir_fd=directory)
    finally:
        os.close(directory)
    return tmp_dir / name, received.digest()


class ReceivedFile(io.RawIOBase):
    """An uploaded file part as Werkzeug receives it: written to an unnamed file in the
    storage's temporary folder (so on the same file system as the blobs) and hashed as it is
    written. ``store`` keeps it without copying it; anything else reads it like a file.
    Closing it (Werkzeug does at the end of the request) frees it, unless ``store`` linked it
    into place; a process that dies leaves nothing either.

    The writing and hashing happen in a thread of their own, a bounded queue of chunks
    behind Werkzeug's parser (both release the GIL), so they overlap with the reading of the
    request body; every other method waits for the queue to be written first.

    A failed write (a full disk) is kept, not raised into Werkzeug's form parser: the rest of
    the part is dropped, ``store`` raises the error (``StorageFull``) and any read raises it.
    """

    QUEUED_CHUNKS = 32  # Werkzeug hands chunks of at most 64 KiB: 2 MiB in flight at most

    def __init__(self, fd: int):
        super().__init__()
        self._fd = fd
        self._hasher = hashlib.sha256()
        self._size = 0  # bytes written in order from the start (hashed)
        self._head = b""
        self._in_order = True  # False once a write lands elsewhere than at the end
        self._error: OSError | None = None
        self._queue: queue.Queue[bytes | None] | None = None
        self._writer: threading.Thread | None = None
        self.adopted = False

    @classmethod
    def open(cls, directory: Path) -> ReceivedFile | None:
        """An unnamed file in ``directory``; None where the system cannot make one."""
        flag = getattr(os, "O_TMPFILE", None)
        if flag is None or not Path("/proc/self/fd").is_dir():
            return None
        try:
            fd = os.open(directory, flag | os.O_RDWR, 0o600)
        except OSError as error:  # a file system without O_TMPFILE
            log.debug("no unnamed temporary file in %s: %s", directory, error)
            return None
        return cls(fd)

    # the state, once everything queued is written

    @property
    def size(self) -> int:
        self._drain()
        return self._size

    @property
    def error(self) -> OSError | None:
        self._drain()
        return self._error

    def adoptable(self) -> bool:
        """Whether ``store`` may keep the file as written: everything it holds was hashed in
        order and nobody has read from it yet."""
        if self.closed or self.adopted:
            return False
        return self.error is not None or (self._in_order and self.tell() == 0)

    def digest(self) -> tuple[str, int, bytes]:
        self._drain()
        return self._hasher.hexdigest(), self._size, self._head

    # writing

    def write(self, data: Any) -> int:
        self._checkClosed()
        chunk = bytes(data)  # the caller may reuse a buffer; bytes are not copied
        if self._error is None and chunk:
            if self._writer is None:
                self._queue = queue.Queue(self.QUEUED_CHUNKS)
                self._writer = threading.Thread(
                    target=self._write_queued, name="sikd-upload", daemon=True
                )
                self._writer.start()
            assert self._queue is not None
            self._queue.put(chunk)
        return len(chunk)

    def _write_queued(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                self._write_now(chunk)

    def _write_now(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        try:
            if self._in_order and os.lseek(self._fd, 0, os.SEEK_CUR) != self._size:
                self._in_order = False
            while view:
                written = os.write(self._fd, view)
                if self._in_order:
                    part = view[:written]
                    self._hasher.update(part)
                    if len(self._head) < HEAD_BYTES:
                        self._head += bytes(part[: HEAD_BYTES - len(self._head)])
                    self._size += written
                view = view[written:]
        except OSError as error:
            self._error = error
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)  # give the space back at once

    def _drain(self) -> None:
        """Wait until every queued chunk is written."""
        writer, self._writer = self._writer, None
        if writer is not None:
            assert self._queue is not None
            self._queue.put(None)
            writer.join()
            self._queue = None

    # reading, like a file

    def fileno(self) -> int:
        self._checkClosed()
        self._drain()
        return self._fd

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._checkClosed()
        if self.error is not None:
            raise self.error
        return os.readv(self._fd, [buffer])

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._checkClosed()
        self._drain()
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        return self.seek(0, os.SEEK_CUR)

    def truncate(self, size: int | None = None) -> int:
        self._checkClosed()
        size = self.tell() if size is None else size
        os.ftruncate(self._fd, size)
        if size < self._size:
            self._in_order = False
        return size

    def close(self) -> None:
        if not self.closed:
            try:
                self._drain()
                os.close(self._fd)
            finally:
                super().close()


def receive_upload(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None = None,
    content_length: int | None = None,
) -> BinaryIO:
    """Werkzeug's stream factory for multipart file parts (the host's request class uses
    it): a ``ReceivedFile`` in ``<STORAGE_DIR>/tmp/``, else Werkzeug's default."""
    from werkzeug.formparser import default_stream_factory

    received = ReceivedFile.open(_ensure_dir(storage_dir() / TMP_DIR))
    if received is not None:
        return received  # type: ignore[return-value]
    return default_stream_factory(total_content_length, content_type, filename, content_length)


def _check_extension(filename: str, file_type: FileType) -> None:
    extension = extension_of(filename or "")
    if extension in file_type.extensions:
        return
    expected = ", ".join(f".{ext}" for ext in file_type.extensions)
    if not extension:
        raise ExtensionMismatch(
            N_("The file name has no extension; a %(detected)s file must end in %(expected)s."),
            detected=file_type.label,
            expected=expected,
        )
    raise ExtensionMismatch(
        N_(
            "The file is a %(detected)s but its name ends in .%(extension)s; "
            "a %(detected)s file must end in %(expected)s."
        ),
        detected=file_type.label,
        extension=extension[:20],
        expected=expected,
    )


def _place(tmp: Path, final: Path, size: int) -> bool:
    """Rename ``tmp`` to ``final`` unless a sound copy is there; True when renamed."""
    _ensure_dir(final.parent)
    try:
        present = os.stat(final).st_size == size and not _known_bad(final.name)
    except FileNotFoundError:
        present = False
    if present:
        try:
            # A fresh mtime tells reconcile this file is in use again (see reconcile).
            os.utime(final)
        except FileNotFoundError:
            present = False  # reconcile claimed it a moment ago: put ours in place
        else:
            tmp.unlink()
            return False
    os.replace(tmp, final)  # also heals a truncated or corrupted copy
    _fsync_dir(final.parent)
    return True


def _known_bad(sha256: str) -> bool:
    result = db.session.scalar(
        select(StoredBlob.last_verify_result).where(StoredBlob.sha256 == sha256)
    )
    return result in (VERIFY_MISMATCH, VERIFY_MISSING)


def _add_row(sha256: str, size: int) -> None:
    """Insert the row in the current transaction, or keep the one already there."""
    table = StoredBlob.__table__
    values = {"sha256": sha256, "size": size, "created_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(insert(table).values(**values).on_conflict_do_nothing())
    elif db.session.get(StoredBlob, sha256) is None:
        db.session.add(StoredBlob(**values))


def _ensure_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents, fsyncing each parent that gained an entry."""
    if path.is_dir():
        return path
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        _fsync_dir(directory.parent)
    return path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # platforms that cannot open a directory
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- read ------------------------------------------------------------------------------


def open_blob(sha256: str) -> BinaryIO:
    """The stored content, opened for binary reading; ``BlobNotFound`` when absent."""
    path = blob_path(sha256)
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise BlobNotFound(N_("No stored file %(sha256)s."), sha256=sha256) from None


def send_blob(sha256: str, download_name: str, mimetype: str | None = None) -> Response:
    """A download of the blob as an attachment named ``download_name`` (made safe, with an
    extension fitting ``mimetype``); 404 when the file is missing. The caller audits it."""
    try:
        path = blob_path(sha256)
    except BlobNotFound:
        abort(404)
    if not path.is_file():
        current_app.logger.error("stored file %s is missing", sha256)
        abort(404)
    file_type = BY_MIMETYPE.get(mimetype or "")
    if mimetype is None:
        with path.open("rb") as handle:
            file_type = sniff(path, handle.read(HEAD_BYTES))
        mimetype = file_type.mimetype if file_type else "application/octet-stream"
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=True,
        download_name=clean_filename(download_name, file_type),
        etag=sha256,  # the content never changes under its name
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.no_cache = None
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.no_store = True  # records may be confidential
    return response


# --- destroy ---------------------------------------------------------------------------


def destroy(sha256: str) -> None:
    """Delete a blob: the only way to. Used by lawful destruction.

    The row is deleted in the current transaction (a foreign key from a record that still
    uses the content refuses it here); the file is unlinked once that transaction commits,
    and only if the row is then really gone. Nothing happens to the file on rollback. Should
    the process die between the commit and the unlink, ``reconcile`` removes the file.
    """
    path = blob_path(sha256)
    blob = db.session.get(StoredBlob, sha256)
    if blob is None and not path.exists():
        raise BlobNotFound(N_("No stored file %(sha256)s."), sha256=sha256)
    if blob is not None:
        db.session.delete(blob)
        db.session.flush()
    db.session.info.setdefault(PENDING_UNLINK, {})[sha256] = str(path)


@event.listens_for(Session, "after_commit")
def _unlink_destroyed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: wait for the real commit
        return
    pending = session.info.pop(PENDING_UNLINK, None)
    if not pending:
        return
    try:
        table = StoredBlob.__table__
        with session.get_bind().connect() as connection:
            kept = set(
                connection.scalars(select(table.c.sha256).where(table.c.sha256.in_(list(pending))))
            )
        for sha256, path in pending.items():
            if sha256 in kept:  # rolled back in a savepoint, or stored again meanwhile
                continue
            Path(path).unlink(missing_ok=True)
            _fsync_dir(Path(path).parent)
    except Exception:  # noqa: BLE001 - the commit stands; reconcile removes what is left
        log.exception("could not remove destroyed files %s", sorted(pending))


@event.listens_for(Session, "after_rollback")
def _forget_destroyed(session: Session) -> None:
    """After a rollback the rows are back, so nothing is unlinked. A savepoint's rollback
    keeps the list: the outer commit re-checks each blob's row before unlinking it."""
    if session.in_nested_transaction():
        return
    session.info.pop(PENDING_UNLINK, None)


# --- verify ----------------------------------------------------------------------------


@dataclass
class VerifyReport:
    run_id: int
    resumed: bool
    checked: int  # over the whole run, including the part before an interruption
    checked_now: int  # by this call
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.missing


def check_blob(sha256: str) -> str:
    """Re-hash one blob's file: 'ok', 'mismatch' or 'missing' (absent or unreadable)."""
    try:
        with blob_path(sha256).open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return VERIFY_MISSING
    except OSError:
        log.exception("cannot read stored file %s", sha256)
        return VERIFY_MISSING
    return VERIFY_OK if digest == sha256 else VERIFY_MISMATCH


def _open_run() -> VerifyRun | None:
    return db.session.scalar(
        select(VerifyRun).where(VerifyRun.status == "running").order_by(VerifyRun.id.desc())
    )


def verify_pending(resume: bool = True) -> int:
    """How many blobs ``verify(resume)`` has left to check (for a progress bar)."""
    run = _open_run() if resume else None
    statement = select(func.count()).select_from(StoredBlob)
    if run is not None and run.last_sha256:
        statement = statement.where(StoredBlob.sha256 > run.last_sha256)
    return db.session.scalar(statement) or 0


def verify(
    resume: bool = True, batch: int = 500, progress: Callable[[int], Any] | None = None
) -> VerifyReport:
    """Re-hash every blob in sha256 order and record each result on its row.

    Results and the run's checkpoint (the last sha256 checked) are committed every ``batch``
    blobs, so a run that is interrupted (an error, Ctrl-C, a crash) resumes after the last
    committed batch when called again with ``resume=True``; ``resume=False`` abandons any
    unfinished run and starts over. ``progress(1)`` is called after each blob. Run one
    verify at a time. Commits the session.
    """
    run = _open_run() if resume else None
    if not resume:
        db.session.execute(
            update(VerifyRun)
            .where(VerifyRun.status == "running")
            .values(status="abandoned", finished_at=utcnow())
        )
    resumed = run is not None
    if run is None:
        run = VerifyRun(started_at=utcnow(), status="running", checked=0, mismatched=0, missing=0)
        db.session.add(run)
    db.session.commit()
    run_id = run.id
    table = StoredBlob.__table__
    record = (
        update(table)
        .where(table.c.sha256 == bindparam("b_sha256"))
        .values(last_verify_result=bindparam("b_result"), last_verified_at=bindparam("b_at"))
    )
    checked_now = 0
    try:
        while True:
            statement = select(table.c.sha256).order_by(table.c.sha256).limit(batch)
            if run.last_sha256:
                statement = statement.where(table.c.sha256 > run.last_sha256)
            shas = db.session.scalars(statement).all()
            if not shas:
                break
            results = []
            for sha256 in shas:
                results.append(
                    {"b_sha256": sha256, "b_result": check_blob(sha256), "b_at": utcnow()}
                )
                if progress is not None:
                    progress(1)
            db.session.execute(record, results)
            outcomes = [row["b_result"] for row in results]
            run.checked += len(shas)
            run.mismatched += outcomes.count(VERIFY_MISMATCH)
            run.missing += outcomes.count(VERIFY_MISSING)
            run.last_sha256 = shas[-1]
            db.session.commit()
            checked_now += len(shas)
    except BaseException:
        db.session.rollback()
        raise
    run.status, run.finished_at = "done", utcnow()
    db.session.commit()
    return VerifyReport(
        run_id,
        resumed,
        run.checked,
        checked_now,
        _results_since(VERIFY_MISMATCH, run.started_at),
        _results_since(VERIFY_MISSING, run.started_at),
    )


def _results_since(result: str, since: dt.datetime) -> list[str]:
    return list(
        db.session.scalars(
            select(StoredBlob.sha256)
            .where(StoredBlob.last_verify_result == result, StoredBlob.last_verified_at >= since)
            .order_by(StoredBlob.sha256)
        )
    )


# --- orphans and reconcile -------------------------------------------------------------


@dataclass
class OrphanReport:
    unreferenced: list[str] = field(default_factory=list)  # files without a row, past grace
    young: int = 0  # files without a row within the grace period (uploads in flight)
    missing: list[str] = field(default_factory=list)  # rows without a file
    stale_temp: list[str] = field(default_factory=list)  # names in tmp/, past grace
    strays: list[str] = field(default_factory=list)  # other paths: reported, never removed


@dataclass
class ReconcileReport:
    removed: list[str] = field(default_factory=list)
    removed_temp: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # in use again when it came to removing
    missing: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)


def _age(path: Path, now: float) -> float | None:
    try:
        return now - path.stat().st_mtime
    except FileNotFoundError:
        return None


def _sorted_dir(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except FileNotFoundError:
        return []


def _disk_blobs(root: Path, strays: list[str]) -> Iterator[str]:
    """The sha256 of every blob file, in sorted order; other paths go to ``strays``."""
    for first in _sorted_dir(root):
        if first.name == TMP_DIR:
            continue
        if not (first.is_dir(follow_symlinks=False) and HEX2.fullmatch(first.name)):
            strays.append(first.name)
            continue
        for second in _sorted_dir(Path(first.path)):
            if not (second.is_dir(follow_symlinks=False) and HEX2.fullmatch(second.name)):
                strays.append(f"{first.name}/{second.name}")
                continue
            for entry in _sorted_dir(Path(second.path)):
                name = entry.name
                if (
                    entry.is_file(follow_symlinks=False)
                    and SHA256.fullmatch(name)
                    and name[:2] == first.name
                    and name[2:4] == second.name
                ):
                    yield name
                else:
                    strays.append(f"{first.name}/{second.name}/{name}")


def _row_shas() -> Iterator[str]:
    previous = ""
    statement = select(StoredBlob.sha256).order_by(StoredBlob.sha256)
    for sha256 in db.session.scalars(statement.execution_options(yield_per=2000)):
        if sha256 < previous:  # the merge below needs the database to sort like Python
            raise RuntimeError("storage_blob.sha256 does not sort in byte order")
        previous = sha256
        yield sha256


def orphans(grace_seconds: float = 3600) -> OrphanReport:
    """Compare the disk with the rows (a merge of two sorted walks, any number of blobs).

    Files without a row count once they are older than ``grace_seconds`` (younger ones may be
    uploads whose transaction has not committed yet); so do temporary files.
    """
    root = storage_dir()
    report = OrphanReport()
    now = time.time()
    disk = _disk_blobs(root, report.strays)
    rows = _row_shas()
    on_disk, in_db = next(disk, None), next(rows, None)
    while on_disk is not None or in_db is not None:
        if in_db is None or (on_disk is not None and on_disk < in_db):
            age = _age(blob_path(on_disk), now)
            if age is not None and age >= grace_seconds:
                report.unreferenced.append(on_disk)
            elif age is not None:
                report.young += 1
            on_disk = next(disk, None)
        elif on_disk is None or in_db < on_disk:
            report.missing.append(in_db)
            in_db = next(rows, None)
        else:
            on_disk, in_db = next(disk, None), next(rows, None)
    for entry in _sorted_dir(root / TMP_DIR):
        age = _age(Path(entry.path), now)
        if age is not None and age >= grace_seconds:
            report.stale_temp.append(entry.name)
    return report


def reconcile(grace_seconds: float = 3600, actor: Any = "system") -> ReconcileReport:
    """Remove unreferenced blob files and stale temporary files older than the grace
    period; never a row, never a stray. Audited in the current transaction (the caller
    commits) when something was removed.

    Each candidate is first renamed into tmp/ (so a concurrent ``store`` of the same content
    cannot reuse it unseen), then checked again: if it was touched within the grace period
    or has a committed row by now, it is put back.
    """
    from sikd_host.audit import service as audit

    found = orphans(grace_seconds)
    report = ReconcileReport(missing=found.missing, strays=found.strays)
    tmp_dir = _ensure_dir(storage_dir() / TMP_DIR)
    engine = db.session.get_bind()
    for sha256 in found.unreferenced:
        path = blob_path(sha256)
        claimed = tmp_dir / f"reconcile-{sha256}"
        try:
            os.replace(path, claimed)
        except FileNotFoundError:
            continue
        age = _age(claimed, time.time())
        if age is None:
            continue
        if age < grace_seconds or _has_row(engine, sha256):
            os.replace(claimed, path)
            report.kept.append(sha256)
            continue
        claimed.unlink()
        _fsync_dir(path.parent)
        report.removed.append(sha256)
    now = time.time()
    for name in found.stale_temp:
        path = tmp_dir / name
        age = _age(path, now)
        if age is not None and age >= grace_seconds:
            path.unlink(missing_ok=True)
            report.removed_temp.append(name)
    if report.removed or report.removed_temp:
        audit.record(
            actor,
            "storage.reconcile",
            "storage",
            "",
            {
                "removed": len(report.removed),
                "removed_sha256": report.removed[:1000],
                "removed_temp": len(report.removed_temp),
                "grace_seconds": grace_seconds,
            },
        )
    return report


def _has_row(engine: Any, sha256: str) -> bool:
    """Whether a committed row exists now (a new connection: no stale snapshot)."""
    table = StoredBlob.__table__
    with engine.connect() as connection:
        return connection.scalar(select(table.c.sha256).where(table.c.sha256 == sha256)) is not None
