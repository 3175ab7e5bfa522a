"""The inbox of async events (异步事件): fax, SMS, voicemail, email, web messages, missed calls.

Each event becomes a new order pre-filled from it (填写受理工单) or is linked to an
existing order (关联到已受理工单), both through ``ticketing.intake``, or is closed without one
(关闭/无需处理, with a reason). A missed call is called back (回拨) from the agent's seat with the
``dial`` command naming the event (``agent_ui.commands``), each attempt kept on the event.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import int_param, json_body, path_int
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.order_views import customer_view, file_url, order_view
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import intake
from ticketing.models import ASYNC_KINDS, Customer, Interaction

routes = web.RouteTableDef()


def event_view(row: Interaction) -> dict:
    payload = row.payload or {}
    call_id = payload.get("call_id") or row.external_id
    return {
        "id": row.id,
        "kind": row.kind,
        "number": row.number,
        "occurred_at": jsonable(row.occurred_at),
        "subject": row.subject,
        "content": row.content,
        # a missed call's queue and how long the caller waited there before giving up (None:
        # not said, an event stored before the wait was kept)
        "queue": payload.get("queue") or None,
        "waited": payload.get("waited"),
        "status": row.status,
        # the workflow the event is known to be about (a voicemail: the fault report's), which
        # 填写受理工单 offers first; none: the agent picks the category, none picked beforehand
        "workflow": intake.known_workflow(row) or None,
        # a voicemail's why (故障报修留言, 非工作时间留言…) and the line the caller rang (95598, the
        # 400 line): what the message is likely about, before it is heard
        "reason": intake.voicemail_reason(row) if row.kind == "voicemail" else None,
        "dnis": row.dnis or None,
        "customer_id": row.customer_id,
        "duration": row.duration,
        "file_url": file_url(row.kind, call_id) if row.kind in ("voicemail", "fax") else None,
        # 关闭/无需处理: handled without an order, the reason, who and when
        "closed": payload.get("closed"),
        # 回拨: each call back made from the inbox (who, when, the call)
        "callbacks": payload.get("callbacks") or [],
        # an e-mail's attachments: each kept one to download, one too big or too many not kept,
        # one deleted by retention (``hotline purge-recordings``) named as such
        "attachments": [
            {
                "name": f.get("name") or f"attachment-{n + 1}",
                "size": f.get("size", 0),
                "url": f"/api/inbox/{row.id}/files/{n + 1}" if f.get("path") else None,
                "skipped": f.get("skipped"),
                "purged": bool(f.get("purged_at")),
            }
            for n, f in enumerate(payload.get("files") or [])
            if isinstance(f, dict)
        ],
    }


@routes.get("/api/inbox/{id}/files/{n}")
@requires("inbox.use")
async def event_file(request: web.Request) -> web.StreamResponse:
    """An e-mail event's ``n``-th attachment (from 1), as the file stored when it came
    (``receive_email``), for whoever may handle the event; always a download, never shown in
    the page."""
    event_id, n = path_int(request, "id"), path_int(request, "n")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        row = await db.get(Interaction, event_id)
        if row is None or row.kind != "email":
            raise UiError("not_found", f"no e-mail event #{event_id}")
        if not intake.may_handle(user, row):
            raise UiError("event.forbidden", f"event #{row.id} is not in your inbox", event=row.id)
        files = (row.payload or {}).get("files") or []
        entry = files[n - 1] if n <= len(files) and isinstance(files[n - 1], dict) else {}
    path = Path(entry["path"]) if entry.get("path") else None
    if path is None or not await asyncio.to_thread(path.is_file):
        raise UiError("not_found", f"no attachment {n} of event #{event_id}")
    name = entry.get("name") or path.name
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        },
    )


#: 关闭/无需处理: the longest reason kept
CLOSE_REASON_LIMIT = 200


# before /api/inbox/{id}/close, whose {id} would take "waiting" (a 404)
@routes.post("/api/inbox/waiting/close")
@requires("inbox.use")
async def close_waiting(request: web.Request) -> web.Response:
    """批量关闭 未分派事件 without an order, one reason for all: the rows picked (``ids``) or every
    one of a 类型 filter as confirmed (``all``: ``kind``, ``count``, ``through``); each closed as
    关闭/无需处理 closes one, only those still waiting (``intake.close_waiting``), in one transaction."""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        # who may, before what was sent: an agent is event.bulk_forbidden whatever the body
        if not intake.may_close_waiting(user):
            raise UiError("event.bulk_forbidden", "only a supervisor closes waiting events in bulk")
        body = await json_body(request)
        ids, every = body.get("ids"), body.get("all")
        if (ids is None) == (every is None):
            raise UiError("request.invalid", "send either ids or all", field="ids")
        if every is None:
            if not isinstance(ids, list) or not ids or not all(_whole(i) and i > 0 for i in ids):
                raise UiError("request.invalid", "ids must be a list of event ids", field="ids")
            # the limit before the reason: a request past it is refused whatever else it says
            intake.within_bulk_limit(len(set(ids)))
            result = await intake.close_waiting(db, user, _close_reason(body), ids=ids)
        else:
            if not isinstance(every, dict):
                raise UiError("request.invalid", "all must be an object", field="all")
            kind, count, through = every.get("kind", ""), every.get("count"), every.get("through")
            if kind not in ("", *ASYNC_KINDS):
                raise UiError(
                    "request.invalid", f"kind must be one of {', '.join(ASYNC_KINDS)}", field="kind"
                )
            if not _whole(count) or count < 1:
                raise UiError("request.invalid", "count must be the number confirmed", field="count")
            if not _whole(through) or through < 1:
                raise UiError("request.invalid", "through must be the newest event id shown", field="through")
            intake.within_bulk_limit(count)
            result = await intake.close_waiting(
                db, user, _close_reason(body), kind=kind, count=count, through=through
            )
    return web.json_response(result)


@routes.post("/api/inbox/{id}/close")
@requires("inbox.use")
async def close_event(request: web.Request) -> web.Response:
    """关闭/无需处理: an event that needs no order (a caller who rang off and is fine, spam) leaves
    the open inbox with the reason given (required), audited; it stays listed under 显示已处理
    (``intake.close_without_order``). Whose it is is checked before the reason."""
    event_id = path_int(request, "id")
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        # whose it is (and handled yet) before what was typed: a colleague's event is
        # event.forbidden whatever the reason, not 原因(必填)
        await intake.handleable(db, user, event_id)
        reason = _close_reason(body)
        row = await intake.close_without_order(db, user, event_id, reason)
        view = event_view(row)
    return web.json_response(view)


def _close_reason(body: dict) -> str:
    """关闭/无需处理's reason: required, as typed (spaces around dropped), ``CLOSE_REASON_LIMIT`` at most."""
    reason = body.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > CLOSE_REASON_LIMIT:
        problem = "field_required" if not reason else "field_too_long"
        raise UiError("invalid_fields", "a reason is required", problems={"reason": problem})
    return reason


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: 未分派事件: the rows of one page
WAITING_PAGE = 50


