"""Every interface string has an Indonesian and an English translation (tools/translations.py).

The messages are extracted from the source at test time, so a string added without running
``tools/translations.py update`` and translating it fails here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sikd_translations_tool", ROOT / "tools" / "translations.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


PACKAGES = ("sikd_host", "plugins/archive/sikd_archive", "plugins/simantap/sikd_simantap")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_is_translated_and_compiled(package: str) -> None:
    source = ROOT / package
    problems = tool.find_problems([source], source / "translations")
    assert not problems, (
        f"run `.venv/bin/python tools/translations.py update --package {package}`, "
        "translate the id catalogue, then `compile`:\n" + "\n".join(problems)
    )


def _translate_id(output: Path, strings: dict[str, str]) -> None:
    path = tool.po_path(output, "id")
    catalog = tool.read_catalog(path, "id")
    for msgid, msgstr in strings.items():
        catalog[msgid].string = msgstr
    tool.write_catalog(path, catalog)


def test_checker_reports_untranslated_mismatched_and_stale(tmp_path: Path) -> None:
    package = tmp_path / "sikd_fake"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "page.html").write_text(
        "<p>{{ _('Hello, %(name)s.', name=user) }}</p>", encoding="utf-8"
    )
    views = package / "views.py"
    views.write_text("from flask_babel import gettext as _\n\nSAVED = _('Saved.')\n")
    output = package / "translations"

    tool.update([package], output)
    assert tool.find_problems([package], output) == [  # English is filled in by update
        "id: empty: 'Saved.' (sikd_fake/views.py)",
        "id: empty: 'Hello, %(name)s.' (sikd_fake/templates/page.html)",
    ]

    _translate_id(output, {"Saved.": "Tersimpan.", "Hello, %(name)s.": "Halo, %(nama)s."})
    problems = tool.find_problems([package], output)
    assert problems[0].startswith("id: placeholders differ: 'Hello, %(name)s.'")
    assert problems[1:] == [
        f"id: {tool.po_path(output, 'id').with_suffix('.mo')} is out of "
        "date with its .po; run compile"
    ]

    _translate_id(output, {"Hello, %(name)s.": "Halo, %(name)s."})
    tool.compile_catalogs(output)
    assert tool.find_problems([package], output) == []

    views.write_text(views.read_text() + "NEW = _('zzz untranslated')\n")
    assert tool.find_problems([package], output) == [
        "id: missing: 'zzz untranslated' (sikd_fake/views.py)",
        "en: missing: 'zzz untranslated' (sikd_fake/views.py)",
    ]
    tool.update([package], output)  # keeps the Indonesian translations, fills in English
    assert tool.find_problems([package], output) == [
        "id: empty: 'zzz untranslated' (sikd_fake/views.py)"
    ]


def test_the_interface_is_indonesian_by_default(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="id"' in page and "Masuk ke SIKD" in page and "Kata sandi" in page
    client.set_cookie("sikd_locale", "en")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in to SIKD" in page and "Password" in page


def test_a_plugins_own_catalogue_translates_its_pages(client: FlaskClient, login_as) -> None:
    login_as("sdm")
    page = client.get("/").get_data(as_text=True)
    assert "Manajemen talenta" in page  # from plugins/simantap/.../translations
    client.set_cookie("sikd_locale", "en")
    assert "Talent management" in client.get("/").get_data(as_text=True)


def test_template_strings_macros_and_plurals_follow_the_language(
    client: FlaskClient, login_as
) -> None:
    """Templates find the catalogue once per render (sikd_host.i18n): a page's own strings,
    those of a macro imported without the page's context, and plural forms follow the
    reader's language, and a second language in the same process does not stick."""
    login_as("pegawai")
    inbox = client.get("/arsip/kotak-masuk").get_data(as_text=True)
    assert "Kotak Masuk" in inbox and "Tidak ada data." in inbox  # the page's own
    assert 'aria-label="Halaman"' in inbox  # the pager macro, imported without context
    search = client.get("/arsip/cari?q=tidakadasamasekali").get_data(as_text=True)
    assert "0 naskah ditemukan." in search
    client.set_cookie("sikd_locale", "en")
    inbox = client.get("/arsip/kotak-masuk").get_data(as_text=True)
    assert "Inbox (Kotak Masuk)" in inbox and "Nothing here." in inbox
    assert 'aria-label="Pages"' in inbox
    assert "0 records found." in client.get("/arsip/cari?q=tidakadasamasekali").get_data(
        as_text=True
    )
    client.set_cookie("sikd_locale", "id")
    assert "Tidak ada data." in client.get("/arsip/kotak-masuk").get_data(as_text=True)


def test_the_remembered_catalogue_follows_force_locale_and_refresh(app) -> None:
    """sikd_host.i18n.RequestDomain keeps the request's catalogue with its locale: a forced
    locale, its end, and a refresh after the language changed each find the right one."""
    from flask import session
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    with app.test_request_context("/"):
        assert gettext("Pages") == "Halaman" and str(lazy_gettext("Pages")) == "Halaman"
        with force_locale("en"):
            assert gettext("Pages") == "Pages" and str(lazy_gettext("Pages")) == "Pages"
        assert gettext("Pages") == "Halaman"
        session["locale"] = "en"
        assert gettext("Pages") == "Halaman"  # the request's locale stays until a refresh
        refresh()
        assert gettext("Pages") == "Pages"
