"""Interface language helpers.

Pure modules mark their user-facing messages with :func:`N_` so that Babel extracts them
without importing Flask; the views translate them with ``gettext`` when they are shown.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import Babel, Domain, get_translations
from flask_login import current_user
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a no-op marker
    return message


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get("sikd_locale")
    if cookie in languages:
        return cookie
    return current_app.config["DEFAULT_LOCALE"]


# --- finding the catalogue ---------------------------------------------------------------


class RequestDomain(Domain):
    """Flask-Babel's domain, remembering the request's catalogue with the locale it is for.

    Each ``gettext`` (and each lazy string shown, such as a menu label) asked Flask-Babel for
    the catalogue anew: the babel context, the domain and the locale, each through ``g``.
    The catalogue is now kept with the locale object it was found for, so ``force_locale``
    (a new locale object) and ``refresh`` (no locale) still find the right one.
    """

    def get_translations(self) -> Any:
        kept = getattr(_babel_context(), "sikd_translations", None)
        if kept is not None and kept[0] is self and kept[1] is _request_locale():
            return kept[2]
        translations = super().get_translations()  # sets the context and its locale
        locale = _request_locale()
        if locale is not None:
            _babel_context().sikd_translations = (self, locale, translations)
        return translations


def _babel_context() -> Any:
    """Flask-Babel's per-request namespace, or None outside an app context or before it."""
    return g.get("_flask_babel") if has_app_context() else None


def _request_locale() -> Any:
    return getattr(_babel_context(), "babel_locale", None)


class SikdBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return RequestDomain(domain=self.domain)


# --- templates ---------------------------------------------------------------------------

TEMPLATE_TRANSLATIONS = "_sikd_translations"


def template_translations() -> dict[str, Any]:
    """A context processor: the translations of the request, looked up once per render."""
    return {TEMPLATE_TRANSLATIONS: get_translations()}


def _translations(context: Context) -> Any:
    """The render's translations; a macro imported without context looks them up."""
    found = context.get(TEMPLATE_TRANSLATIONS)
    return found if found is not None else get_translations()


def _formatted(context: Context, text: str, variables: dict[str, Any]) -> str:
    """Jinja's newstyle gettext result: the translation is a format string (``%%`` for a
    percent sign), marked safe under autoescaping so that only the variables are escaped.
    A translation without any ``%`` is the same string after formatting, so it is not
    formatted: most strings of a page have no variables."""
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if not variables and "%" not in text:
        return text
    return text % variables


@pass_context
def _gettext(context: Context, string: str, **variables: Any) -> str:
    return _formatted(context, _translations(context).ugettext(string), variables)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("num", n)
    return _formatted(context, _translations(context).ungettext(singular, plural, n), variables)


@pass_context
def _pgettext(context: Context, message_context: str, string: str, **variables: Any) -> str:
    variables.setdefault("context", message_context)
    translated = _translations(context).upgettext(message_context, string)
    return _formatted(context, translated, variables)


@pass_context
def _npgettext(
    context: Context, message_context: str, singular: str, plural: str, n: int, **variables: Any
) -> str:
    variables.setdefault("context", message_context)
    variables.setdefault("num", n)
    translated = _translations(context).unpgettext(message_context, singular, plural, n)
    return _formatted(context, translated, variables)


def install_template_gettext(app: Flask) -> None:
    """Translate template strings with the catalogue found once per render, in one call.

    Flask-Babel's template callables find the request's catalogue again for every string
    (the babel context, the domain and the locale, each through ``g``): about 10 µs a
    string, 60 strings on a result page. And Jinja wraps newstyle callables twice (``_``
    calls ``gettext``, which calls the function given), each call through the template
    context. These callables do what Jinja's newstyle ones do (escaping, ``%`` formatting,
    ``{% trans %}``) in a single call each, ``_`` included.
    """
    app.context_processor(template_translations)
    env = app.jinja_env
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # set by the i18n extension
    env.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
