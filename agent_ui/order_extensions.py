"""延期 (deadline extension) from the order page: the step's handler asks for more time, a
supervisor (or the step's configured approvers) answers. ``ticketing.workflow.extensions``
decides who may and keeps the request and its answer on the timeline and in the audit."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, order_key
from agent_ui.errors import UiError
from agent_ui.order_views import order_view
from agent_ui.roles import requires
from agent_ui.services import SERVICES
from agent_ui.work import unit_of_work
from ticketing import directory
from ticketing.errors import FieldErrors
from ticketing.workflow import engine, extensions

routes = web.RouteTableDef()


def _reason(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 2000:
        raise UiError("request.invalid", f"{name} must be text up to 2000 characters", field=name)
    return value.strip()


async def _deadline(db: Any, order: Any, value: Any) -> dt.datetime:
    """The new deadline as typed (the browser's datetime-local: the order's site's wall time),
    or with an offset."""
    if not isinstance(value, str) or not value.strip():
        raise FieldErrors({"due_at": "field_required"})
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if at.tzinfo is None:
            site = (await directory.load(db)).sites.get(order.site_id) if order.site_id else None
            at = at.replace(tzinfo=ZoneInfo((site.timezone if site else "") or "Asia/Shanghai"))
        return at.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01 with a positive offset
        raise FieldErrors({"due_at": "field_bad_datetime"}) from None


@routes.post("/api/orders/{key}/extension")
@requires("order.act")
async def request_extension(request: web.Request) -> web.Response:
    """延期申请: the current step's handler asks for a later deadline (due_at: ISO 8601, without
    an offset the order's site's time; reason required); the step's approvers are told"""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        due_at = await _deadline(db, order, body.get("due_at"))
        await extensions.request(db, user, order, due_at=due_at, reason=_reason(body, "reason"))
        await db.flush()
        view = await order_view(db, user, order)
    return web.json_response(view)


@routes.post("/api/orders/{key}/extension/{decision:(approve|refuse)}")
@requires("order.act")
async def decide_extension(request: web.Request) -> web.Response:
    """延期审批 (supervisors, or the step's sla.extension.approvers; admins): approve moves the
    step's deadline and its reminders; refuse needs its opinion; the requester is told"""
    body = await json_body(request)
    approve = request.match_info["decision"] == "approve"
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        await extensions.decide(db, user, order, approve=approve, opinion=_reason(body, "opinion"))
        await db.flush()
        view = await order_view(db, user, order)
    return web.json_response(view)
