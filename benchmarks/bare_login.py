"""The second ceiling of the load benchmark: a bare login-required page. Flask, Flask-Login
and a signed session cookie; the user is read by primary key from the same PostgreSQL
database as SIKD (``BARE_DATABASE_URL``) on every request, as any login-required page must,
and the page is a small Jinja template with the user's name. Nothing else: no roles, no
menus, no layout, no CSRF, no plugins.

    BARE_DATABASE_URL=postgresql+psycopg://... python -m gunicorn ... bare_login:app

``POST /login`` with ``username`` logs in without a password (only the page is measured).
"""

import os

from flask import Flask, abort, render_template_string, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from sqlalchemy import create_engine, text

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("BARE_SECRET_KEY", "bare login")
# each gunicorn worker imports this module after the fork, so each has its own pool
engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_pre_ping=True)
login_manager = LoginManager(app)
PAGE = "<!doctype html><title>Page</title><h1>Selamat datang, {{ name }}</h1>"


class User(UserMixin):
    def __init__(self, row):
        self.id, self.full_name = row.id, row.full_name


def find(condition: str, value) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(
            text(f'SELECT id, full_name FROM "user" WHERE {condition} AND active'),
            {"value": value},
        ).first()
    return User(row) if row else None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return find("id = :value", int(user_id))


@app.post("/login")
def login() -> str:
    user = find("username = :value", request.form.get("username", ""))
    if user is None:
        abort(403)
    login_user(user)
    return "ok"


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.get("/page")
@login_required
def page() -> str:
    return render_template_string(PAGE, name=current_user.full_name)
