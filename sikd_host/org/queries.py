"""Hierarchy queries other code needs: superior, subordinates, peers and unit subtrees.

Subtrees use recursive CTEs, so each answer is one query whatever the depth of the tree.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit


def unit_subtree_ids(unit_id: int) -> Select:
    """A SELECT of the ids of ``unit_id`` and every unit below it (usable as a subquery)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("unit_tree", recursive=True)
    child = aliased(Unit)
    tree = tree.union_all(select(child.id).join(tree, child.parent_id == tree.c.id))
    return select(tree.c.id)


def unit_choices(within: Select | None = None) -> list[tuple[int, str]]:
    """Units as ``(id, "code name")`` pairs by code, for a unit filter or field: every unit,
    or those whose ids ``within`` (a SELECT of ids, such as :func:`unit_subtree_ids`) gives."""
    statement = select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)
    if within is not None:
        statement = statement.where(Unit.id.in_(within))
    return [(unit_id, f"{code} {name}") for unit_id, code, name in db.session.execute(statement)]


def position_subtree_ids(position_id: int, include_self: bool = False) -> Select:
    """The ids of every position reporting, directly or not, to ``position_id``."""
    tree = (
        select(Position.id)
        .where(Position.superior_id == position_id)
        .cte("position_tree", recursive=True)
    )
    child = aliased(Position)
    tree = tree.union_all(select(child.id).join(tree, child.superior_id == tree.c.id))
    query = select(tree.c.id)
    if include_self:
        query = query.union(select(Position.id).where(Position.id == position_id))
    return query


def superior_of(user: User) -> User | None:
    """The holder of the user's position's superior position (the first, if several)."""
    if user.position is None or user.position.superior_id is None:
        return None
    return db.session.scalar(
        select(User)
        .where(User.position_id == user.position.superior_id, User.active)
        .order_by(User.id)
        .limit(1)
    )


def subordinates_of(user: User, all_levels: bool = False) -> list[User]:
    """Holders of positions reporting to the user's position; every level below if asked."""
    if user.position_id is None:
        return []
    if all_levels:
        condition = User.position_id.in_(position_subtree_ids(user.position_id))
    else:
        condition = User.position_id.in_(
            select(Position.id).where(Position.superior_id == user.position_id)
        )
    return list(
        db.session.scalars(select(User).where(condition, User.active).order_by(User.full_name))
    )


def peers_of(user: User) -> list[User]:
    """Other employees of the same unit whose positions report to the same superior position."""
    position = user.position
    if position is None:
        return []
    peer_position = aliased(Position)
    same_superior = (
        peer_position.superior_id == position.superior_id
        if position.superior_id is not None
        else peer_position.superior_id.is_(None)
    )
    return list(
        db.session.scalars(
            select(User)
            .join(peer_position, User.position_id == peer_position.id)
            .where(
                and_(peer_position.unit_id == position.unit_id, same_superior),
                User.id != user.id,
                User.active,
            )
            .order_by(User.full_name)
        )
    )


def leads_unit(user: User) -> bool:
    """True when the user holds the top structural position of their unit."""
    position = user.position
    if position is None or not position.is_structural:
        return False
    superior = position.superior
    return superior is None or superior.unit_id != position.unit_id


def active_holders(position_ids: list[int]) -> dict[int, list[str]]:
    """Position id -> "Full Name (username)" of each active user holding it, in one query."""
    if not position_ids:
        return {}
    holders: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(User.position_id, User.full_name, User.username)
        .where(User.position_id.in_(position_ids), User.active)
        .order_by(User.position_id, User.username)
    )
    for position_id, full_name, username in rows:
        holders.setdefault(position_id, []).append(f"{full_name} ({username})")
    return holders
