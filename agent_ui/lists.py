"""Order lists: the JSON API (``GET /api/orders``) and the list pages."""

from __future__ import annotations

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import date_range, int_param
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only
from agent_ui.worklists import LISTS, ListQuery, run_list
from ticketing.workflow import store

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
    return web.json_response(
        {"categories": [{"category": category, "name": name} for category, name in named.items()]}
    )


@routes.get("/lists/{name}")
@requires("order.read")
async def list_page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in LISTS:
        raise UiError("not_found")
    return await request.app[TEMPLATES].response(request, "lists.html", {"list_name": name})
