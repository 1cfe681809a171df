"""Loading the user behind a session, and revoking sessions.

The session stores ``"<user id>:<session version>"``. Logging out, changing the password or
disabling the account bumps the version, so every earlier cookie stops working.
"""

from __future__ import annotations

import time

from flask import session
from flask_login import login_user

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.models import utcnow


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def start_session(user: User) -> None:
    session.clear()
    login_user(user)
    session.permanent = True
    session["login_at"] = time.time()
    user.last_login_at = utcnow()
