"""抢修班组: the repair crews' register for admins, and the crews an order may be dispatched to.

Admins keep the register (``config.admin``): a bureau's handlers have no role of their own
over it, and a supervisor (质量监控员) watches calls rather than running a bureau's crews (the
role table, DOMAIN § 1). Whoever works on orders may list the crews to pick one at 派工
(``crews.read``): those of an order they can see (``order=``), active, of its site and the sites
above it, or with ``all=1`` of its whole bureau; without ``order=``, the crews of the bureaus
their data scope covers, as their orders are. Every change is audited by ``ticketing.crews``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, parse_order_key, path_int
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import crews
from ticketing.errors import FieldErrors
from ticketing.workflow import engine, store

routes = web.RouteTableDef()


@contextlib.contextmanager
def _named_as_on_the_form() -> Iterator[None]:
    """A refused crew names each field by the form's label (班组名称（已存在）, 联系电话（…）),
    not by the registers' shared words (名称, 电话): the ``field.crew.*`` texts."""
    try:
        yield
    except FieldErrors as refused:
        raise UiError("invalid_fields", str(refused), problems=refused.problems, form="crew") from refused


@routes.get("/admin/crews")
@requires("config.admin")
async def crews_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_crews.html")


@routes.get("/api/crews")
@requires("crews.read")
async def list_crews(request: web.Request) -> web.Response:
    """The register in display order, as far as the user's data scope reaches
    (``crews.visible``: an admin, or an agent of the 95598 centre who sees every site, every
    crew; a bureau's handler its bureau's and the root's); only admins see disabled crews
    (``active=1``: not even they). ``order=<id or number>``: an order the user can see (else 403,
    as the order is), the crews that order may be dispatched to, those of its site and above it,
    or with ``all=1`` its whole bureau's (another 供电所's crew, on request), and ``fills``: per
    crew field of its workflow, which of its fields a pick fills."""
    user = current_user(request)
    query = request.query
    whole_bureau = query.get("all") in ("1", "true")
    async with read_only(request.app[SERVICES], user) as (db, row):
        fills: dict[str, dict[str, str]] = {}
        if "order" in query:
            order = await engine.load_order(db, row, parse_order_key(query["order"]))
            rows = await crews.candidates(db, order.site_id, whole_bureau=whole_bureau)
            # what a pick fills in, per crew field of the order's workflow (its ``fills``)
            definition = await store.definition_for(db, order.workflow_id)
            fills = {
                name: dict(spec.get("fills") or {})
                for name, spec in definition.fields.items()
                if (spec or {}).get("type") == "crew"
            }
        else:
            active_only = query.get("active") in ("1", "true") or not user.can("config.admin")
            # only the crews of the bureaus the user's data scope covers (and the root's), as
            # their orders are: another bureau's leaders, phones and vehicles are not theirs
            rows = await crews.visible(db, row, active_only=active_only)
        return web.json_response({"items": [crews.view(c) for c in rows], "fills": fills})


@routes.post("/api/crews")
@requires("config.admin")
async def create_crew(request: web.Request) -> web.Response:
    """A new crew: name and site (供电局 or 供电所) required; leader, phones, members, vehicle, sort."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        with _named_as_on_the_form():
            row = await crews.create(db, user, body)
        return web.json_response(crews.view(row), status=201)


@routes.patch("/api/crews/{id}")
@requires("config.admin")
async def update_crew(request: web.Request) -> web.Response:
    """Change a crew; the orders dispatched to it keep it as it was."""
    body = await json_body(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        with _named_as_on_the_form():
            row = await crews.update_crew(db, user, path_int(request, "id"), body)
        return web.json_response(crews.view(row))


@routes.post("/api/crews/{id}/{action:enable|disable}")
@requires("config.admin")
async def enable_crew(request: web.Request) -> web.Response:
    """启用 / 停用"""
    active = request.match_info["action"] == "enable"
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        row = await crews.set_active(db, user, path_int(request, "id"), active)
        return web.json_response(crews.view(row))


@routes.delete("/api/crews/{id}")
@requires("config.admin")
async def delete_crew(request: web.Request) -> web.Response:
    """Only a crew no order was dispatched to (else ``crew_in_use``: 停用 it)."""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        await crews.delete(db, user, path_int(request, "id"))
    return web.json_response({"deleted": True})
