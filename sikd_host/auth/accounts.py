"""Account operations shared by the admin pages and the ``sikd users`` commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from sikd_host.audit import service as audit
from sikd_host.auth.models import Role, RolePermission, User
from sikd_host.auth.passwords import hash_password, password_problem
from sikd_host.extensions import db
from sikd_host.i18n import N_
from sikd_host.org.nip import parse_nip
from sikd_host.permissions import SEEDED_ROLES


class AccountError(ValueError):
    """A refused account change; ``message`` is an English msgid with ``params``."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def find_user(username: str) -> User | None:
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )


def roles_named(names: Iterable[str]) -> list[Role]:
    names = list(names)
    roles = list(db.session.scalars(select(Role).where(Role.name.in_(names))))
    unknown = set(names) - {role.name for role in roles}
    if unknown:
        raise AccountError(N_("Unknown role: %(name)s"), name=", ".join(sorted(unknown)))
    return roles


def check_position_free(position_id: int | None, user_id: int | None = None) -> None:
    """DOMAIN.md section 2: a structural position has at most one holder. Refuse to place a
    user in a structural position that another active user holds, naming that holder."""
    from sikd_host.org.models import Position

    if not position_id:
        return
    position = db.session.get(Position, position_id)
    if position is None:
        raise AccountError(N_("No position with the id %(id)s."), id=position_id)
    if not position.is_structural:
        return
    holder = db.session.scalar(
        select(User)
        .where(User.position_id == position_id, User.active, User.id != (user_id or 0))
        .order_by(User.id)
        .limit(1)
    )
    if holder is not None:
        raise AccountError(
            N_(
                "The structural position %(position)s is already held by %(holder)s; "
                "a structural position has at most one holder."
            ),
            position=f"{position.code} {position.name}",
            holder=f"{holder.full_name} ({holder.username})",
        )


def create_user(
    actor: Any,
    username: str,
    full_name: str,
    password: str | None = None,
    email: str = "",
    nip: str | None = None,
    roles: Iterable[str] = ("pegawai",),
    position_id: int | None = None,
) -> User:
    """Create an account in the current transaction, audited; the caller commits."""
    username = username.strip().lower()
    if not username:
        raise AccountError(N_("A user name is required."))
    if find_user(username) is not None:
        raise AccountError(N_("The user name %(name)s is already taken."), name=username)
    if nip:
        nip = parse_nip(nip).digits
        if db.session.scalar(select(User.id).where(User.nip == nip)) is not None:
            raise AccountError(N_("The NIP %(nip)s belongs to another user."), nip=nip)
    check_position_free(position_id)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        nip=nip or None,
        active=True,
        position_id=position_id,
    )
    if password:
        set_password(actor, user, password, audited=False)
    user.roles = roles_named(roles)
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.created",
        "user",
        user.id,
        {"username": username, "roles": sorted(user.role_names)},
    )
    return user


def set_password(actor: Any, user: User, password: str, audited: bool = True) -> None:
    problem = password_problem(password)
    if problem:
        message, params = problem
        raise AccountError(message, **params)
    user.password_hash = hash_password(password)
    user.revoke_sessions()
    if audited:
        audit.record(actor, "user.password_set", "user", user.id)


def set_active(actor: Any, user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    user.revoke_sessions()
    audit.record(actor, "user.enabled" if active else "user.disabled", "user", user.id)


def seed_roles() -> None:
    """Create the seeded roles and their default permissions when missing (idempotent)."""
    existing = {role.name for role in db.session.scalars(select(Role))}
    for name, (description, permissions) in SEEDED_ROLES.items():
        if name in existing:
            continue
        role = Role(name=name, description=description)
        role.grants = [RolePermission(permission=p) for p in permissions]
        db.session.add(role)
    db.session.flush()
