"""Login, logout and the user's own password and language."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select

from sikd_host.audit import service as audit
from sikd_host.auth.forms import LoginForm, PasswordChangeForm
from sikd_host.auth.models import User
from sikd_host.auth.passwords import hash_password, needs_rehash, verify_password
from sikd_host.auth.sessions import start_session
from sikd_host.extensions import db, limiter
from sikd_host.security import safe_next

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "account:" + (request.form.get("username") or "").strip().lower()[:80]


def _login_failed(response: Any) -> bool:
    return request.method == "POST" and response.status_code != 302


def _limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _limit_per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("portal.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit_per_address, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    _limit_per_account, key_func=_account_key, methods=["POST"], deduct_when=_login_failed
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("portal.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.username) == username))
        if (
            user is not None
            and user.active
            and verify_password(user.password_hash, form.password.data)
        ):
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            start_session(user)
            if user.locale:
                session["locale"] = user.locale
            audit.record(user, "auth.login", "user", user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        if user is None:
            verify_password(None, form.password.data)
        audit.record(
            None if user is None else user,
            "auth.login_failed",
            "user",
            "" if user is None else user.id,
            {"username": username},
        )
        db.session.commit()
        flash(_("Wrong user name or password."), "danger")
        return render_template("auth/login.html", form=form), 200
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    user = current_user._get_current_object()
    user.revoke_sessions()
    audit.record(user, "auth.logout", "user", user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
            return render_template("auth/password.html", form=form), 422
        user.password_hash = hash_password(form.new_password.data)
        user.revoke_sessions()
        audit.record(user, "auth.password_changed", "user", user.id)
        db.session.commit()
        start_session(user)  # this browser stays logged in, every other session ends
        db.session.commit()
        flash(_("Your password has been changed. Other sessions were logged out."), "success")
        return redirect(url_for("portal.profile"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
