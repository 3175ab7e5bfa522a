"""Knowledge base (用电信息咨询) and outage notices (停电信息): search, and send to a customer by SMS,
email or fax."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from agent_ui.auth import current_user
from agent_ui.bodies import date_param, int_param, json_body, path_int
from agent_ui.errors import UiError
from agent_ui.faxes import queue_fax, queued
from agent_ui.jsonable import jsonable
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import knowledge
from ticketing.models import KbArticle, KbCategory
from ticketing.workflow.engine import load_order

routes = web.RouteTableDef()


def _article(a: KbArticle) -> dict:
    return {
        "id": a.id,
        "category_id": a.category_id,
        "title": a.title,
        "body": a.body,
        "kind": a.kind,
        "url": a.url,
        "tags": a.tags,
        "updated_at": jsonable(a.updated_at),
    }


@routes.get("/api/knowledge")
@requires("knowledge.read")
async def search_knowledge(request: web.Request) -> web.Response:
    """Search by words (every word must match), or browse one category of the tree."""
    query = request.query.get("q", "")
    raw_category = request.query.get("category", "")
    category_id = int_param(request, "category", 0, low=0, high=10**9) if raw_category else None
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _user):
        tree = [
            {"id": c.id, "name": c.name, "parent_id": c.parent_id}
            for c in await db.scalars(select(KbCategory).order_by(KbCategory.id))
        ]
        if query.strip():
            found = await knowledge.search_articles(db, query, category_id=category_id)
        elif category_id is not None:
            found = list(
                await db.scalars(
                    select(KbArticle)
                    .where(KbArticle.category_id == category_id, KbArticle.enabled.is_(True))
                    .order_by(KbArticle.title)
                    .limit(100)
                )
            )
        else:
            found = []
    return web.json_response({"tree": tree, "items": [_article(a) for a in found]})


@routes.get("/api/notices")
@requires("knowledge.read")
async def search_outages(request: web.Request) -> web.Response:
    """Outage notices overlapping a time range (default: today and the next 7 days), by bureau and area."""
    services = request.app[SERVICES]
    tz = ZoneInfo(services.site_timezone)
    today = dt.datetime.now(tz).date()
    start = date_param(request, "from", today)
    end = date_param(request, "to", today + dt.timedelta(days=7))
    async with read_only(services, current_user(request)) as (db, _user):
        found = await knowledge.search_notices(
            db,
            start=dt.datetime.combine(start, dt.time(), tz),
            end=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz),
            site_code=request.query.get("site") or None,
            area=request.query.get("area", ""),
            include_changed=request.query.get("changed") in ("1", "true"),
        )
        items = [knowledge.notice_json(n) for n in found]
    return web.json_response({"items": items})


@routes.get("/knowledge")
@requires("knowledge.read")
async def knowledge_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "knowledge.html")


@routes.get("/notices")
@requires("knowledge.read")
async def notices_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "notices.html")


async def _send_request(request: web.Request) -> tuple[str, str, int | None]:
    body = await json_body(request)
    channel, to, order_id = body.get("channel"), body.get("to"), body.get("order_id")
    if channel not in ("sms", "email", "fax"):
        raise UiError("request.invalid", "channel must be sms, email or fax", field="channel")
    if not isinstance(to, str) or not to.strip() or len(to) > 128:
        raise UiError("request.invalid", "to must be a phone number, a fax number or an email address", field="to")
    if order_id is not None and (not isinstance(order_id, int) or isinstance(order_id, bool)):
        raise UiError("request.invalid", "order_id must be an order id", field="order_id")
    return channel, to, order_id


@routes.post("/api/knowledge/{id}/send")
@requires("knowledge.send")
async def send_knowledge(request: web.Request) -> web.Response:
    """Send a knowledge item to a customer by SMS, email or fax (queued in the outbox)."""
    article_id = path_int(request, "id")
    channel, to, order_id = await _send_request(request)
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, user):
        article = await db.get(KbArticle, article_id)
        if article is None or not article.enabled:
            raise UiError("not_found")
        if order_id is not None:
            await load_order(db, user, order_id)  # the order must be in the sender's scope
        if channel == "fax":
            subject, text = knowledge.article_text(article)
            row = await queue_fax(
                db, user, services, to=to, subject=subject, text=text, order_id=order_id,
                about=("kb_article", article.id),
            )  # fmt: skip
        else:
            row = await knowledge.send_article(
                db, user, article, channel=channel, recipient=to, order_id=order_id
            )
    return queued(row)


@routes.post("/api/notices/{key}/send")
@requires("knowledge.send")
async def send_outage_notice(request: web.Request) -> web.Response:
    """Send the current version of an outage notice by SMS, email or fax (queued in the outbox)."""
    key = request.match_info["key"]
    channel, to, order_id = await _send_request(request)
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, user):
        if order_id is not None:
            await load_order(db, user, order_id)
        if channel == "fax":
            subject, text = await knowledge.current_notice_text(db, key)
            row = await queue_fax(
                db, user, services, to=to, subject=subject, text=text, order_id=order_id,
                about=("outage_notice", key),
            )  # fmt: skip
        else:
            row = await knowledge.send_notice(db, user, key, channel=channel, recipient=to, order_id=order_id)
    return queued(row)
