"""The dashboard, the user's profile, the language switch and the health check."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import literal, select

from sikd_host.auth.forms import LanguageForm, PasswordChangeForm
from sikd_host.errors import render_error
from sikd_host.extensions import db
from sikd_host.registry import dashboard_widgets
from sikd_host.security import safe_next

bp = Blueprint("portal", __name__)


@bp.route("/")
def dashboard() -> Any:
    return render_template("dashboard.html", widgets=dashboard_widgets(current_user))


@bp.route("/profile")
def profile() -> Any:
    return render_template(
        "profile.html",
        password_form=PasswordChangeForm(),
        language_form=LanguageForm(language=str(get_locale()), formdata=None),
    )


@bp.route("/language", methods=["POST"])
def set_language() -> Any:
    """The top-bar switch; works before login too, and remembers the choice for the user."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return render_error(400, _("Choose one of the offered languages."))
    session["locale"] = form.language.data
    if current_user.is_authenticated:
        current_user.locale = form.language.data
        db.session.commit()
    response = redirect(_back())
    response.set_cookie(
        "sikd_locale", form.language.data, max_age=365 * 86400, samesite="Lax", httponly=True
    )
    return response


def _back() -> str:
    return safe_next(request.form.get("next"))


@bp.route("/healthz")
def healthz() -> Any:
    try:
        db.session.execute(select(literal(1)))
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok", version=current_app.config["SIKD_VERSION"])
