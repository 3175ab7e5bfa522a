"""审计日志: who did what, when, to which order, account, workflow or register entry.

Every change the product makes on someone's behalf is written by ``ticketing.audit`` (the
actor's 工号, the action, the entity, and the values before and after). This page and its API
let an admin read them back: newest first, filtered by entity, id, actor, action and days
(the site's days), a page at a time. Read only: nothing here writes or deletes a row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select

from agent_ui.auth import current_user
from agent_ui.bodies import date_range, day_start, int_param
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only
from ticketing.ids import parse_id
from ticketing.models import AuditLog, Category, Site, User, WorkflowDefinition, WorkOrder
from ticketing.workflow import store

routes = web.RouteTableDef()

PAGE = 50
#: the values that are an account's database id (an async event's 分派给, a user's or
#: department's 经理): shown by the account's name and 工号, as the 操作人 column is
USER_KEYS = ("assigned_to", "manager_id")
#: the longest a text filter may be (the columns' own lengths)
FILTER_LIMIT = 64


@routes.get("/admin/audit")
@requires("audit.read")
async def audit_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_audit.html")


def _text(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if len(value) > FILTER_LIMIT:
        raise UiError("request.invalid", f"{name} is {FILTER_LIMIT} characters at most", field=name)
    return value


@routes.get("/api/audit")
@requires("audit.read")
async def audit_rows(request: web.Request) -> web.Response:
    """``entity`` (work_order, user, workflow, seat…), ``entity_id``, ``order`` (an order's number:
    its rows), ``actor`` (a 工号, or ``system``), ``action`` (a prefix: ``order.``, ``seat.force``),
    ``from`` / ``to`` (the site's days), ``before`` (the id the previous page ended at): the rows
    newest first, ``PAGE`` at a time, with ``next`` (the ``before`` of the next page, or null)."""
    services = request.app[SERVICES]
    entity, entity_id, actor, action = (_text(request, n) for n in ("entity", "entity_id", "actor", "action"))
    number = _text(request, "order")
    first, last = date_range(request)
    raw_before = request.query.get("before", "")
    before = parse_id(raw_before) if raw_before else None
    if raw_before and before is None:
        raise UiError("request.invalid", "before must be a row id", field="before")
    size = int_param(request, "size", PAGE, low=1, high=200)
    zone = services.site_timezone or "Asia/Shanghai"
    query = select(AuditLog, User.name).outerjoin(User, User.id == AuditLog.user_id)
    async with read_only(services, current_user(request)) as (db, _):
        if number:
            order_id = await db.scalar(select(WorkOrder.id).where(WorkOrder.number == number))
            if order_id is None:
                raise UiError("not_found", f"no work order {number!r}", field="order")
            entity, entity_id = "work_order", str(order_id)
        if entity:
            query = query.where(AuditLog.entity == entity)
        if entity_id:
            query = query.where(AuditLog.entity_id == entity_id)
        if actor:
            query = query.where(AuditLog.actor == actor)
        if action:
            query = query.where(AuditLog.action.startswith(action, autoescape=True))
        if first is not None:
            query = query.where(AuditLog.at >= day_start(first, zone))
        if last is not None:
            query = query.where(AuditLog.at < day_start(last + dt.timedelta(days=1), zone))
        if before is not None:
            query = query.where(AuditLog.id < before)
        rows = (await db.execute(query.order_by(AuditLog.id.desc()).limit(size + 1))).all()
        numbers = await _order_numbers(db, rows[:size])
        accounts = await _accounts(db, rows[:size])
        labels = await _labels(db, rows[:size])
    labels["accounts"] = {**accounts, **labels["accounts"]}
    items = [
        {
            "id": row.id,
            "at": row.at,
            "actor": row.actor,
            "actor_name": name or "",
            "action": row.action,
            "entity": row.entity,
            "entity_id": row.entity_id,
            "order_number": numbers.get(row.entity_id, "") if row.entity == "work_order" else "",
            # an account by its 工号 and name (a sign-in read "账号 7"), not its database id; the
            # page words it from labels.accounts as 操作人 is (名字（工号） in Chinese)
            "entity_label": _named(accounts.get(row.entity_id)) if row.entity == "user" else "",
            "before": row.before,
            "after": row.after,
        }
        for row, name in rows[:size]
    ]
    more = len(rows) > size
    return web.json_response(
        jsonable({"items": items, "next": items[-1]["id"] if more else None, "labels": labels})
    )


async def _accounts(db: Any, rows: list[Any]) -> dict[str, dict[str, str]]:
    """The 工号 and name of the accounts these rows are about."""
    ids = {parse_id(row.entity_id) for row, _ in rows if row.entity == "user"} - {None}
    if not ids:
        return {}
    found = await db.execute(select(User.id, User.staff_no, User.name).where(User.id.in_(ids)))
    return {str(user_id): {"staff_no": staff_no, "name": name} for user_id, staff_no, name in found}


def _named(account: dict[str, str] | None) -> str:
    """``entity_label`` for a client of the API: 名字 (工号), in no page's language."""
    return f"{account['name']} ({account['staff_no']})" if account else ""


async def _labels(db: Any, rows: list[Any]) -> dict[str, dict[str, Any]]:
    """What the changed values are called, for the values these rows hold: a step (``node``:
    accept → 受理, by its workflows' names), a site (``site_id``: 7 → 海淀供电局), a
    category (``category`` / ``subcategory``: fault → 故障报修) and an account (``accounts``: its id
    under one of ``USER_KEYS`` → its 工号 and name, for the page to word as 操作人 is; an id whose
    account is gone is not there, the audit row keeps it without a key: migration 0039)."""
    nodes: set[str] = set()
    sites: set[int] = set()
    codes: set[str] = set()
    people: set[int] = set()
    for row, _ in rows:
        for side in (row.before or {}, row.after or {}):
            if not isinstance(side, dict):
                continue
            if isinstance(side.get("node"), str):
                nodes.add(side["node"])
            codes |= {
                side[k] for k in ("category", "subcategory") if isinstance(side.get(k), str) and side[k]
            }
            for key in ("site_id", "follows_site_id"):
                if isinstance(side.get(key), int) and not isinstance(side.get(key), bool):
                    sites.add(side[key])
            people |= {
                side[k]
                for k in USER_KEYS
                if isinstance(side.get(k), int) and not isinstance(side.get(k), bool)
            }
    labels: dict[str, dict[str, Any]] = {
        "node": {},
        "site_id": {},
        "category": {},
        "subcategory": {},
        "accounts": {},
    }
    if nodes:
        # the latest version's name first (a step renamed later reads as it is called now)
        for row in await db.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.version.desc())):
            for node in store.parsed(row).nodes:
                if node.id in nodes and node.name:
                    labels["node"].setdefault(node.id, node.name)
    if sites:
        found = await db.execute(select(Site.id, Site.name).where(Site.id.in_(sites)))
        labels["site_id"] = {str(site_id): name for site_id, name in found}
    if people:
        found = await db.execute(select(User.id, User.staff_no, User.name).where(User.id.in_(people)))
        labels["accounts"] = {
            str(user_id): {"staff_no": staff_no, "name": name} for user_id, staff_no, name in found
        }
    if codes:
        # the shared category's name wins (read last; a site's own may rename it for that site only)
        found = await db.execute(
            select(Category.code, Category.name)
            .where(Category.code.in_(codes))
            .order_by(Category.site_id.asc().nulls_last())
        )
        named = dict(found.all())
        labels["category"] = labels["subcategory"] = named
    return labels


async def _order_numbers(db: Any, rows: list[Any]) -> dict[str, str]:
    """The numbers of the orders these rows are about (an order is known by its number)."""
    ids = {parse_id(row.entity_id) for row, _ in rows if row.entity == "work_order"} - {None}
    if not ids:
        return {}
    found = await db.execute(select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(ids)))
    return {str(order_id): number for order_id, number in found}
