"""报事设置 for dispatching and printing: the contractor register (外委单位), print templates
per step (打印模板), the contractor's reply on an order, and the order's print page.

Admins manage both registers (``config.admin``); whoever works on orders may list active
contractors (to pick one at a dispatching step), record a contractor's reply at their own
step, and print an order they can see. Every change is audited by ``ticketing``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from markupsafe import Markup

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, order_key, parse_order_key, path_int
from agent_ui.errors import UiError
from agent_ui.locale import language
from agent_ui.order_views import order_view
from agent_ui.orders import intake_site
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES, TEXTS
from agent_ui.work import read_only, unit_of_work
from ticketing import contractors, printing
from ticketing.categories import config_categories
from ticketing.workflow import engine, store

routes = web.RouteTableDef()


# -- pages ------------------------------------------------------------------------------------
@routes.get("/admin/contractors")
@requires("config.admin")
async def contractors_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_contractors.html")


@routes.get("/admin/print-templates")
@requires("config.admin")
async def print_templates_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(
        request, "admin_print_templates.html", {"default_template": printing.DEFAULT_TEMPLATE}
    )


# -- the contractor register ------------------------------------------------------------------
@routes.get("/api/contractors")
@requires("contractors.read")
async def list_contractors(request: web.Request) -> web.Response:
    """The register; ``active=1``: only those taking dispatches; ``category``: serving it.
    Only admins see disabled contractors.

    To pick one at a dispatching step, the candidates only (active, serving the order's
    category, the order's site inside their service area): ``order=<id or number>`` for an
    order that exists; ``workflow=<key>`` for one being taken in, with ``form=<JSON>``
    holding what its form has so far (its site field decides the site, as intake does) and
    ``category=<code>`` the 业务大类别 picked (serving it or the workflow's category will do)."""
    user = current_user(request)
    query = request.query
    async with read_only(request.app[SERVICES], user) as (db, row):
        if "order" in query:
            order = await engine.load_order(db, row, parse_order_key(query["order"]))
            codes = await config_categories(db, order)
            rows = await contractors.candidates(db, category=codes, site_id=order.site_id)
        elif "workflow" in query:
            workflow = query["workflow"].strip()[:64]
            definition = store.parsed(await store.latest(db, workflow))
            site_id = await intake_site(db, row, workflow, _form_query(query.get("form", "")))
            # the 业务大类别 picked at intake (协调单), then the workflow's own, as once taken in
            picked = query.get("category", "").strip()[:32]
            codes = tuple(dict.fromkeys(c for c in (picked, definition.category) if c))
            rows = await contractors.candidates(db, category=codes, site_id=site_id)
        else:
            active_only = query.get("active") in ("1", "true") or not user.can("config.admin")
            rows = await contractors.listing(
                db, active_only=active_only, category=query.get("category", "").strip()[:32]
            )
        return web.json_response({"items": [contractors.view(c) for c in rows]})


def _form_query(raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        form = json.loads(raw)
    except ValueError:
        form = None
    if not isinstance(form, dict):
        raise UiError("request.invalid", "form must be a JSON object of the form's values", field="form")
    return form


@routes.post("/api/contractors")
@requires("config.admin")
async def create_contractor(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await contractors.create(db, user, body)
        return web.json_response(contractors.view(row), status=201)


@routes.patch("/api/contractors/{id}")
@requires("config.admin")
async def update_contractor(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await contractors.update_contractor(db, user, path_int(request, "id"), body)
        return web.json_response(contractors.view(row))


@routes.post("/api/contractors/{id}/{action:enable|disable}")
@requires("config.admin")
async def enable_contractor(request: web.Request) -> web.Response:
    """启用 / 停用"""
    active = request.match_info["action"] == "enable"
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await contractors.set_active(db, user, path_int(request, "id"), active)
        return web.json_response(contractors.view(row))


@routes.delete("/api/contractors/{id}")
@requires("config.admin")
async def delete_contractor(request: web.Request) -> web.Response:
    """Only a contractor nothing was dispatched to (else ``contractor_in_use``: disable it)."""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        await contractors.delete(db, user, path_int(request, "id"))
    return web.json_response({"deleted": True})


# -- the contractor's reply on an order ---------------------------------------------------------
@routes.post("/api/orders/{key}/contractor-reply")
@requires("order.act")
async def contractor_reply(request: web.Request) -> web.Response:
    """A handler of a dispatching step records what the contractor answered: reply, result."""
    body = await json_body(request)
    reply, result = body.get("reply", ""), body.get("result", "done")
    if not isinstance(reply, str):
        raise UiError("request.invalid", "reply must be text", field="reply")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        await contractors.record_reply(db, user, order, reply=reply, result=result)
        await db.flush()
        view = await order_view(db, user, order)
    return web.json_response(view)


# -- print templates ------------------------------------------------------------------------------
@routes.get("/api/print-templates")
@requires("config.admin")
async def list_print_templates(request: web.Request) -> web.Response:
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        rows = await printing.listing(db, request.query.get("workflow", "").strip()[:64])
        return web.json_response({"items": [printing.view(t) for t in rows]})


@routes.post("/api/print-templates")
@requires("config.admin")
async def create_print_template(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await printing.create_template(db, user, body)
        return web.json_response(printing.view(row), status=201)


@routes.patch("/api/print-templates/{id}")
@requires("config.admin")
async def update_print_template(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await printing.update_template(db, user, path_int(request, "id"), body)
        return web.json_response(printing.view(row))


@routes.post("/api/print-templates/{id}/{action:enable|disable}")
@requires("config.admin")
async def enable_print_template(request: web.Request) -> web.Response:
    enabled = request.match_info["action"] == "enable"
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await printing.set_enabled(db, user, path_int(request, "id"), enabled)
        return web.json_response(printing.view(row))


# -- 打印 -------------------------------------------------------------------------------------------
@routes.get("/orders/{key}/print")
@requires("order.read")
async def print_order(request: web.Request) -> web.Response:
    """The order rendered by its step's print template, in a page made for paper."""
    services, texts, lang = request.app[SERVICES], request.app[TEXTS], await language(request)
    yes_no = (texts.get(lang, "print.yes"), texts.get(lang, "print.no"))

    def actions(action: str) -> str:  # 改派, not reassign: the order page's words for an opinion
        key = f"order.verb.{action}"
        named = texts.get(lang, key)
        return printing.action_name(action) if named == key else named

    async with read_only(services, current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        name, html = await printing.render_order(db, order, services.site_timezone, yes_no, actions)
        number = order.number
    context: dict[str, Any] = {"order_number": number, "template_name": name, "printed": Markup(html)}
    return await request.app[TEMPLATES].response(request, "order_print.html", context)
