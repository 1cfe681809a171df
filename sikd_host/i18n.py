"""Interface language helpers.

Pure modules mark their user-facing messages with :func:`N_` so that Babel extracts them
without importing Flask; the views translate them with ``gettext`` when they are shown.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user


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
