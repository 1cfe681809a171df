"""Loading the user behind a session, and revoking sessions.

The session stores ``"<user id>:<session version>"``. Logging out, changing the password or
disabling the account bumps the version, so every earlier cookie stops working.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from flask import session
from flask_login import login_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, lazyload

from sikd_host.auth.models import Role, RolePermission, User, user_role
from sikd_host.extensions import db
from sikd_host.models import utcnow
from sikd_host.notifications import service as notifications
from sikd_host.org.models import Position

# What nearly every page asks of the user, read with them in one round trip: their position
# and its superior (the unit they lead), the names of their roles and of the permissions those
# grant (as plain names, no role objects), and what host modules add (the unread count of the
# notifications bell), instead of one query each or lazy queries later in the request.
USER_OPTIONS = (joinedload(User.position).joinedload(Position.superior), lazyload(User.roles))
SEPARATOR = "\n"  # no role name (letters, digits, ``._-``) or permission name holds one


def _names_of_the_roles_of(user_id: Any, name: Any, role_id: Any) -> Any:
    """``name`` of every row whose ``role_id`` is one of the user's roles, joined by
    SEPARATOR, as a scalar subquery of a statement that reads users."""
    return (
        select(func.aggregate_strings(name, SEPARATOR))
        .join(user_role, user_role.c.role_id == role_id)
        .where(user_role.c.user_id == user_id)
        .scalar_subquery()
    )


@functools.cache
def _session_user_statement() -> Any:
    """Built once (it is the same for every request), with the user's id as a parameter."""
    return (
        select(
            User,
            _names_of_the_roles_of(User.id, Role.name, Role.id),
            _names_of_the_roles_of(User.id, RolePermission.permission, RolePermission.role_id),
            notifications.unread_count_of(User.id),
        )
        .options(*USER_OPTIONS)
        .where(User.id == bindparam("user_id"))
    )


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    row = db.session.execute(_session_user_statement(), {"user_id": int(user_id)}).first()
    if row is None:
        return None
    user, roles, permissions, unread = row
    if not user.active or user.session_version != int(version):
        return None
    user.keep_grants(_split(roles), _split(permissions))
    notifications.remember_unread(user, unread)
    return user


def _split(names: str | None) -> list[str]:
    return names.split(SEPARATOR) if names else []


def start_session(user: User) -> None:
    session.clear()
    login_user(user)
    session.permanent = True
    session["login_at"] = time.time()
    user.last_login_at = utcnow()
