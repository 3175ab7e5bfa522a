"""账号管理 in the console: the admins' page and API for users (``ticketing.user_admin``).
Admins only (``config.admin``), CSRF on writes, refusals naming the field; every change is
audited by ``ticketing``. A temporary password is in the answer that made it, and nowhere else."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from aiohttp import web
from sqlalchemy import select

from agent_ui import roles
from agent_ui.auth import SESSIONS, announce_ended, current_user
from agent_ui.bodies import json_body
from agent_ui.commands import sign_out_seat
from agent_ui.errors import UiError
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import user_admin
from ticketing.errors import FieldErrors
from ticketing.models import ROLES, Department, Site
from ticketing.sites import in_tree_order

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
#: an answer with a temporary password must not stay in a cache
NO_STORE = {"Cache-Control": "no-store"}


@contextlib.contextmanager
def _named_as_on_the_form() -> Iterator[None]:
    """A refused user names each field by the form's label (姓名（必填）, 所属单位（…）), not by the
    registers' shared words (名称, 单位): the ``field.user.*`` texts."""
    try:
        yield
    except FieldErrors as refused:
        raise UiError("invalid_fields", str(refused), problems=refused.problems, form="user") from refused


@routes.get("/admin/users")
@requires("config.admin")
async def users_page(request: web.Request) -> web.Response:
    return await request.app[TEMPLATES].response(request, "admin_users.html", {"roles": ROLES})


@routes.get("/api/users")
@requires("config.admin")
async def list_users(request: web.Request) -> web.Response:
    """Users by 工号: q (工号 start or part of the name), role, active (true|false); and the sites,
    departments, roles and queues the form offers"""
    choices = {"true": True, "false": False, "": None}
    if request.query.get("active", "") not in choices:
        raise UiError("request.invalid", "active must be true or false", field="active")
    active = choices[request.query.get("active", "")]
    role = request.query.get("role", "")
    if role and role not in ROLES:
        raise UiError("request.invalid", "unknown role", field="role")
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, _):
        users = await user_admin.listing(
            db, q=request.query.get("q", "").strip()[:64], role=role, active=active
        )
        sites = await in_tree_order(db, await db.scalars(select(Site)))
        departments = await db.scalars(select(Department).order_by(Department.code))
        return web.json_response(
            {
                "items": await user_admin.views(db, users),
                "sites": [
                    {"id": s.id, "name": s.name, "kind": s.kind, "path": s.path, "enabled": s.enabled}
                    for s in sites
                ],
                "departments": [{"id": d.id, "name": d.name} for d in departments],
                "roles": list(ROLES),
                "queues": list(services.queues),
            }
        )


@routes.post("/api/users")
@requires("config.admin")
async def create_user(request: web.Request) -> web.Response:
    """A new user (staff_no, name, roles, site_id, scope_site_ids, department_id, manager, skills,
    phone, email): the answer carries the temporary password, to hand over once"""
    body = await json_body(request)
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, actor):
        with _named_as_on_the_form():
            user, password = await user_admin.add_user(db, actor, body, known_queues=services.queues)
        return web.json_response(
            {"user": (await user_admin.views(db, [user]))[0], "temporary_password": password},
            status=201,
            headers=NO_STORE,
        )


@routes.patch("/api/users/{staff_no}")
@requires("config.admin")
async def update_user(request: web.Request) -> web.Response:
    """Any of name, roles, site_id, scope_site_ids, department_id, manager, skills, phone, email, active"""
    body = await json_body(request)
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, actor):
        before = await user_admin.get_user(db, request.match_info["staff_no"])
        was_active, had_roles = before.active, tuple(before.roles or ())
        with _named_as_on_the_form():
            user = await user_admin.update_user(
                db, actor, request.match_info["staff_no"], body, known_queues=services.queues
            )
        shown = (await user_admin.views(db, [user]))[0]
        # the account the sessions were given is gone: they end (a page whose socket had not
        # connected yet learns it from /api/session, and signs in again or is told why it cannot)
        why = ""
        if was_active and not user.active:
            why = "account_disabled"
        elif tuple(user.roles or ()) != had_roles:
            why = "roles_changed"
        ended = await request.app[SESSIONS].revoke_user(db, user.id, why=why) if why else []
    if ended:
        await announce_ended(request.app, user.staff_no, ended, why)
    if not shown["active"] or not roles.allowed(shown["roles"], "seat.use"):
        # calls must not go on ringing a seat nobody may sit at any more
        try:
            await sign_out_seat(services.bridge, shown["staff_no"])
        except Exception:
            log.warning("could not sign %s out of the queues", shown["staff_no"], exc_info=True)
    return web.json_response(shown)


@routes.post("/api/users/{staff_no}/reset-password")
@requires("config.admin")
async def reset_password(request: web.Request) -> web.Response:
    """A new temporary password, shown once; the user must change it at the next sign-in"""
    staff_no = request.match_info["staff_no"]
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, actor):
        password = await user_admin.reset_password(db, actor, staff_no)
        # every session of the user ends with the old password (an admin's own reset too)
        user = await user_admin.get_user(db, staff_no)
        ended = await request.app[SESSIONS].revoke_user(db, user.id, why="password_reset")
    await announce_ended(request.app, user.staff_no, ended, "password_reset")
    return web.json_response({"temporary_password": password}, headers=NO_STORE)


@routes.post("/api/users/{staff_no}/unlock")
@requires("config.admin")
async def unlock_user(request: web.Request) -> web.Response:
    """Lift the lock that wrong passwords put on the account"""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, actor):
        user = await user_admin.unlock(db, actor, request.match_info["staff_no"])
        return web.json_response((await user_admin.views(db, [user]))[0])
