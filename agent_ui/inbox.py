"""The inbox of async events (异步事件): fax, SMS, voicemail, email, web messages, missed calls.

Each event becomes a new order pre-filled from it (填写受理工单) or is linked to an
existing order (关联到已受理工单), both through ``ticketing.intake``.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, path_int
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.order_views import file_url, order_view
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import intake
from ticketing.models import Interaction
from ticketing.workflow import engine

routes = web.RouteTableDef()


def event_view(row: Interaction) -> dict:
    call_id = (row.payload or {}).get("call_id") or row.external_id
    return {
        "id": row.id,
        "kind": row.kind,
        "number": row.number,
        "occurred_at": jsonable(row.occurred_at),
        "subject": row.subject,
        "content": row.content,
        "status": row.status,
        "customer_id": row.customer_id,
        "duration": row.duration,
        "file_url": file_url(row.kind, call_id) if row.kind in ("voicemail", "fax") else None,
    }


@routes.get("/api/inbox")
@requires("inbox.use")
async def list_inbox(request: web.Request) -> web.Response:
    handled = request.query.get("handled") in ("1", "true")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        rows = await intake.inbox(db, user, include_handled=handled)
        items = [event_view(r) for r in rows]
        count = await intake.unhandled_count(db, user)
    return web.json_response({"items": items, "unhandled": count})


@routes.post("/api/inbox/{id}/order")
@requires("order.create")
async def new_order_from_event(request: web.Request) -> web.Response:
    """填写受理工单: a new order pre-filled from the event, linked to it."""
    event_id = path_int(request, "id")
    body = await json_body(request)
    workflow = str(body.get("workflow") or "")
    if not workflow:
        raise UiError("request.invalid", "workflow is required", field="workflow")
    form = body.get("form") or {}
    if not isinstance(form, dict):
        raise UiError("request.invalid", "form must be an object", field="form")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await intake.to_new_order(
            db,
            user,
            event_id,
            workflow=workflow,
            site_id=user.site_id,
            form=form,
            category=_code(body, "category"),
            subcategory=_code(body, "subcategory"),
            submit=bool(body.get("submit")),
        )
        view = await order_view(db, user, order)
    return web.json_response(view, status=201)


def _code(body: dict, name: str) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str) or len(value) > 32:
        raise UiError("request.invalid", f"{name} must be a category code", field=name)
    return value.strip()


@routes.post("/api/inbox/{id}/link")
@requires("inbox.use")
async def link_event(request: web.Request) -> web.Response:
    """关联到已受理工单: the event joins an existing order (by id or number)."""
    event_id = path_int(request, "id")
    body = await json_body(request)
    key = body.get("order")
    if not isinstance(key, (int, str)) or isinstance(key, bool) or key == "":
        raise UiError("request.invalid", "order (id or number) is required", field="order")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, key)
        await intake.link_to_order(db, user, event_id, order)
        view = await order_view(db, user, order)
    return web.json_response(view)


@routes.get("/inbox")
@requires("inbox.use")
async def inbox_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "inbox.html")
