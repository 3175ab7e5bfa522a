"""Knowledge base (用电信息咨询) and outage notices (停电信息): search from the console."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from agent_ui.auth import current_user
from agent_ui.bodies import int_param
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only
from ticketing import knowledge
from ticketing.models import KbArticle, KbCategory

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


def _day(request: web.Request, name: str, default: dt.date) -> dt.date:
    raw = request.query.get(name, "")
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UiError("request.invalid", f"{name} must be a date (YYYY-MM-DD)", field=name) from None


@routes.get("/api/notices")
@requires("knowledge.read")
async def search_outages(request: web.Request) -> web.Response:
    """Outage notices overlapping a time range (default: today and the next 7 days), by bureau and area."""
    services = request.app[SERVICES]
    tz = ZoneInfo(services.site_timezone)
    today = dt.datetime.now(tz).date()
    start = _day(request, "from", today)
    end = _day(request, "to", today + dt.timedelta(days=7))
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
