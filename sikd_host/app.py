"""The application factory."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, request, session
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import current_user, logout_user
from itsdangerous import BadSignature
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

from sikd_host import __version__
from sikd_host.config import instance_path_from_env, load_settings
from sikd_host.database import configure_sqlite, engine_options, normalise_url
from sikd_host.extensions import babel, csrf, db, limiter, login_manager
from sikd_host.i18n import install_template_gettext, select_locale
from sikd_host.pluginmanager import PluginHost, current_host
from sikd_host.query import IntegerConverter, refuse_nul_characters
from sikd_host.transactions import end_reads_with_commit

PUBLIC_ENDPOINTS = {
    "static",
    "plugin_static",
    "auth.login",
    "portal.healthz",
    "portal.set_language",
}


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading only what every part of the portal can store: ``NaN`` and
    ``Infinity`` are refused, and so are a value nested deeper than the parser can recurse
    (a ``RecursionError``) and a string with a lone surrogate (``"\\ud800"``, which no
    database driver can encode). Each raises ``ValueError``, which ``request.get_json``
    answers with 400 (or None when silent) instead of a 500 further on."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        _refuse_surrogates(value)
        return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _refuse_surrogates(value: Any) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError, a ValueError, on a lone surrogate
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class SikdRequest(FlaskRequest):
    """Flask's request, with each uploaded file part written straight into the storage's
    temporary folder and hashed on the way (``storage.receive_upload``), so that storing it
    is a link, not a second copy of the whole file."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        from sikd_host.storage.service import receive_upload

        return receive_upload(total_content_length, content_type, filename, content_length)


