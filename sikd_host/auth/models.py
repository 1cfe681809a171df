"""Users, roles and the permissions ticked on each role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sikd_host.extensions import db
from sikd_host.models import utcnow

user_role = Table(
    "user_role",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(db.Model):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    grants: Mapped[list[RolePermission]] = relationship(
        cascade="all, delete-orphan", back_populates="role"
    )

    @property
    def permission_names(self) -> set[str]:
        return {grant.permission for grant in self.grants}


class RolePermission(db.Model):
    """A permission ticked on a role. Permissions are declared in code, so this holds names."""

    __tablename__ = "role_permission"

    role_id: Mapped[int] = mapped_column(
        ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(80), primary_key=True)
    role: Mapped[Role] = relationship(back_populates="grants")


class SeenPermission(db.Model):
    """A plugin permission the host has offered to its suggested roles once: a permission is
    ticked on the roles it suggests the first time an enabled plugin declares it (a plugin's
    upgrade may bring new ones), never again, so an admin's unticking stays."""

    __tablename__ = "permission_seen"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")
    position = relationship("Position", back_populates="holders")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The session id carries the session version, so bumping it revokes every session."""
        return f"{self.id}:{self.session_version}"

    @property
    def role_names(self) -> set[str]:
        grants = self.__dict__.get("_grants")
        if grants is not None:
            return set(grants[0])
        return {role.name for role in self.roles}

    @property
    def permissions(self) -> set[str]:
        grants = self.__dict__.get("_grants")
        if grants is not None:
            return set(grants[1])
        return {grant.permission for role in self.roles for grant in role.grants}

    def keep_grants(self, roles: Iterable[str], permissions: Iterable[str]) -> None:
        """Remember the names of the user's roles and of the permissions they grant, read with
        the session, so that the permission checks of a request ask no more queries.
        Changing ``roles`` forgets them."""
        self.__dict__["_grants"] = (frozenset(roles), frozenset(permissions))

    def has_permission(self, name: str) -> bool:
        grants = self.__dict__.get("_grants")
        if grants is not None:
            return "admin" in grants[0] or name in grants[1]
        return "admin" in self.role_names or name in self.permissions

    def revoke_sessions(self) -> None:
        self.session_version = (self.session_version or 0) + 1

    def __repr__(self) -> str:
        return f"<User {self.username}>"


@event.listens_for(User.roles, "set")
@event.listens_for(User.roles, "append")
@event.listens_for(User.roles, "remove")
def _forget_grants(user: User, *_args: object) -> None:
    user.__dict__.pop("_grants", None)
