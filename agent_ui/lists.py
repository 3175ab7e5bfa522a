"""Order lists: the JSON API (``GET /api/orders``) and the list pages."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from agent_ui.auth import current_user
from agent_ui.bodies import date_param, int_param
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only
from agent_ui.worklists import LISTS, ListQuery, run_list
from ticketing.models import Category, WorkflowDefinition
from ticketing.workflow import store

routes = web.RouteTableDef()


def query_from(request: web.Request) -> ListQuery:
    q = request.query
    return ListQuery(
        name=q.get("list", "search"),
        category=q.get("category", ""),
        status=q.get("status", ""),
        number=q.get("number", ""),
        caller=q.get("caller", ""),
        receiver=q.get("receiver", ""),
        contractor=int_param(request, "contractor", 0, low=0, high=2**31) or None,
        open_only=q.get("open") in ("1", "true"),
        received_from=date_param(request, "from"),
        received_to=date_param(request, "to"),
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
    """The categories orders can be filtered by: every workflow's, disabled ones too (their orders
    stay). Each is named by the top categories intake offers for it, in intake's order (several
    may share one workflow, 故障报修 and 协调单 say), else by its workflow's name."""
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, _user):
        tops = await db.scalars(
            select(Category)
            .where(Category.parent_id.is_(None), Category.workflow_key != "")
            .order_by(Category.sort, Category.id)
        )
        latest: dict[str, WorkflowDefinition] = {}
        for row in await db.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.version)):
            latest[row.key] = row
        category_of = {key: store.parsed(row).category for key, row in latest.items()}
        names: dict[str, list[str]] = {}  # category -> names, in intake's order
        for top in tops:
            category = category_of.get(top.workflow_key)
            if category is not None and top.name not in names.setdefault(category, []):
                names[category].append(top.name)
        for key, row in sorted(latest.items()):
            if category_of[key] not in names:  # a workflow no top category offers
                names[category_of[key]] = [row.name]
    return web.json_response(
        {"categories": [{"category": category, "name": "、".join(n)} for category, n in names.items()]}
    )


@routes.get("/lists/{name}")
@requires("order.read")
async def list_page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in LISTS:
        raise UiError("not_found")
    return await request.app[TEMPLATES].response(request, "lists.html", {"list_name": name})
