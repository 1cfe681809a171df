"""Friendly error pages (HTML) or JSON, in the user's language, with a fitting status."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from sikd_host.extensions import db
from sikd_host.permissions import MissingPermission


class BadInput(Exception):
    """Input that cannot be read (a bad query argument, a NUL character): answered 400 with
    ``message`` (an English msgid) translated with ``params``."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Bad request"),
            _("The request could not be understood. Check the form and try again."),
        ),
        401: (_("Login required"), _("Please log in to open this page.")),
        403: (_("Access denied"), _("You do not have permission to open this page.")),
        404: (_("Page not found"), _("The page does not exist, or you may not see it.")),
        405: (_("Method not allowed"), _("This address does not accept that kind of request.")),
        413: (_("File too large"), _("The upload is larger than the allowed size.")),
        422: (_("Invalid data"), _("Some of the data sent is not valid.")),
        429: (_("Too many attempts"), _("Too many attempts. Wait a few minutes and try again.")),
        500: (
            _("Something went wrong"),
            _("An unexpected error occurred. It has been logged; please try again."),
        ),
        503: (_("Unavailable"), _("The service is temporarily unavailable.")),
        507: (_("Insufficient storage"), _("The storage is full; the file was not saved.")),
    }


def render_error(status: int, detail: str | None = None) -> tuple[Any, int]:
    title, message = _messages().get(status, _messages()[500])
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=title, message=detail or message, status=status), status
    return render_template(
        "errors/error.html", status=status, title=title, message=message, detail=detail
    ), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MissingPermission)
    def missing_permission(error: MissingPermission) -> Any:
        return render_error(403, _("Missing permission: %(name)s", name=error.permission))

    @app.errorhandler(BadInput)
    def bad_input(error: BadInput) -> Any:
        return render_error(400, _(error.message, **error.params))

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Any:
        return render_error(
            400,
            _(
                "The form has expired or is missing its security token. "
                "Reload the page and try again."
            ),
        )

    @app.errorhandler(413)
    def too_large(_error: Exception) -> Any:
        limit = app.config["MAX_UPLOAD_MB"]
        return render_error(413, _("The largest upload allowed is %(mb)s MiB.", mb=limit))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        return render_error(error.code, None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        app.logger.exception("unhandled error: %s", error)
        db.session.rollback()
        return render_error(500)
