"""业务类别: the admins' page and API for the business categories (业务大类别 / 小类别) intake
offers: create, rename, 停用 / 启用 (never deleted: orders keep naming them), attach a top
category to an enabled workflow (one shared with other categories only once confirmed:
``category_workflow_shared``), and its visit-back (回访) scoring dimensions. Admins only
(``config.admin``), CSRF on writes; a category is created shared by every site or as an
enabled site's own (``site_id``; the sites below it inherit it; the code of a shared one or of
a site's above: that site's override of it, which 恢复上级设置 removes again); bad
input is ``invalid_fields`` naming each field and
nothing is stored; every change is audited by ``ticketing.category_admin``."""

from __future__ import annotations

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, path_int
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import category_admin

routes = web.RouteTableDef()


@routes.get("/admin/categories")
@requires("config.admin")
async def categories_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_categories.html", {})


@routes.get("/api/admin/categories")
@requires("config.admin")
async def list_categories(request: web.Request) -> web.Response:
    """Every category (disabled ones too) with its workflow, orders and dimensions; the
    workflows with the categories each serves; the sites."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        return web.json_response(await category_admin.listing(db))


async def _answer(db, row) -> dict:
    listed = await category_admin.listing(db)
    return next(item for item in listed["items"] if item["id"] == row.id)


@routes.post("/api/admin/categories")
@requires("config.admin")
async def create_category(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await category_admin.create(db, user, body)
        return web.json_response(await _answer(db, row), status=201)


@routes.patch("/api/admin/categories/{id}")
@requires("config.admin")
async def update_category(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await category_admin.update(db, user, path_int(request, "id"), body)
        return web.json_response(await _answer(db, row))


@routes.delete("/api/admin/categories/{id}/override")
@requires("config.admin")
async def remove_override(request: web.Request) -> web.Response:
    """恢复上级设置: remove a site's override of a category; the site and the sites below it
    follow the shared (or their parent's) row again. The answer is that row, as listed.
    Refused (409): ``category_not_an_override``, ``category_override_has_children``,
    ``category_override_in_use`` (``ticketing.category_admin.remove_override``)."""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        follows = await category_admin.remove_override(db, user, path_int(request, "id"))
        return web.json_response(await _answer(db, follows))


@routes.put("/api/admin/categories/{id}/survey")
@requires("config.admin")
async def set_survey(request: web.Request) -> web.Response:
    """{dimensions: [{name, options: [{label, satisfied}]}], site_id?}: the top category's whole
    set, the shared one (no site_id) or a site's own (replacing the shared one there)."""
    body = await json_body(request)
    if "dimensions" not in body:
        raise UiError("request.invalid", "dimensions is required", field="dimensions")
    unknown = set(body) - {"dimensions", "site_id"}
    if unknown:
        raise UiError("request.invalid", f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await category_admin.set_dimensions(
            db, user, path_int(request, "id"), body["dimensions"], body.get("site_id")
        )
        return web.json_response(await _answer(db, row))
