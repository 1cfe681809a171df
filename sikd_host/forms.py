"""The base form of the house: WTForms' own messages go through our catalogues.

WTForms ships no Indonesian translation, so its built-in validator messages are listed here
(marked for extraction) and translated by Flask-Babel like every other string.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from sikd_host.i18n import N_

WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid email address."),
    N_("Not a valid choice."),
    N_("Not a valid integer value."),
    N_("Not a valid date value."),
    N_("Invalid input."),
    N_("Field must be at least %(min)d character long."),
    N_("Field must be at least %(min)d characters long."),
    N_("Field cannot be longer than %(max)d character."),
    N_("Field cannot be longer than %(max)d characters."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Field must be equal to %(other_name)s."),
    N_("'%(value)s' is not a valid choice for this field."),
    N_("'%(value)s' are not valid choices for this field."),
    N_("The CSRF token is missing."),
    N_("The CSRF token is invalid."),
    N_("The CSRF token has expired."),
    N_("The CSRF tokens do not match."),
)


class _BabelTranslations:
    def gettext(self, message: str) -> str:
        return gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Both English forms are plain msgids in our catalogues (Indonesian has no plural).
        return gettext(singular if n == 1 else plural)


def json_formdata() -> ImmutableMultiDict:
    """A JSON body as form data, the way a browser would send the form: an object whose
    values are text or numbers, or lists of them. Anything else (a list, a number, an
    object inside a field, a body that is not JSON) is refused with 400: Flask-WTF would
    hand it to the fields as it is, and a field holding a dict is a 500 further on."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    pairs = []
    for name, value in payload.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                abort(400)
            pairs.append((name, str(item)))
    return ImmutableMultiDict(pairs)


class Form(FlaskForm):
    """Use instead of FlaskForm: CSRF on, and every built-in message in the user's language."""

    class Meta:
        def get_translations(self, form: Any) -> _BabelTranslations:
            return _BabelTranslations()

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if (
                formdata is _Auto
                and request.method in ("POST", "PUT", "PATCH", "DELETE")
                and not request.files
                and not request.form
                and request.is_json
            ):
                return json_formdata()
            return super().wrap_formdata(form, formdata)  # type: ignore[misc]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes: easier than a multiple select, which needs
    Ctrl and a click for every choice after the first."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
