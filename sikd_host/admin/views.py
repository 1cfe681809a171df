"""Admin pages: users (create, edit, disable, set password) and roles with their permissions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from sikd_host.admin.forms import RoleForm, UserForm
from sikd_host.audit import service as audit
from sikd_host.auth import accounts
from sikd_host.auth.models import Role, RolePermission, User
from sikd_host.extensions import db
from sikd_host.i18n import N_
from sikd_host.org.models import Position
from sikd_host.permissions import permission_required
from sikd_host.query import page_arg
from sikd_host.registry import all_permissions

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.route("/users")
@permission_required("admin.users")
def users() -> Any:
    query = request.args.get("q", "").strip()
    page = page_arg()
    statement = select(User).options(selectinload(User.position)).order_by(User.username)
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.full_name).like(like),
                User.nip.like(like),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/users.html",
        users=rows,
        q=query,
        page=page,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def _fill_choices(form: UserForm) -> None:
    form.roles.choices = [
        (r.id, r.name) for r in db.session.scalars(select(Role).order_by(Role.name))
    ]
    form.position_id.choices = [(0, "-")] + [
        (p.id, f"{p.code} {p.name}")
        for p in db.session.scalars(select(Position).order_by(Position.code))
    ]


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("admin.users")
def user_form(user_id: int | None = None) -> Any:
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = UserForm(obj=user)
    _fill_choices(form)
    if request.method == "GET" and user is not None:
        form.roles.data = [role.id for role in user.roles]
        form.position_id.data = user.position_id or 0
    if form.validate_on_submit():
        try:
            user = _save_user(user, form)
        except accounts.AccountError as error:
            db.session.rollback()
            field = form.position_id if "position" in error.params else form.username
            field.errors.append(_(error.message, **error.params))
        else:
            db.session.commit()
            flash(_("User saved."), "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/user_form.html", form=form, user=user), status


def _save_user(user: User | None, form: UserForm) -> User:
    actor = current_user._get_current_object()
    role_names = [
        r.name for r in db.session.scalars(select(Role).where(Role.id.in_(form.roles.data or [])))
    ]
    position_id = form.position_id.data or None
    if user is None:
        return accounts.create_user(
            actor,
            form.username.data,
            form.full_name.data,
            form.password.data,
            form.email.data or "",
            form.nip.data or None,
            role_names,
            position_id,
        )
    clash = accounts.find_user(form.username.data)
    if clash is not None and clash.id != user.id:
        raise accounts.AccountError(
            N_("The user name %(name)s is already taken."), name=form.username.data
        )
    nip = form.nip.data or None
    if nip and db.session.scalar(select(User.id).where(User.nip == nip, User.id != user.id)):
        raise accounts.AccountError(N_("The NIP %(nip)s belongs to another user."), nip=nip)
    if form.active.data:  # a disabled account holds nothing
        accounts.check_position_free(position_id, user.id)
    before = _snapshot(user)
    user.username, user.full_name = form.username.data.strip().lower(), form.full_name.data.strip()
    user.email, user.nip, user.position_id = form.email.data or "", nip, position_id
    user.roles = accounts.roles_named(role_names)
    after = _snapshot(user)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        audit.record(actor, "user.changed", "user", user.id, changes)
    if form.password.data:
        accounts.set_password(actor, user, form.password.data)
    accounts.set_active(actor, user, form.active.data)
    return user


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "nip": user.nip,
        "position_id": user.position_id,
        "roles": sorted(user.role_names),
    }


@bp.route("/roles")
@permission_required("admin.roles")
def roles() -> Any:
    rows = db.session.scalars(
        select(Role).options(selectinload(Role.grants)).order_by(Role.name)
    ).all()
    return render_template(
        "admin/roles.html", roles=rows, permissions={p.name: p for p in all_permissions()}
    )


@bp.route("/roles/new", methods=["GET", "POST"])
@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@permission_required("admin.roles")
def role_form(role_id: int | None = None) -> Any:
    role = db.session.get(Role, role_id) if role_id else None
    if role_id and role is None:
        abort(404)
    form = RoleForm(obj=role)
    declared = all_permissions()
    form.permissions.choices = [(p.name, f"{p.name}: {p.label}") for p in declared]
    if request.method == "GET" and role is not None:
        form.permissions.data = sorted(role.permission_names)
    if form.validate_on_submit():
        name = form.name.data.strip().lower()
        clash = db.session.scalar(select(Role).where(Role.name == name))
        if clash is not None and clash is not role:
            form.name.errors.append(_("The role %(name)s already exists.", name=name))
        else:
            created = role is None
            role = role or Role(name=name)
            before = sorted(role.permission_names) if not created else []
            role.name, role.description = name, form.description.data or ""
            offered = {p.name for p in declared}
            kept = role.permission_names - offered  # e.g. of a plugin that is disabled now
            chosen = set(form.permissions.data or []) | kept
            role.grants = [g for g in role.grants if g.permission in chosen] + [
                RolePermission(permission=p) for p in sorted(chosen - role.permission_names)
            ]
            db.session.add(role)
            db.session.flush()
            audit.record(
                None,
                "role.created" if created else "role.changed",
                "role",
                role.id,
                {"name": role.name, "before": before, "after": sorted(chosen)},
            )
            db.session.commit()
            flash(_("Role saved."), "success")
            return redirect(url_for("admin.roles"))
    status = 422 if form.errors else 200
    return render_template("admin/role_form.html", form=form, role=role), status
