"""Customers for the screen-pop and the intake form: lookup by number, search, quick creation."""

from __future__ import annotations

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES
from agent_ui.work import pop_of, read_only, unit_of_work
from ticketing import customers as book
from ticketing.errors import FieldErrors

routes = web.RouteTableDef()


@routes.get("/api/customers/lookup")
@requires("customer.read")
async def lookup(request: web.Request) -> web.Response:
    """The screen-pop for a number: matching customers, open orders, recent interactions, as
    far as the user's data scope reaches (a bureau's handler: their bureau's)."""
    number = request.query.get("number", "").strip()
    if not number:
        raise UiError("request.invalid", "number is required", field="number")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        found = await book.lookup_for(db, user, number)
    return web.json_response(pop_of(number, found))


@routes.get("/api/customers")
@requires("customer.read")
async def search(request: web.Request) -> web.Response:
    """By 户号, phone number or work-order number, inside the user's data scope."""
    query = request.query.get("q", "")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        items = await book.with_site_names(db, await book.find_customers(db, query, viewer=user))
    return web.json_response({"items": items})


@routes.get("/api/customers/form")
@requires("customer.write")
async def form(request: web.Request) -> web.Response:
    """The rule POST /api/customers holds a new customer to (``required``, ``limits``): the
    screen-pop's 新建客户 form marks and bounds its fields by it, so the two cannot differ."""
    return web.json_response(book.form_rules())


@routes.post("/api/customers")
@requires("customer.write")
async def create(request: web.Request) -> web.Response:
    """The screen-pop's quick "new customer" form. Its refusal names the fields as that form
    does (户名, not 名称: ``form: new_customer``, the texts' ``field.new_customer.*``)."""
    body = await json_body(request)
    phone = str(body.get("phone") or "").strip()
    # 所属单位 as the agent picked it, or none when the caller's bureau is not known yet: never the
    # agent's own site (the 客户服务中心), which a fault order would then be routed to
    site_id = body.get("site_id")
    site_id = None if site_id in (None, "") else site_id
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        try:
            customer = await book.create_customer(
                db,
                str(body.get("account_no") or "").strip(),
                str(body.get("name") or "").strip(),
                phones=[phone] if phone else [],
                address=str(body.get("address") or "").strip(),
                site_id=site_id,
                actor=user,
            )
        except FieldErrors as refused:
            raise UiError(
                "invalid_fields", str(refused), problems=refused.problems, form="new_customer"
            ) from refused
        (view,) = await book.with_site_names(db, [customer])
    return web.json_response(view, status=201)
