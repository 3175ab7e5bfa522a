"""单位管理: the site tree (供电局 / 管理区) and each site's business hours, for admins.

The hours per weekday and on make-up working days (调休上班) are the site's ``calendar`` that
deadlines of its orders count in; the national holidays and make-up days
(``cti/holidays_cn.yaml``) are shown read-only. A site anything refers to cannot be deleted
(``site_in_use``): it is 停用 (``PATCH {"enabled": false}``) instead. Every change is audited
by ``ticketing.site_admin``.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, path_int
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import site_admin

routes = web.RouteTableDef()


@routes.get("/admin/sites")
@requires("config.admin")
async def sites_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_sites.html")


@routes.get("/api/admin/sites")
@requires("config.admin")
async def list_sites(request: web.Request) -> web.Response:
    """Every site with its parent, kind, time zone and business hours, and the holidays."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        rows = await site_admin.listing(db)
        return web.json_response(
            {
                "items": [site_admin.view(s) for s in rows],
                "kinds": list(site_admin.KINDS),
                "holidays": site_admin.holidays(),
            }
        )


@routes.post("/api/admin/sites")
@requires("config.admin")
async def create_site(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await site_admin.create(db, user, body)
        return web.json_response(site_admin.view(row), status=201)


@routes.patch("/api/admin/sites/{id}")
@requires("config.admin")
async def update_site(request: web.Request) -> web.Response:
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await site_admin.update_site(db, user, path_int(request, "id"), body)
        return web.json_response(site_admin.view(row))


@routes.delete("/api/admin/sites/{id}")
@requires("config.admin")
async def delete_site(request: web.Request) -> web.Response:
    """Only a site nothing refers to (else ``site_in_use``)."""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        await site_admin.delete(db, user, path_int(request, "id"))
    return web.json_response({"deleted": True})
