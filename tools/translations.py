"""Extract, merge, compile and check the interface catalogues (Indonesian and English).

Source strings are English. ``update`` extracts them from a package (``babel.cfg`` says how),
merges them into ``<package>/translations/{id,en}/LC_MESSAGES/messages.po`` keeping the
existing translations, copies every msgid to its English msgstr and compiles the ``.mo``
files; translate the new Indonesian entries it lists, then run ``compile`` (or ``update``)
and ``check``::

    .venv/bin/python tools/translations.py update
    .venv/bin/python tools/translations.py check
    .venv/bin/python tools/translations.py compile

A plugin keeps its own catalogue: ``--package plugins/archive/sikd_archive`` (extra source
directories with ``--source``, another catalogue directory with ``--output``).
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import re
import sys
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "babel.cfg"
DEFAULT_PACKAGE = ROOT / "sikd_host"
DOMAIN = "messages"
LOCALES = ("id", "en")  # the first is the default interface language
SOURCE_LOCALE = "en"  # msgstr = msgid
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0+]*\d*(?:\.\d+)?[sdifrx]")
DATE_HEADERS = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')
HEADER_COMMENT = (
    "# {what} of the SIKD interface.\n"
    "# Maintained with tools/translations.py. License: AGPL-3.0-or-later.\n"
    "#"
)

Key = tuple[str | tuple[str, ...], str | None]


def po_path(output: Path, locale: str) -> Path:
    return output / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _keywords() -> dict[str, object]:
    """Every section's ``keywords`` from babel.cfg, whatever the Babel version."""
    config = configparser.RawConfigParser()
    config.read(MAPPING, encoding="utf-8")
    names = {
        name
        for section in config.sections()
        for name in config[section].get("keywords", "").split()
    }
    return parse_keywords(sorted(names))


def extract(sources: Sequence[Path]) -> Catalog:
    """The template catalogue of every marked string under ``sources``."""
    with MAPPING.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(MAPPING))
    keywords = _keywords()
    template = Catalog(project="SIKD", fuzzy=False)
    template.header_comment = HEADER_COMMENT.format(what="Message template")
    for source in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            source,
            method_map,
            options_map,
            keywords=keywords,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        ):
            location = (f"{source.name}/{Path(filename).as_posix()}", lineno)
            template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (list, tuple)) else (string or "",)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _compile(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _compiled_messages(mo: bytes) -> dict[Key, tuple[str, ...]]:
    """The messages of a compiled catalogue, without its header."""
    return {
        (tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id, m.context): _strings(m)
        for m in read_mo(BytesIO(mo))
        if m.id
    }


def _placeholders(text: str) -> tuple[str, ...]:
    return tuple(sorted(PLACEHOLDER.findall(text)))


def _write(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already says the same, apart from its date headers."""

    def significant(content: bytes) -> list[bytes]:
        return [line for line in content.splitlines() if not line.startswith(DATE_HEADERS)]

    if path.exists() and significant(path.read_bytes()) == significant(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    write_po(buffer, catalog, ignore_obsolete=True, include_lineno=False)
    return buffer.getvalue()


def write_catalog(path: Path, catalog: Catalog) -> bool:
    """Save a ``.po`` (or ``.pot``) file; True when its content changed."""
    catalog.fuzzy = False
    return _write(path, _po_bytes(catalog))


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def update(sources: Sequence[Path], output: Path) -> Catalog:
    """Extract, merge into every locale's ``.po`` and compile; returns the template."""
    template = extract(sources)
    write_catalog(output / f"{DOMAIN}.pot", template)
    for locale in LOCALES:
        path = po_path(output, locale)
        if path.exists():
            catalog = read_catalog(path, locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="SIKD", fuzzy=False)
            catalog.header_comment = HEADER_COMMENT.format(
                what=f"{catalog.locale.english_name} messages"
            )
            catalog.language_team = f"{catalog.locale.english_name} <{locale}@li.org>"
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if not message.id:
                continue
            message.flags.discard("fuzzy")
            if locale == SOURCE_LOCALE:
                ids = _ids(message)
                message.string = ids if message.pluralizable else ids[0]
        catalog.revision_date = dt.datetime.now(dt.UTC)
        if write_catalog(path, catalog):
            print(f"updated {path.relative_to(output)}")
    compile_catalogs(output)
    return template


def compile_catalogs(output: Path) -> None:
    for locale in LOCALES:
        path = po_path(output, locale)
        if _write(path.with_suffix(".mo"), _compile(read_catalog(path, locale))):
            print(f"compiled {path.with_suffix('.mo').relative_to(output)}")


def find_problems(sources: Sequence[Path], output: Path) -> list[str]:
    """One line per missing, empty or fuzzy translation, placeholder mismatch or stale ``.mo``."""
    template = extract(sources)
    problems: list[str] = []
    for locale in LOCALES:
        path = po_path(output, locale)
        if not path.exists():
            problems.append(f"{locale}: {path} does not exist")
            continue
        catalog = read_catalog(path, locale)
        for wanted in template:
            if not wanted.id:
                continue
            where = ", ".join(sorted({file for file, _line in wanted.locations}))
            found = catalog.get(wanted.id, wanted.context)
            if found is None or found.fuzzy or not all(_strings(found)):
                state = "missing" if found is None else "fuzzy" if found.fuzzy else "empty"
                problems.append(f"{locale}: {state}: {wanted.id!r} ({where})")
                continue
            expected = {_placeholders(form) for form in _ids(wanted)}
            for string in _strings(found):
                if _placeholders(string) not in expected:
                    problems.append(
                        f"{locale}: placeholders differ: {wanted.id!r} -> {string!r} ({where})"
                    )
        mo = path.with_suffix(".mo")
        if not mo.exists():
            problems.append(f"{locale}: {mo} does not exist; run compile")
            continue
        if _compiled_messages(mo.read_bytes()) != _compiled_messages(_compile(catalog)):
            problems.append(f"{locale}: {mo} is out of date with its .po; run compile")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--package", type=Path, default=DEFAULT_PACKAGE, help="package to extract (sikd_host)"
    )
    common.add_argument(
        "--source", type=Path, action="append", default=[], help="another directory to extract"
    )
    common.add_argument(
        "--output", type=Path, help="catalogue directory (default: PACKAGE/translations)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", parents=[common], help="extract, merge and compile")
    commands.add_parser("check", parents=[common], help="fail on untranslated strings")
    commands.add_parser("compile", parents=[common], help="compile the .po files to .mo")
    args = parser.parse_args(argv)
    package = args.package.resolve()
    sources = [package, *(source.resolve() for source in args.source)]
    output = (args.output or package / "translations").resolve()

    if args.command == "compile":
        compile_catalogs(output)
        return 0
    if args.command == "update":
        template = update(sources, output)
        print(f"{len(template)} messages")
    problems = find_problems(sources, output)
    for problem in problems:
        print(problem, file=sys.stderr if args.command == "check" else sys.stdout)
    if args.command == "check":
        if problems:
            print(f"{len(problems)} problem(s)", file=sys.stderr)
            return 1
        print(f"ok: every message translated in {', '.join(LOCALES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