class SikdFlask(Flask):
    """Flask with the house's template lookup: instance overrides first, then the host's and
    blueprints' templates, then each plugin's ``templates/`` folder. An override extends the
    template it replaces as ``original/<name>``."""

    json_provider_class = StrictJSONProvider
    request_class = SikdRequest

    def __init__(self, *args: Any, **kwargs: Any):
        self.plugin_templates = ChoiceLoader([])  # plugins' folders are appended as they load
        super().__init__(*args, **kwargs)
        # Before any rule is added: every <int:...> of the host and the plugins is bounded.
        self.url_map.converters["int"] = IntegerConverter

    def create_global_jinja_loader(self) -> BaseLoader:
        original = ChoiceLoader([super().create_global_jinja_loader(), self.plugin_templates])
        overrides = FileSystemLoader(str(Path(self.instance_path) / "templates"))
        return ChoiceLoader([overrides, original, PrefixLoader({"original": original})])


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS, and
    sent again only when it changed or was signed more than ``REFRESH_AFTER_SECONDS`` ago
    (or a quarter of the idle timeout, when that is shorter).

    The idle timeout counts from the cookie's signature, so re-signing it on every request
    (Flask's default) cost every page a serialisation, an HMAC and a ``Set-Cookie``. Now a
    session ends between ``IDLE_TIMEOUT_MINUTES`` less a minute and ``IDLE_TIMEOUT_MINUTES``
    after the last request."""

    REFRESH_AFTER_SECONDS = 60

    def get_cookie_secure(self, app: Flask) -> bool:
        from flask import has_request_context

        forced = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return forced or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request: FlaskRequest) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if serializer is None or not cookie:
            return None if serializer is None else self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        opened = self.session_class(data)
        opened.signed_at = signed_at
        return opened

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        if signed_at is None:
            return True
        idle = app.permanent_session_lifetime.total_seconds()
        return time.time() - signed_at.timestamp() >= min(self.REFRESH_AFTER_SECONDS, idle / 4)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    instance_path = Path((config or {}).get("INSTANCE_PATH") or instance_path_from_env())
    instance_path.mkdir(parents=True, exist_ok=True)
    app = SikdFlask("sikd_host", instance_path=str(instance_path), instance_relative_config=True)
    settings = load_settings(instance_path)
    settings.update(config or {})
    app.config.update(settings)
    app.extensions["sikd_explicit_config"] = set(config or {})
    _apply_flask_settings(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    plugins = PluginHost(app)
    app.extensions["sikd_plugins"] = plugins
    app.add_url_rule("/plugins/<plugin>/static/<path:filename>", "plugin_static", plugin_static)

    from sikd_host.errors import register_error_handlers
    from sikd_host.security import register_security_headers
    from sikd_host.templating import register_template_helpers

    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)

    from sikd_host.cli import register_commands

    register_commands(app)
    with app.app_context():
        plugins.start()
        register_plugin_commands(app, plugins)
    return app


def _apply_flask_settings(app: Flask) -> None:
    c = app.config
    c["SQLALCHEMY_DATABASE_URI"] = normalise_url(c["DATABASE_URL"])
    c["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(c["SQLALCHEMY_DATABASE_URI"])
    c["MAX_CONTENT_LENGTH"] = int(c["MAX_UPLOAD_MB"]) * 1024 * 1024
    c["SESSION_COOKIE_NAME"] = "sikd_session"
    c["SESSION_COOKIE_HTTPONLY"] = True
    c["SESSION_COOKIE_SAMESITE"] = "Lax"
    c["SESSION_COOKIE_SECURE"] = bool(c["FORCE_HTTPS_COOKIES"])
    c["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(minutes=int(c["IDLE_TIMEOUT_MINUTES"]))
    c["SESSION_REFRESH_EACH_REQUEST"] = True
    c["REMEMBER_COOKIE_DURATION"] = dt.timedelta(seconds=0)
    c["BABEL_DEFAULT_LOCALE"] = c["DEFAULT_LOCALE"]
    c["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    c["RATELIMIT_STORAGE_URI"] = c["REDIS_URL"] or "memory://"
    c["RATELIMIT_HEADERS_ENABLED"] = False
    # Redis down must not lock everyone out: the limits fall back to each worker's memory
    # until it answers again (logged), instead of every login answering 500.
    c.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    c.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    c["WTF_CSRF_TIME_LIMIT"] = None  # the session's own lifetime bounds the token
    c.setdefault("SIKD_VERSION", __version__)
    app.session_interface = SessionInterface()
    if int(c["TRUSTED_PROXIES"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(c["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(
            db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_MMAP_MB"]
        )
        end_reads_with_commit(db.engine)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    from sikd_host.auth.sessions import load_user

    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    from sikd_host.admin.plugins import bp as plugins_bp
    from sikd_host.admin.views import bp as admin_bp
    from sikd_host.audit.views import bp as audit_bp
    from sikd_host.auth.views import bp as auth_bp
    from sikd_host.jobs.views import bp as jobs_bp
    from sikd_host.notifications.views import bp as notifications_bp
    from sikd_host.org.views import bp as org_bp
    from sikd_host.portal import bp as portal_bp

    blueprints = (portal_bp, auth_bp, admin_bp, org_bp, audit_bp, plugins_bp, notifications_bp)
    for blueprint in (*blueprints, jobs_bp):
        app.register_blueprint(blueprint)


def _register_request_hooks(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

    @app.before_request
    def require_login() -> Any:
        plugins = current_host()
        plugins.sync()
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.endpoint is None:
            abort(404)
        if request.blueprints and not plugins.is_active_blueprint(request.blueprints[-1]):
            abort(404)  # the plugin is disabled: its pages are absent, for everyone
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if _session_too_old():
            logout_user()
            session.clear()
            return current_app.login_manager.unauthorized()
        if not session.permanent:  # setting it marks the session modified
            session.permanent = True
        return None


def _session_too_old() -> bool:
    started = session.get("login_at", 0)
    limit = int(current_app.config["ABSOLUTE_SESSION_HOURS"]) * 3600
    return time.time() - started > limit


def register_plugin_commands(app: Flask, plugins: PluginHost) -> None:
    for command in plugins.declarations("sikd_cli", group=app.cli):
        app.cli.add_command(command)


def plugin_static(plugin: str, filename: str) -> Any:
    """A plugin's ``static/`` folder, found automatically; absent while it is disabled."""
    from flask import send_from_directory

    record = current_host().records.get(plugin)
    if record is None or not record.active or record.package_dir is None:
        abort(404)
    return send_from_directory(record.package_dir / "static", filename)
