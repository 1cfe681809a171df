"""Which files the storage accepts, recognised by their content, and safe file names.

Pure functions of bytes, paths and names (no Flask app, no database).

The content decides the type; the name's extension must then be one of that type's
extensions. A PDF named ``scan.png`` is refused (``ExtensionMismatch``), not silently stored
as a PDF: a name that lies about the content is a mistake or an attack, and either way the
uploader should hear about it.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from werkzeug.utils import secure_filename

HEAD_BYTES = 1024  # a PDF header may sit anywhere in the first 1024 bytes (PDF 1.7, H.3 n.13)
ZIP_MEMBER_LIMIT = 1024 * 1024  # read at most this much of a ZIP member (no zip bombs)
FALLBACK_STEM = "dokumen"
MAX_STEM = 120


@dataclass(frozen=True)
class FileType:
    key: str
    label: str
    mimetype: str
    extensions: tuple[str, ...]  # the first is the canonical one


TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "PDF", "application/pdf", ("pdf",)),
        FileType(
            "docx",
            "DOCX",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        FileType(
            "xlsx",
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        FileType("odt", "ODT", "application/vnd.oasis.opendocument.text", ("odt",)),
        FileType("jpeg", "JPEG", "image/jpeg", ("jpg", "jpeg")),
        FileType("png", "PNG", "image/png", ("png",)),
        FileType("tiff", "TIFF", "image/tiff", ("tif", "tiff")),
    )
}
DEFAULT_ALLOWED: tuple[str, ...] = tuple(TYPES)
ALIASES = {ext: t.key for t in TYPES.values() for ext in t.extensions}
BY_MIMETYPE = {t.mimetype: t for t in TYPES.values()}

# The main part's content type in [Content_Types].xml: plain documents and workbooks only
# (macro-enabled .docm/.xlsm and templates declare other types and are refused).
OOXML_MAIN = {
    "docx": (
        "word/",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def parse_allowed(value: str | Iterable[str] | None) -> frozenset[str]:
    """The allowed type keys from a setting: a list or a comma-separated string of type
    names or extensions (``pdf, docx, jpg``). Unknown names raise ValueError."""
    if value is None:
        return frozenset(DEFAULT_ALLOWED)
    items = value.split(",") if isinstance(value, str) else list(value)
    allowed = set()
    for item in items:
        name = str(item).strip().lower().lstrip(".")
        if not name:
            continue
        key = name if name in TYPES else ALIASES.get(name)
        if key is None:
            known = ", ".join(sorted(set(TYPES) | set(ALIASES)))
            raise ValueError(f"STORAGE_ALLOWED_TYPES: unknown type {name!r} (known: {known})")
        allowed.add(key)
    return frozenset(allowed)


def sniff(path: Path, head: bytes) -> FileType | None:
    """The type of the file at ``path`` by its content (``head``: its first bytes), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # TIFF and BigTIFF
        return TYPES["tiff"]
    if b"%PDF-" in head[:HEAD_BYTES]:
        return TYPES["pdf"]
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    return None


def _sniff_zip(path: Path) -> FileType | None:
    """DOCX, XLSX or ODT by the package's inner markers; None for any other or broken ZIP."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    if member.read(len(ODT_MIMETYPE) + 2).strip() == ODT_MIMETYPE:
                        return TYPES["odt"]
                return None
            if "[Content_Types].xml" not in names:
                return None
            with archive.open("[Content_Types].xml") as member:
                content_types = member.read(ZIP_MEMBER_LIMIT)
            for key, (folder, main_type) in OOXML_MAIN.items():
                if main_type in content_types and any(n.startswith(folder) for n in names):
                    return TYPES[key]
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        RuntimeError,
        ValueError,
        NotImplementedError,
        EOFError,
    ):
        return None  # broken, encrypted or exotic: not a document we accept
    return None


def extension_of(filename: str) -> str:
    """The lower-case extension of the name's last path component, without the dot."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    return ext.strip().lower() if dot and stem.strip(". ") else ""


def clean_filename(filename: str, file_type: FileType | None = None) -> str:
    """A file name safe to store and to offer as a download name.

    ASCII names go through werkzeug's ``secure_filename``. Names with other letters keep
    them (``send_file`` sends those as RFC 5987 ``filename*`` with an ASCII fallback) but
    lose path parts, control characters and characters that are unsafe on common file
    systems. With ``file_type`` the name ends in one of its extensions (added if needed).
    """
    base = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if base.isascii():
        name = secure_filename(base)
    else:
        kept = "".join(
            "_" if ch in '<>:"|?*' or unicodedata.category(ch).startswith(("C", "Z")) else ch
            for ch in base
        )
        name = re.sub(r"_+", "_", kept).strip("._ ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext.lower()
    if file_type is not None and ext not in file_type.extensions:
        stem, ext = name, file_type.extensions[0]
    stem = stem[:MAX_STEM].strip("._ ") or FALLBACK_STEM
    return f"{stem}.{ext}" if ext else stem