@routes.get("/api/inbox")
@requires("inbox.use")
async def list_inbox(request: web.Request) -> web.Response:
    """The viewer's inbox (``handled=1``: with what they handled, each with its outcome: the
    close reason or the 工单号 it joined) and, for a supervisor, a page of 未分派事件
    (``waiting_kind``: of that kind only; ``waiting_offset``: from that row, oldest first)."""
    handled = request.query.get("handled") in ("1", "true")
    kind = request.query.get("waiting_kind", "")
    if kind and kind not in ASYNC_KINDS:
        raise UiError(
            "request.invalid", f"waiting_kind must be one of {', '.join(ASYNC_KINDS)}", field="waiting_kind"
        )
    offset = int_param(request, "waiting_offset", 0, high=10_000_000)
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        rows = await intake.inbox(db, user, include_handled=handled)
        orders = await intake.orders_linked(db, rows)
        items = [{**event_view(r), "orders": orders.get(r.id, [])} for r in rows]
        count = await intake.unhandled_count(db, user)
        body = {"items": items, "unhandled": count}
        if any(user.has_role(r) for r in intake.HANDLES_ANY_EVENT):
            # 未分派: what came when nobody with its skill was signed in; the supervisor sees it
            # waiting (and may handle it) until an agent signs in and takes it
            rows, matched = await intake.waiting(db, kind=kind, offset=offset, limit=WAITING_PAGE)
            by_kind = await intake.waiting_by_kind(db)
            # 批量关闭 every one of the filter: the newest id closed, and how many at most
            through = await intake.newest_waiting(db, kind) if matched else 0
            body["waiting"] = {
                "items": [event_view(r) for r in rows],
                "count": sum(by_kind.values()),
                "by_kind": by_kind,
                "kind": kind,
                "matched": matched,
                "offset": offset,
                "limit": WAITING_PAGE,
                "through": through,
                "bulk_limit": intake.BULK_CLOSE_LIMIT,
            }
    return web.json_response(body)


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
    category, subcategory = _code(body, "category"), _code(body, "subcategory")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await intake.to_new_order(
            db,
            user,
            event_id,
            workflow=workflow,
            site_id=user.site_id,
            form=form,
            category=category,
            subcategory=subcategory,
            submit=bool(body.get("submit")),
            as_offered=True,  # as at the seat's intake
        )
        view = await order_view(db, user, order)
    return web.json_response(view, status=201)


def _code(body: dict, name: str) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str) or len(value) > 32:
        raise UiError("request.invalid", f"{name} must be a category code", field=name)
    return value.strip()


def _order_number(raw: object) -> str:
    """The 工单号 typed (only a number: a database id is no key here, see ``intake.order_by_number``)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
        raise UiError("request.invalid", "order (the order's number, 工单号) is required", field="order")
    return raw


@routes.get("/api/inbox/{id}/link")
@requires("inbox.use")
async def link_preview(request: web.Request) -> web.Response:
    """The order 关联到已受理工单 would link the event to, for the agent to confirm: its number,
    category, status and customer; refused as the link itself would be (not the user's event,
    already handled, no such 工单号), and nothing changes."""
    event_id = path_int(request, "id")
    typed = _order_number(request.query.get("order"))
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        await intake.handleable(db, user, event_id)
        order = await intake.order_by_number(db, user, typed)
        customer = await db.get(Customer, order.customer_id) if order.customer_id else None
        view = await order_view(db, user, order)
    return web.json_response(
        {
            "number": order.number,
            "category_name": view["category_name"],
            "subcategory_name": view["subcategory_name"] if order.subcategory else "",
            "status": order.status,
            "is_open": order.is_open,
            "title": order.title,
            "caller_number": order.caller_number,
            "customer": customer_view(customer),
        }
    )


@routes.post("/api/inbox/{id}/link")
@requires("inbox.use")
async def link_event(request: web.Request) -> web.Response:
    """关联到已受理工单: the event joins an existing order, named by its 工单号."""
    event_id = path_int(request, "id")
    body = await json_body(request)
    typed = _order_number(body.get("order"))
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await intake.order_by_number(db, user, typed)
        await intake.link_to_order(db, user, event_id, order)
        view = await order_view(db, user, order)
    return web.json_response(view)


@routes.get("/inbox")
@requires("inbox.use")
async def inbox_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "inbox.html")
