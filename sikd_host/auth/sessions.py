"""Loading the user behind a session, and revoking sessions.

The session stores ``"<user id>:<session version>"``. Logging out, changing the password or
disabling the account bumps the version, so every earlier cookie stops working.
"""

from __future__ import annotations

import time

from flask import session
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from sikd_host.auth.models import Role, RolePermission, User, user_role
from sikd_host.extensions import db
from sikd_host.models import utcnow
from sikd_host.org.models import Position

# What nearly every page asks of the user (permissions, the unit they lead): the user with
# their position in one round trip, and their roles' grants as plain names in one more (no
# role objects), instead of lazy queries later in the request.
USER_OPTIONS = (joinedload(User.position).joinedload(Position.superior), lazyload(User.roles))


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id), options=USER_OPTIONS)
    if user is None or not user.active or user.session_version != int(version):
        return None
    user.keep_grants(
        db.session.execute(
            select(Role.name, RolePermission.permission)
            .join(user_role, user_role.c.role_id == Role.id)
            .outerjoin(RolePermission, RolePermission.role_id == Role.id)
            .where(user_role.c.user_id == user.id)
        ).all()
    )
    return user


def start_session(user: User) -> None:
    session.clear()
    login_user(user)
    session.permanent = True
    session["login_at"] = time.time()
    user.last_login_at = utcnow()
