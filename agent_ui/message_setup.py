"""短信 / 邮件 / 传真模板 in the console: the admins' page and API for the message templates
of each category × step (``ticketing.message_templates``). Admins only (``config.admin``),
CSRF on writes, refusals naming the field; every change is audited by ``ticketing``."""

from __future__ import annotations

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, path_int
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import message_templates
from ticketing.workflow import store

routes = web.RouteTableDef()


@routes.get("/admin/message-templates")
@requires("config.admin")
async def message_templates_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(
        request,
        "admin_message_templates.html",
        {
            "channels": message_templates.CHANNELS,
            "audiences": message_templates.AUDIENCES,
            "send_on": message_templates.SEND_ON,
            "name_limit": message_templates.NAME_LIMIT,
        },
    )


@routes.get("/api/message-templates")
@requires("config.admin")
async def list_message_templates(request: web.Request) -> web.Response:
    """Every template; ``category``: of that category only."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        rows = await message_templates.listing(db, request.query.get("category", "").strip()[:32])
        return web.json_response({"items": [message_templates.view(t) for t in rows]})


@routes.post("/api/message-templates")
@requires("config.admin")
async def create_message_template(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await message_templates.create_template(db, user, body)
        return web.json_response(message_templates.view(row), status=201)


@routes.patch("/api/message-templates/{id}")
@requires("config.admin")
async def update_message_template(request: web.Request) -> web.Response:
    """Any of the fields, ``enabled`` and ``auto_send`` included."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await message_templates.update_template(db, user, path_int(request, "id"), body)
        return web.json_response(message_templates.view(row))


@routes.get("/api/message-templates/{id:\\d+}/uses")
@requires("config.admin")
async def message_template_uses(request: web.Request) -> web.Response:
    """``{uses}``: where the workflows' versions in use word a reminder with this template
    (``store.template_uses``), for the page to name them and ask before 停用: such a reminder
    then says the engine's words (the SLA worker's fallback), which the admin is to know."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        template = await message_templates.get_template(db, path_int(request, "id"))
        return web.json_response({"uses": await store.template_uses(db, template)})


@routes.get("/api/message-templates/fields")
@requires("config.admin")
async def message_template_fields(request: web.Request) -> web.Response:
    """The merge fields a template of ``category`` × ``node`` can use, for the editor's picker:
    ``items`` ``[{group, expression}]`` read from the renderer's context (``notify.merge_fields``)."""
    category = request.query.get("category", "").strip()[:32]
    node = request.query.get("node", "").strip()[:64]
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        return web.json_response({"items": await message_templates.picker(db, category, node)})


@routes.post("/api/message-templates/preview")
@requires("config.admin")
async def preview_message_template(request: web.Request) -> web.Response:
    """``{category, subject, body, missing}``: the texts rendered on a sample order of the
    category (``missing``: one without customer, form, site or deadline), nothing stored."""
    body = await json_body(request)
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        return web.json_response(await message_templates.preview(db, body))
