"""Who may act at a node: operator rules in batches (the first batch with a match wins).

Keys inside one rule combine with AND:
``role`` (a role or list), ``user`` (工号 or list), ``department`` (code),
``creator`` / ``creator_manager`` (true), ``site_field`` (a form field holding a
site code: users based at that site, e.g. 所属供电局 → that bureau's handlers),
``field_user`` (a form field holding a 工号), ``previous`` (a node id: whoever
acted there last), ``in_scope`` (default true for role/department rules: only
users whose data scope covers the order's site).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ticketing.models import Assignment, Comment, Department, Site, User, WorkOrder

ACTING = ("submit", "approve", "create")


async def _active_users(session: AsyncSession) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.active.is_(True)).options(selectinload(User.scope_sites)).order_by(User.id)
    )
    return list(rows)


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


async def _covers(session: AsyncSession, user: User, site_path: str | None) -> bool:
    if user.has_role("admin"):
        return True
    if site_path is None:
        return True
    for site in user.scope_sites:
        if site.path.count("/") == 2 or site_path.startswith(site.path):
            return True
    return False


async def match_rule(
    session: AsyncSession,
    rule: Mapping[str, Any],
    order: WorkOrder,
    users: list[User],
    site_path: str | None,
    form: Mapping[str, Any] | None = None,
    acting: tuple[str, int] | None = None,
) -> list[User]:
    form = order.form if form is None else form
    found = list(users)
    if "role" in rule:
        roles = _as_list(rule["role"])
        found = [u for u in found if u.has_role(*roles)]
    if "user" in rule:
        staff = set(_as_list(rule["user"]))
        found = [u for u in found if u.staff_no in staff]
    if "department" in rule:
        codes = _as_list(rule["department"])
        ids = set(await session.scalars(select(Department.id).where(Department.code.in_(codes))))
        found = [u for u in found if u.department_id in ids]
    if rule.get("creator"):
        found = [u for u in found if u.id == order.created_by_id]
    if rule.get("creator_manager"):
        manager_id = await _creator_manager(session, order)
        found = [u for u in found if u.id == manager_id]
    if "site_field" in rule:
        code = form.get(rule["site_field"])
        site_id = await session.scalar(select(Site.id).where(Site.code == str(code))) if code else None
        found = [u for u in found if site_id is not None and u.site_id == site_id]
    if "field_user" in rule:
        staff_no = form.get(rule["field_user"])
        found = [u for u in found if staff_no and u.staff_no == str(staff_no)]
    if "previous" in rule and acting is not None and acting[0] == rule["previous"]:
        # The step being completed right now: its operator has not been written down yet.
        found = [u for u in found if u.id == acting[1]]
    elif "previous" in rule:
        last = await session.scalar(
            select(Comment.user_id)
            .where(Comment.order_id == order.id, Comment.node == rule["previous"], Comment.action.in_(ACTING))
            .order_by(Comment.id.desc())
            .limit(1)
        )
        found = [u for u in found if u.id == last]
    if rule.get("current_handlers"):
        pending = set(
            await session.scalars(
                select(Assignment.user_id).where(
                    Assignment.order_id == order.id, Assignment.state == "pending"
                )
            )
        )
        found = [u for u in found if u.id in pending]
    if rule.get("in_scope", "role" in rule or "department" in rule):
        found = [u for u in found if await _covers(session, u, site_path)]
    return found


async def _creator_manager(session: AsyncSession, order: WorkOrder) -> int | None:
    if order.created_by_id is None:
        return None
    creator = await session.get(User, order.created_by_id)
    if creator is None:
        return None
    if creator.manager_id:
        return creator.manager_id
    if creator.department_id:
        dept = await session.get(Department, creator.department_id)
        return dept.manager_id if dept else None
    return None


async def resolve(
    session: AsyncSession,
    batches: Iterable[Iterable[Mapping[str, Any]]],
    order: WorkOrder,
    *,
    exclude: Iterable[int] = (),
    form: Mapping[str, Any] | None = None,
    acting: tuple[str, int] | None = None,
) -> list[User]:
    """Users of the first batch with any match (union of its rules, in rule order, no duplicates)."""
    users = await _active_users(session)
    excluded = set(exclude)
    site_path = (
        await session.scalar(select(Site.path).where(Site.id == order.site_id)) if order.site_id else None
    )
    for batch in batches:
        picked: dict[int, User] = {}
        for rule in batch:
            for user in await match_rule(session, rule, order, users, site_path, form, acting):
                if user.id not in excluded:
                    picked.setdefault(user.id, user)
        if picked:
            return list(picked.values())
    return []
