"""提醒: the signed-in user's own screen notifications (reminders, overrun alerts, 督办, CCs,
orders routed to them), kept after their pop-up fades. Only ever the caller's rows: the user
comes from the session, never from the request."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.auth import CurrentUser, current_user
from agent_ui.bodies import int_param, json_body
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, AppServices
from agent_ui.work import read_only, unit_of_work
from ticketing import screen_alerts
from ticketing.ids import is_id

routes = web.RouteTableDef()


@routes.get("/api/notifications")
@requires("session")
async def list_notifications(request: web.Request) -> web.Response:
    """My screen notifications, newest first, and how many are unread."""
    limit = int_param(request, "limit", screen_alerts.LIMIT, low=1, high=200)
    unread_only = request.query.get("unread") in ("1", "true")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        items = await screen_alerts.recent(db, user.id, limit=limit, unread_only=unread_only)
        unread = await screen_alerts.unread_count(db, user.id)
    return web.json_response({"items": items, "unread": unread})


def read_ids(body: dict[str, Any]) -> list[int] | None:
    """``{"ids": [1, 2]}`` for those, ``{"all": true}`` for every unread one."""
    if body.get("all") is True:
        return None
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > 500 or not all(is_id(i) for i in ids):
        raise UiError("request.invalid", "ids must be a list of notification ids, or all: true", field="ids")
    return [int(i) for i in ids]


async def mark_read(services: AppServices, current: CurrentUser, body: dict[str, Any]) -> dict[str, Any]:
    ids = read_ids(body)
    async with unit_of_work(services, current) as (db, user):
        return await screen_alerts.mark_read(db, user.id, user.staff_no, ids)


@routes.post("/api/notifications/read")
@requires("session")
async def read_notifications(request: web.Request) -> web.Response:
    """Mark my screen notifications read: ``ids`` (others' ids are left alone), or ``all``."""
    result = await mark_read(request.app[SERVICES], current_user(request), await json_body(request))
    return web.json_response(result)
