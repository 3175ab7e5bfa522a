"""The admins' register of users (账号管理): list, create, edit, reset a password, unlock.

A new user and a reset password get a temporary password, shown to the admin once and never
stored in clear; the user must choose their own at the next sign-in. Roles, sites, data scope
and skills (queue → penalty) are edited in place; an account is disabled (停用), never deleted,
because orders, calls and the audit log name it. An admin cannot disable their own account or
take away their own admin role, so the last admin cannot lock everybody out by mistake. A
user's phone, where SMS alerts go, is a contact number by the product's one rule
(``cti.phones.checked``), and a 远程处理人 has a site or a data scope, or they would see no order.
Every change is audited with the user before and after.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from cti.phones import InvalidPhoneNumber, checked
from ticketing.audit import record, record_change
from ticketing.errors import FieldErrors, NotFound, clean_texts, require_admin
from ticketing.events import UserAccountChanged, queue_event
from ticketing.ids import fetch, is_id, whole
from ticketing.models import ROLES, Assignment, Department, Site, User, WorkOrder
from ticketing.users import (
    STAFF_NO,
    create_user,
    password_problems,
    set_password,
    staff_number,
    user_view,
)
from ticketing.workflow.actions import release_steps

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEXT_LIMITS = {"staff_no": 6, "name": 64, "phone": 32, "email": 128}
_EDITABLE = (
    "name",
    "roles",
    "site_id",
    "scope_site_ids",
    "department_id",
    "manager",
    "skills",
    "phone",
    "email",
    "active",
)
_QUEUE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # an Asterisk queue name as queues.conf allows it
MAX_PENALTY = 99
# no 0/O, 1/l/I: a temporary password is read out or typed from a note
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def temporary_password(length: int = 12, *, staff_no: str = "", name: str = "", phone: str = "") -> str:
    """A random password that passes the policy (letters and digits, none of the user's 工号,
    name or phone in it: the rules the user's own change keeps to)."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if not password_problems(password, staff_no=staff_no, name=name, phone=phone):
            return password


async def views(session: AsyncSession, users: list[User]) -> list[dict[str, Any]]:
    """``user_view`` of each user, with their manager named by 工号 (``manager``), as the form takes
    it, and the open orders whose current step they hold (``open_steps``): what 停用 moves to a
    colleague or leaves 待改派 (``release_steps``), said before the admin confirms."""
    ids = {u.manager_id for u in users if u.manager_id}
    managers = (
        dict((await session.execute(select(User.id, User.staff_no).where(User.id.in_(ids)))).all())
        if ids
        else {}
    )
    held = await open_steps_held(session, [u.id for u in users])
    return [
        {**user_view(u), "manager": managers.get(u.manager_id, ""), "open_steps": held.get(u.id, 0)}
        for u in users
    ]


async def open_steps_held(session: AsyncSession, user_ids: list[int]) -> dict[int, int]:
    """Per user, the open orders whose current step waits for them (as ``release_steps`` finds them)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Assignment.user_id, func.count(func.distinct(WorkOrder.id)))
        .join(WorkOrder, WorkOrder.id == Assignment.order_id)
        .where(
            Assignment.user_id.in_(user_ids),
            Assignment.state == "pending",
            Assignment.node == WorkOrder.current_node,
            WorkOrder.is_open.is_(True),
        )
        .group_by(Assignment.user_id)
    )
    return {user_id: count for user_id, count in rows.all()}


async def get_user(session: AsyncSession, staff_no: str) -> User:
    user = await session.scalar(select(User).where(User.staff_no == staff_number(staff_no)))
    if user is None:
        raise NotFound(f"no user {staff_no}", entity="user", key=staff_no)
    await session.refresh(user, ["scope_sites"])
    return user


async def listing(
    session: AsyncSession, *, q: str = "", role: str = "", active: bool | None = None, limit: int = 500
) -> list[User]:
    """Users by 工号; ``q`` matches the 工号's start or any part of the name; the first ``limit``."""
    stmt = select(User).options(selectinload(User.scope_sites)).order_by(User.staff_no)
    if q:
        stmt = stmt.where(
            or_(User.staff_no.startswith(q, autoescape=True), User.name.contains(q, autoescape=True))
        )
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if not role:
        return list(await session.scalars(stmt.limit(limit)))
    # roles are a JSON list on both backends: filtered here, so the limit is applied after it
    return [u for u in await session.scalars(stmt) if role in (u.roles or [])][:limit]


async def _cleaned(
    session: AsyncSession,
    values: Mapping[str, Any],
    current: User | None,
    actor: User | None,
    known_queues: Collection[str] | None,
) -> dict[str, Any]:
    """The register's values from an admin's input, or FieldErrors naming each bad field.
    ``known_queues``: the hotline's queues, the only ones a skill may name (None: not checked)."""
    problems: dict[str, str] = {}
    allowed = set(_EDITABLE) | ({"staff_no"} if current is None else set())
    for name in set(values) - allowed:
        problems[name] = "field_unknown"
    out: dict[str, Any] = clean_texts(dict(values), _TEXT_LIMITS, problems)
    if "staff_no" in out:
        out["staff_no"] = staff_number(out["staff_no"])
    if current is None and "staff_no" not in problems and not STAFF_NO.match(out.get("staff_no", "")):
        problems["staff_no"] = "field_bad_staff_no"
    if (current is None or "name" in out) and "name" not in problems and not out.get("name"):
        problems["name"] = "field_required"
    if out.get("email") and not _EMAIL.match(out["email"]):
        problems["email"] = "field_bad_email"
    if out.get("phone"):
        # the number an overrun's SMS alert goes to: a contact number as every other the product
        # keeps (cti.phones.checked: a mobile of 11 digits, a landline with its area code…; full
        # width read as ASCII), stored as the SMS gateway dials it
        try:
            out["phone"] = checked(out["phone"])
        except InvalidPhoneNumber as bad:
            problems["phone"] = bad.problem
    if "roles" in values or current is None:
        roles = values.get("roles")
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            problems["roles"] = "field_required"
        elif any(r not in ROLES for r in roles):
            problems["roles"] = "field_bad_option"
        elif current is not None and actor is not None and current.id == actor.id and "admin" not in roles:
            problems["roles"] = "field_own_admin_role"
        else:
            out["roles"] = list(dict.fromkeys(roles))
    for name, model, problem in (
        ("site_id", Site, "field_unknown_site"),
        ("department_id", Department, "field_unknown"),
    ):
        if name in values:
            value = values[name]
            if value in (None, ""):
                out[name] = None
            elif not whole(value):
                problems[name] = "field_not_number"
            elif (found := await fetch(session, model, value)) is None:
                problems[name] = problem
            elif model is Site and not found.enabled and (current is None or current.site_id != value):
                problems[name] = "field_site_disabled"  # nobody new is based at a 停用 site
            else:
                out[name] = value
    if "scope_site_ids" in values:
        ids = values["scope_site_ids"] or []
        if not isinstance(ids, list) or not all(is_id(i) for i in ids):
            problems["scope_site_ids"] = "field_not_number"
        else:
            sites = list(await session.scalars(select(Site).where(Site.id.in_(ids)))) if ids else []
            if len(sites) != len(set(ids)):
                problems["scope_site_ids"] = "field_unknown_site"
            else:
                out["scope_sites"] = sites
    if "manager" in values:
        manager = values["manager"]
        if manager in (None, ""):
            out["manager_id"] = None
        elif not isinstance(manager, str):
            problems["manager"] = "field_not_text"
        else:
            found = await session.scalar(select(User.id).where(User.staff_no == staff_number(manager)))
            if found is None:
                problems["manager"] = "field_unknown_user"
            elif current is not None and found == current.id:
                problems["manager"] = "field_own_manager"
            elif current is not None and await _reports_to(session, found, current.id):
                problems["manager"] = "field_manager_loop"
            else:
                out["manager_id"] = found
    if "skills" in values:
        skills = values["skills"] or {}
        if not isinstance(skills, dict) or not all(
            isinstance(q, str)
            and _QUEUE.match(q)
            and isinstance(p, int)
            and not isinstance(p, bool)
            and 0 <= p <= MAX_PENALTY
            for q, p in skills.items()
        ):
            problems["skills"] = "field_bad_skills"
        elif known_queues is not None and not set(skills) <= set(known_queues):
            # a typo would become a queue of its own: campaigns and reports offer every skill's queue
            problems["skills"] = "field_unknown_queue"
        else:
            out["skills"] = dict(skills)
    if "active" in values:
        if not isinstance(values["active"], bool):
            problems["active"] = "field_not_boolean"
        elif current is not None and actor is not None and current.id == actor.id and not values["active"]:
            problems["active"] = "field_own_account"
        else:
            out["active"] = values["active"]
    if _handler_without_site(values, out, current, problems):
        problems["site_id"] = "field_handler_without_site"
    if problems:
        raise FieldErrors(problems)
    return out


def _handler_without_site(
    values: Mapping[str, Any], out: Mapping[str, Any], current: User | None, problems: Mapping[str, str]
) -> bool:
    """Whether the account would be an active 远程处理人 with neither a 所属单位 nor a 数据权限: a
    handler sees and is given only the orders of their sites, so such an account could never see
    or take one. Asked when a new user is made and when an edit sets the roles, the site or the
    scope (an edit of the phone alone, or disabling the account, is not held to it); not when
    those fields are refused already."""
    touched = ("roles", "site_id", "scope_site_ids")
    if current is not None and not any(name in values for name in touched):
        return False
    if any(name in problems for name in touched):
        return False
    # the account after the edit: what it sets, else what it has
    roles = out.get("roles", current.roles if current is not None else [])
    site_id = out.get("site_id", current.site_id if current is not None else None)
    scope = out.get("scope_sites", current.scope_sites if current is not None else [])
    active = out.get("active", current.active if current is not None else True)
    return active and "handler" in (roles or []) and site_id is None and not scope


async def _reports_to(session: AsyncSession, user_id: int, boss_id: int) -> bool:
    """Whether ``boss_id`` is above ``user_id`` on its chain of managers: then ``user_id`` cannot
    become the boss's manager (A→B→A), or the chain never ends."""
    seen: set[int] = set()
    manager_id = await session.scalar(select(User.manager_id).where(User.id == user_id))
    while manager_id is not None and manager_id not in seen:
        if manager_id == boss_id:
            return True
        seen.add(manager_id)
        manager_id = await session.scalar(select(User.manager_id).where(User.id == manager_id))
    return False


async def add_user(
    session: AsyncSession,
    actor: User | None,
    values: Mapping[str, Any],
    *,
    known_queues: Collection[str] | None = None,
) -> tuple[User, str]:
    """A new user with a temporary password: (the user, that password, to hand over once)."""
    require_admin(actor, "create users")
    out = await _cleaned(session, values, None, actor, known_queues)
    if await session.scalar(select(User.id).where(User.staff_no == out["staff_no"])):
        raise FieldErrors({"staff_no": "field_duplicate"})
    password = temporary_password(
        staff_no=out["staff_no"], name=out.get("name", ""), phone=out.get("phone", "") or ""
    )
    scope = out.pop("scope_sites", [])
    user = await create_user(
        session,
        out.pop("staff_no"),
        out.pop("name"),
        password,
        scope_site_ids=[s.id for s in scope],
        actor=actor,
        must_change_password=True,
        **out,
    )
    return user, password


async def update_user(
    session: AsyncSession,
    actor: User | None,
    staff_no: str,
    values: Mapping[str, Any],
    *,
    known_queues: Collection[str] | None = None,
) -> User:
    """Edits in place; the audit row keeps the user before and after."""
    require_admin(actor, "change users")
    user = await get_user(session, staff_no)
    changes = await _cleaned(session, values, user, actor, known_queues)
    home_id = changes.get("site_id", user.site_id)
    if home_id is not None and ("site_id" in changes or "scope_sites" in changes):
        # the home site is always within the data scope (as create_user grants it), whether the
        # edit moves the user, lists the scope anew, or both
        scope = changes.get("scope_sites", user.scope_sites)
        if all(s.id != home_id for s in scope):
            changes["scope_sites"] = [*scope, await session.get(Site, home_id)]
    before = (user.active, list(user.roles))
    reach = (user.active, user.site_id, {s.id for s in user.scope_sites})
    await record_change(session, actor, user, changes, user_view, "user.update", "user")
    if (user.active, list(user.roles)) != before:
        _signed_out(session, user)
    # only an edit that takes orders away from the user: every save of the editor lists the
    # scope, and a disabled user's 待改派 orders would be announced again on each one
    disabled = reach[0] and not user.active
    moved = user.site_id != reach[1] or bool(reach[2] - {s.id for s in user.scope_sites})
    if disabled or (user.active and moved):
        # a step held by someone who left (or no longer sees the order) would strand its order
        await session.flush()
        await release_steps(session, actor, user)
    return user


def _signed_out(session: AsyncSession, user: User, reason: str = "") -> None:
    queue_event(
        session,
        UserAccountChanged(
            staff_no=user.staff_no, active=user.active, roles=tuple(user.roles), reason=reason
        ),
    )


async def reset_password(session: AsyncSession, actor: User | None, staff_no: str) -> str:
    """A new temporary password (shown once); the user must change it at the next sign-in and
    is unlocked, since a forgotten password is what usually locks an account."""
    require_admin(actor, "reset passwords")
    user = await get_user(session, staff_no)
    password = temporary_password(staff_no=user.staff_no, name=user.name, phone=user.phone)
    await set_password(session, user, password, actor=actor)
    user.must_change_password = True  # even when an admin resets their own
    user.failed_logins = 0
    user.locked_until = None
    await session.flush()
    _signed_out(session, user, "password_reset")
    return password


async def unlock(session: AsyncSession, actor: User | None, staff_no: str) -> User:
    """Lift the lock that wrong passwords put on the account, before its 15 minutes are up."""
    require_admin(actor, "unlock users")
    user = await get_user(session, staff_no)
    user.failed_logins = 0
    user.locked_until = None
    await session.flush()
    await record(session, actor, "user.unlock", "user", user.id)
    return user
