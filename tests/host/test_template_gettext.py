"""Template strings are translated in one call each, with Jinja's newstyle gettext rules:
the translation is a format string whose variables are escaped, ``%%`` is a percent sign,
plurals give ``num``, and ``{% trans %}`` blocks work as before."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string


def _render(app: Flask, source: str, locale: str = "id", **context: Any) -> str:
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale(locale):
        return render_template_string(source, **context)


def test_strings_are_translated_to_the_request_language(app: Flask) -> None:
    assert _render(app, "{{ _('Log out') }}") == "Keluar"
    assert _render(app, "{{ gettext('Log out') }}", locale="en") == "Log out"


def test_variables_are_escaped_and_the_text_is_not(app: Flask) -> None:
    page = _render(app, "{{ _('%(n)s unread', n=count) }}", count="<b>3</b>")
    assert page == "&lt;b&gt;3&lt;/b&gt; belum dibaca"


def test_a_double_percent_is_one_percent_sign_with_or_without_variables(app: Flask) -> None:
    assert _render(app, "{{ _('100%% sure') }}") == "100% sure"
    assert _render(app, "{{ _('%(n)s%% done', n=5) }}") == "5% done"


def test_a_string_without_variables_is_safe_markup_under_autoescape(app: Flask) -> None:
    # an untranslated message is shown as written, markup included, as Jinja's own does
    assert _render(app, "{{ _('<em>x</em>') }}") == "<em>x</em>"
    assert _render(app, "{% autoescape false %}{{ _('a & b') }}{% endautoescape %}") == "a & b"


@pytest.mark.parametrize(("count", "expected"), [(1, "1 record found."), (4, "4 records found.")])
def test_plurals_give_num(app: Flask, count: int, expected: str) -> None:
    source = "{{ ngettext('%(num)d record found.', '%(num)d records found.', n) }}"
    assert _render(app, source, locale="en", n=count) == expected


def test_context_forms_give_context_and_num(app: Flask) -> None:
    assert _render(app, "{{ pgettext('menu', 'in %(context)s') }}", locale="en") == "in menu"
    source = "{{ npgettext('c', '%(num)d in %(context)s', '%(num)d in %(context)ss', 2) }}"
    assert _render(app, source, locale="en") == "2 in cs"


def test_trans_blocks_format_their_variables(app: Flask) -> None:
    source = "{% trans name=who %}Hello, {{ name }}!{% endtrans %}"
    assert _render(app, source, locale="en", who="<Budi>") == "Hello, &lt;Budi&gt;!"
    plural = "{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}"
    assert _render(app, plural, locale="en", n=3) == "3 items"
