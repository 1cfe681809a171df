"""``select_options``: the ``<option>``s of a long select, built in Python for templates."""

from __future__ import annotations

from flask import Flask, render_template_string
from markupsafe import Markup

from sikd_host.templating import select_options


def test_options_mark_the_chosen_value_compared_as_text() -> None:
    choices = [(1, "KP Kepegawaian"), (12, "UM Umum")]
    assert select_options(choices, "12") == Markup(
        '<option value="1">KP Kepegawaian</option><option value="12" selected>UM Umum</option>'
    )
    assert select_options(choices, 1).count(" selected") == 1
    assert " selected" not in select_options(choices, None)
    assert " selected" not in select_options(choices, "")
    assert select_options([], "1") == Markup("")


def test_values_and_labels_are_escaped() -> None:
    html = select_options([('"><script>', "<b>Bagian & Umum</b>")], None)
    assert html == Markup(
        '<option value="&#34;&gt;&lt;script&gt;">&lt;b&gt;Bagian &amp; Umum&lt;/b&gt;</option>'
    )


def test_templates_have_it(app: Flask) -> None:
    with app.test_request_context("/"):
        page = render_template_string(
            "<select>{{ select_options(units, 2) }}</select>", units=[(2, "A")]
        )
    assert page == '<select><option value="2" selected>A</option></select>'
