"""Order lists: the JSON API (``GET /api/orders``) and the list pages."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.auth import current_user
from agent_ui.bodies import date_range, int_param
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only
from agent_ui.worklists import LISTS, ListQuery, run_list
from ticketing.models import Category, WorkflowDefinition
from ticketing.workflow import store
from ticketing.workflow.definition import VOIDED_STATUS

routes = web.RouteTableDef()


def query_from(request: web.Request) -> ListQuery:
    q = request.query
    received_from, received_to = date_range(request)
    return ListQuery(
        name=q.get("list", "search"),
        category=q.get("category", ""),
        status=q.get("status", ""),
        number=q.get("number", ""),
        caller=q.get("caller", ""),
        receiver=q.get("receiver", ""),
        contractor=int_param(request, "contractor", 0, low=0, high=2**31) or None,
        open_only=q.get("open") in ("1", "true"),
        received_from=received_from,
        received_to=received_to,
        sort=q.get("sort", "created_at"),
        descending=q.get("dir", "desc") != "asc",
        page=int_param(request, "page", 1, low=1, high=100_000),
        size=int_param(request, "size", 20, low=1, high=200),
    )


@routes.get("/api/orders")
@requires("order.read")
async def list_orders(request: web.Request) -> web.Response:
    query = query_from(request)
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, user):
        result = await run_list(db, user, query, services.site_timezone)
    return web.json_response(result)


@routes.get("/api/categories")
@requires("order.read")
async def order_categories(request: web.Request) -> web.Response:
    """The categories orders are listed and filtered by, each named by its workflow (as the order's
    page names it): every workflow's, disabled ones too (their orders stay), in intake's order."""
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, _user):
        named = await store.category_names(db)
        statuses = await category_statuses(db)
    every = list(dict.fromkeys(status for each in statuses.values() for status in each))
    return web.json_response(
        {
            "categories": [
                {"category": category, "name": name, "statuses": statuses.get(category, [])}
                for category, name in named.items()
            ],
            # the 状态 filter's choices with no category picked: every workflow's
            "statuses": every,
        }
    )


async def category_statuses(db: AsyncSession) -> dict[str, list[str]]:
    """Each category's order statuses, for the 状态 filter to pick from (typed, 处理 found no
    处理完毕): its workflow's steps' statuses in the step order of the latest version, those
    only an earlier version had after them (its orders keep them), and 已作废 last. A top
    category on another's workflow (用户信息查询 on 信息咨询's) has that workflow's."""
    rows = list(await db.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.version.desc())))
    by_key: dict[str, list[str]] = {}
    by_category: dict[str, list[str]] = {}
    for row in rows:  # the latest version first
        definition = store.parsed(row)
        own = by_key.setdefault(row.key, [])
        own.extend(n.status for n in definition.nodes if n.status and n.status not in own)
        by_category.setdefault(definition.category, own)
    for code, key in await db.execute(
        select(Category.code, Category.workflow_key).where(
            Category.parent_id.is_(None), Category.workflow_key != ""
        )
    ):
        if key in by_key:
            by_category.setdefault(code, by_key[key])
    return {code: [*each, VOIDED_STATUS] for code, each in by_category.items()}


@routes.get("/lists/{name}")
@requires("order.read")
async def list_page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in LISTS:
        raise UiError("not_found")
    return await request.app[TEMPLATES].response(request, "lists.html", {"list_name": name})
