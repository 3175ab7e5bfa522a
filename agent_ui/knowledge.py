"""Knowledge base (用电信息咨询) and outage notices (停电信息): search, send to a customer by SMS,
email or fax, and write them.

Team leaders, supervisors and admins write articles (``knowledge.write``) and publish,
revise, end or withdraw outage notices (``notice.write``); ticketing.knowledge checks the
values (``invalid_fields`` naming each field), keeps every version of a notice and writes
the audit rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.auth import current_user
from agent_ui.bodies import date_range, int_param, json_body, path_int
from agent_ui.errors import UiError
from agent_ui.faxes import queue_fax, queued
from agent_ui.jsonable import jsonable
from agent_ui.roles import allowed, requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import knowledge
from ticketing.errors import FieldErrors
from ticketing.ids import is_id
from ticketing.models import KbArticle, OutageNotice, User
from ticketing.workflow.engine import load_order

routes = web.RouteTableDef()


def _article(a: KbArticle) -> dict:
    """An article as the console shows it; ``version`` is what an edit of it names."""
    return {
        **knowledge.article_view(a),
        "updated_at": jsonable(a.updated_at),
        "version": knowledge.article_version(a),
    }


async def _notices(db: AsyncSession, rows: list[OutageNotice], now: dt.datetime | None = None) -> list[dict]:
    """Notices as the console shows them at ``now``: one that is over reads 已结束; who entered
    each version and when; ``ended_early_from``: on a version 提前结束 made whose former end is
    still to come, that end (撤销提前结束 puts it back), else null."""
    now = now or dt.datetime.now(dt.UTC)
    ids = {n.created_by_id for n in rows if n.created_by_id is not None}
    people = {u.id: u for u in await db.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    ended = [n for n in rows if knowledge.notice_state(n, now) == knowledge.ENDED]
    undoable = {k: end for k, end in (await knowledge.early_ends(db, ended)).items() if end > now}
    out = []
    for n in rows:
        who = people.get(n.created_by_id)
        restores = undoable.get(n.notice_key) if n.state == knowledge.ACTIVE else None
        out.append(
            {
                **knowledge.notice_view(n, now),
                "created_at": jsonable(n.created_at),
                "created_by": {"staff_no": who.staff_no, "name": who.name} if who else None,
                "ended_early_from": jsonable(restores),
            }
        )
    return out


@routes.get("/api/knowledge")
@requires("knowledge.read")
async def search_knowledge(request: web.Request) -> web.Response:
    """Search by words or the caller's question as said (怎么交电费): the articles holding any of
    its words, the best first (``knowledge.search_articles``); or browse one category of the tree.

    ``disabled=1``: disabled articles too (for those who may write them).
    """
    query = request.query.get("q", "")
    raw_category = request.query.get("category", "")
    category_id = int_param(request, "category", 0, low=0, high=10**9) if raw_category else None
    me = current_user(request)
    enabled_only = not (
        request.query.get("disabled") in ("1", "true") and allowed(me.roles, "knowledge.write")
    )
    async with read_only(request.app[SERVICES], me) as (db, _user):
        tree = [
            {"id": c["id"], "name": c["name"], "parent_id": c["parent_id"]}
            for c in await knowledge.category_list(db)
        ]
        if query.strip():
            found = await knowledge.search_articles(
                db, query, category_id=category_id, enabled_only=enabled_only
            )
        elif category_id is not None:
            stmt = select(KbArticle).where(KbArticle.category_id == category_id)
            if enabled_only:
                stmt = stmt.where(KbArticle.enabled.is_(True))
            found = list(await db.scalars(stmt.order_by(KbArticle.title).limit(100)))
        else:
            found = []
    return web.json_response({"tree": tree, "items": [_article(a) for a in found]})


@routes.get("/api/knowledge/{id:\\d+}")
@requires("knowledge.read")
async def get_article(request: web.Request) -> web.Response:
    """One article as it is now (the editor reloads it when a save was refused because someone
    changed it meanwhile); a disabled one only for those who may write articles."""
    me = current_user(request)
    async with read_only(request.app[SERVICES], me) as (db, _user):
        article = await db.get(KbArticle, path_int(request, "id"))
        if article is None or not (article.enabled or allowed(me.roles, "knowledge.write")):
            raise UiError("not_found")
        return web.json_response(_article(article))


@routes.get("/api/notices")
@requires("knowledge.read")
async def search_outages(request: web.Request) -> web.Response:
    """Outage notices overlapping a time range (default: today and the next 7 days), by bureau and
    place (in the 停电范围 text, an affected area's name, or an area's code); those still on or to
    come first, the ended ones (已结束) after them. ``from`` and ``to`` are the dates used, so the
    page shows the range a list is for when its boxes were left empty."""
    services = request.app[SERVICES]
    tz = ZoneInfo(services.site_timezone)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(tz).date()
    start, end = date_range(request, today, today + dt.timedelta(days=7))
    async with read_only(services, current_user(request)) as (db, _user):
        found = await knowledge.search_notices(
            db,
            start=dt.datetime.combine(start, dt.time(), tz),
            end=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz),
            site_code=request.query.get("site") or None,
            area=request.query.get("area", ""),
            include_changed=request.query.get("changed") in ("1", "true"),
            now=now,
        )
        items = await _notices(db, found, now)
    return web.json_response({"items": items, "from": start.isoformat(), "to": end.isoformat()})


@routes.get("/api/notices/published")
@requires("knowledge.read")
async def published_notices(request: web.Request) -> web.Response:
    """The 发布中 notices of outages not over yet that cover a site (``site_id``: a popped
    customer's), the soonest first: the screen-pop's 停电 line, so the agent can answer
    我家怎么停电了 at once. The coverage is the 供电局 search's and the IVR's
    (``knowledge.published_covering``)."""
    if not request.query.get("site_id"):
        raise UiError("request.invalid", "site_id is required", field="site_id")
    site_id = int_param(request, "site_id", 0, low=1, high=2**31 - 1)
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _user):
        items = await knowledge.published_covering(db, site_id)
    return web.json_response({"items": items})


@routes.get("/api/notices/{key}")
@requires("knowledge.read")
async def notice_versions(request: web.Request) -> web.Response:
    """One outage notice with every version, oldest first (发布中 or 已结束, 变更后, 已删除);
    ``current`` is the published one, 已结束 once the outage is over."""
    key = request.match_info["key"]
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _user):
        versions = await knowledge.notice_history(db, key)
        if not versions:
            raise UiError("not_found")
        items = await _notices(db, versions)
    current = next((i for v, i in zip(versions, items, strict=True) if v.state == knowledge.ACTIVE), None)
    return web.json_response({"key": key, "current": current, "versions": items})


@routes.get("/knowledge")
@requires("knowledge.read")
async def knowledge_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "knowledge.html")


@routes.get("/notices")
@requires("knowledge.read")
async def notices_page(request: web.Request) -> web.Response:
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        sites = await knowledge.notice_sites(db, user)
    return await request.app[TEMPLATES].response(request, "notices.html", {"notice_sites": sites})


async def _send_request(request: web.Request) -> tuple[str, str, int | None]:
    body = await json_body(request)
    channel, to, order_id = body.get("channel"), body.get("to"), body.get("order_id")
    if channel not in ("sms", "email", "fax"):
        raise UiError("request.invalid", "channel must be sms, email or fax", field="channel")
    if not isinstance(to, str) or not to.strip() or len(to) > 128:
        raise UiError(
            "request.invalid", "to must be a phone number, a fax number or an email address", field="to"
        )
    if order_id is not None and not is_id(order_id):
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
                db, user, article, channel=channel, recipient=to, order_id=order_id,
                signature=request.app[SERVICES].sms_signature,
            )  # fmt: skip
    return queued(row)


@routes.post("/api/notices/{key}/send")
@requires("knowledge.send")
async def send_outage_notice(request: web.Request) -> web.Response:
    """Send the current version of an outage notice by SMS, email or fax (queued in the outbox);
    one that is over is refused (notice_ended_not_sent)."""
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
            row = await knowledge.send_notice(
                db, user, key, channel=channel, recipient=to, order_id=order_id,
                signature=request.app[SERVICES].sms_signature,
            )  # fmt: skip
    return queued(row)


# -- writing articles ----------------------------------------------------------------------------
@routes.post("/api/knowledge")
@requires("knowledge.write")
async def create_article(request: web.Request) -> web.Response:
    """Write a knowledge article: title, category_id, kind, body, url, tags, enabled."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        article = await knowledge.create_article(db, user, body)
        return web.json_response(_article(article), status=201)


@routes.patch("/api/knowledge/{id}")
@requires("knowledge.write")
async def edit_article(request: web.Request) -> web.Response:
    """Change a knowledge article: the fields the body names (audited before and after), and
    ``version`` (required), the one the editor showed: if someone saved it since, the edit is refused
    (kb_article_changed_meanwhile, 409, details.version the one now) and nothing changes."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        article_id = path_int(request, "id")
        if body.get("version") in (None, ""):  # missing or null: ``edit_article`` would skip it
            await knowledge.get_article(db, article_id)  # an unknown article is not_found first
            # an edit that names no version could overwrite someone's change unseen
            raise FieldErrors({"version": "field_required"})
        article = await knowledge.edit_article(db, user, article_id, body)
        return web.json_response(_article(article))


@routes.post("/api/knowledge/{id}/{action:enable|disable}")
@requires("knowledge.write")
async def enable_article(request: web.Request) -> web.Response:
    """停用 / 启用 a knowledge article (a disabled one is out of search and cannot be sent)."""
    enabled = request.match_info["action"] == "enable"
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        article = await knowledge.set_article_enabled(db, user, path_int(request, "id"), enabled)
        return web.json_response(_article(article))


# -- managing the category tree ------------------------------------------------------------------
@routes.get("/api/knowledge/categories")
@requires("knowledge.write")
async def list_categories(request: web.Request) -> web.Response:
    """Every knowledge category, disabled ones too, in order, with how many articles each holds."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _user):
        items = await knowledge.category_list(db, enabled_only=False)
    return web.json_response({"items": items})


@routes.post("/api/knowledge/categories")
@requires("knowledge.write")
async def create_category(request: web.Request) -> web.Response:
    """A new knowledge category: name, parent_id (none: top level); last among its siblings."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        category = await knowledge.create_category(db, user, body)
        return web.json_response(knowledge.category_view(category), status=201)


@routes.post("/api/knowledge/categories/order")
@requires("knowledge.write")
async def order_categories(request: web.Request) -> web.Response:
    """Put a parent's subcategories (parent_id none: the top level) in the order of ids."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        ordered = await knowledge.order_categories(db, user, body)
        return web.json_response({"items": [knowledge.category_view(c) for c in ordered]})


@routes.patch("/api/knowledge/categories/{id}")
@requires("knowledge.write")
async def edit_category(request: web.Request) -> web.Response:
    """Rename a knowledge category or move it under another parent (audited before and after)."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        category = await knowledge.edit_category(db, user, path_int(request, "id"), body)
        return web.json_response(knowledge.category_view(category))


@routes.post("/api/knowledge/categories/{id}/{action:enable|disable}")
@requires("knowledge.write")
async def enable_category(request: web.Request) -> web.Response:
    """停用 an empty category (move_articles_to: move its articles first), or 启用 it again."""
    enabled = request.match_info["action"] == "enable"
    body = await json_body(request) if request.can_read_body else {}
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        category = await knowledge.set_category_enabled(db, user, path_int(request, "id"), enabled, body)
        return web.json_response(knowledge.category_view(category))


# -- writing outage notices ------------------------------------------------------------------------
def _site_tz(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[SERVICES].site_timezone)


@routes.post("/api/notices")
@requires("notice.write")
async def publish_notice(request: web.Request) -> web.Response:
    """Publish an outage notice: site_id, area, reason, starts_at, ends_at (site time), remark."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        notice = await knowledge.publish(db, user, body, _site_tz(request))
        [view] = await _notices(db, [notice])
    return web.json_response(view, status=201)


async def _new_version(
    request: web.Request,
    change: Callable[[AsyncSession, User, str, dict], Awaitable[OutageNotice]],
) -> web.Response:
    """The new version ``change`` makes of the notice the path names, as the console shows it."""
    key = request.match_info["key"]
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        notice = await change(db, user, key, body)
        [view] = await _notices(db, [notice])
    return web.json_response(view)


@routes.patch("/api/notices/{key}")
@requires("notice.write")
async def revise_notice(request: web.Request) -> web.Response:
    """Revise an outage notice: a new version (the old one kept as 变更后); remark required."""
    tz = _site_tz(request)
    return await _new_version(request, lambda db, user, key, body: knowledge.revise(db, user, key, body, tz))


@routes.post("/api/notices/{key}/end")
@requires("notice.write")
async def end_notice(request: web.Request) -> web.Response:
    """End an outage early (已恢复送电): a new version ending now; remark required."""
    return await _new_version(request, knowledge.end_now)


@routes.post("/api/notices/{key}/undo-end")
@requires("notice.write")
async def undo_end_notice(request: web.Request) -> web.Response:
    """撤销提前结束: a notice ended early by mistake gets back the end it had (a new version,
    told to callers again); remark required. Only the version 提前结束 made, while its former end
    is still to come (notice_not_ended_early, notice_end_passed)."""
    return await _new_version(request, knowledge.undo_end)


@routes.post("/api/notices/{key}/withdraw")
@requires("notice.write")
async def withdraw_notice(request: web.Request) -> web.Response:
    """Withdraw an outage notice (撤销, 已删除): wrong, or the outage called off; remark required."""
    return await _new_version(request, knowledge.withdraw)
