"""Intake and work-order handling: the JSON API and the order page.

Every change is one ``ticketing.workflow`` call inside one unit of work; the
refusals it raises (``ActionRefused``, ``FieldErrors``, ``Forbidden``) reach the
console with their own ``error_id``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import or_, select

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, order_key
from agent_ui.errors import UiError
from agent_ui.order_views import field_views, order_view, subtype_field_views
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES
from agent_ui.work import read_only, unit_of_work
from ticketing import categories, directory, screen_alerts
from ticketing.errors import FieldErrors, NotFound
from ticketing.ids import is_id, whole
from ticketing.intake import may_handle
from ticketing.models import (
    ASYNC_KINDS,
    CallLeg,
    Interaction,
    Site,
    StandardPhrase,
    User,
    WorkflowDefinition,
)
from ticketing.sites import in_tree_order, serves_customers
from ticketing.workflow import actions, engine, store
from ticketing.workflow.definition import CUSTOMER_DESCRIPTION
from ticketing.workflow.forms import form_site

routes = web.RouteTableDef()

ACTIONS = ("save", "submit", "approve", "reject")


def _opt_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if not whole(value):
        raise UiError("request.invalid", f"{name} must be a whole number", field=name)
    if not is_id(value):  # 0, negative or beyond 64 bits: names no row (ticketing.ids)
        raise FieldErrors({name: "field_unknown"})
    return value


def _text(body: dict[str, Any], name: str, limit: int = 2000) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise UiError("request.invalid", f"{name} must be text up to {limit} characters", field=name)
    return value.strip()


def _form(body: dict[str, Any]) -> dict[str, Any]:
    form = body.get("form") or {}
    if not isinstance(form, dict):
        raise UiError("request.invalid", "form must be an object", field="form")
    return form


def _ids(body: dict[str, Any], name: str) -> list[int] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(is_id(i) for i in value):
        raise UiError("request.invalid", f"{name} must be a list of ids", field=name)
    return value


@routes.get("/api/intake")
@requires("order.create")
async def intake_spec(request: web.Request) -> web.Response:
    """Categories with their subcategories, each with the create step's fields, and standard
    phrases. The categories are those offered to the user's site (``categories.offered``: the
    shared ones and those of the site and the sites above it, the nearest level's row of a code
    winning, a 停用 one hiding it)."""
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, user):
        tree = await categories.offered(db, user.site_id)
        children = {o.top.id: o.children for o in tree}
        tops = [o.top for o in tree]
        if not await categories.any_configured(db):
            # No category tree configured: every enabled workflow is a category of its own.
            keys = sorted(
                set(await db.scalars(select(WorkflowDefinition.key).where(WorkflowDefinition.enabled)))
            )
            tops = [categories.Entry(0, k, k, None, None, k, {}) for k in keys]
        listed = []
        for top in tops:
            if not top.workflow_key:
                continue
            try:
                definition = store.parsed(await store.latest(db, top.workflow_key))
            except Exception:
                continue  # a category whose workflow is disabled cannot take new orders
            start = definition.create_node
            fields = field_views(definition, start, {})
            # what of the customer each field holds: what the popped customer fills while empty
            # (故障地址: the address; 所属供电局: the site), and the customer's own words
            # (投诉内容: description), which the form carries over when the agent switches category
            meanings = definition.customer_prefill()
            words = definition.customer_description()
            if words is not None:
                meanings.setdefault(words, CUSTOMER_DESCRIPTION)
            for view in fields:
                if view["name"] in meanings:
                    view["customer"] = meanings[view["name"]]
            listed.append(
                {
                    "id": top.id,
                    "code": top.code,
                    "name": top.name if top.id else definition.name,
                    "workflow": definition.key,
                    "category": definition.category,
                    "fields": fields,
                    "one_step": _one_step(definition),
                    "subcategories": [
                        {
                            "id": c.id,
                            "code": c.code,
                            "name": c.name,
                            "fields": subtype_field_views(definition, c.form_schema),
                            # the fields this subcategory decides (一类投诉: 类别1 一类, 类别2 投诉):
                            # the form fills them and does not ask again (forms.changed_form)
                            "bound": definition.subcategory_values(c.code, c.name),
                        }
                        for c in children.get(top.id, ())
                    ],
                }
            )
        phrases = [
            {"category": p.category, "text": p.text}
            for p in await db.scalars(select(StandardPhrase).order_by(StandardPhrase.sort, StandardPhrase.id))
        ]
    return web.json_response({"categories": listed, "phrases": phrases})


def _one_step(definition: Any) -> bool:
    start = definition.create_node
    return any(definition.node(ex.to).type == "archive" for ex in start.exits)


@routes.post("/api/orders")
@requires("order.create")
async def create_order(request: web.Request) -> web.Response:
    """Intake: ``submit`` true is "保存,处理完毕" (the create step completes and the order
    moves on, or closes for one-step categories); false is "保存,现在处理" (the agent keeps it)."""
    body = await json_body(request)
    workflow = _text(body, "workflow", 64)
    if not workflow:
        raise UiError("request.invalid", "workflow is required", field="workflow")
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, user):
        form = _form(body)
        site_id = _opt_int(body, "site_id")
        interaction_ids = _ids(body, "interaction_ids") or ()
        # named by the engine with the form's other problems, all at once
        found = await _site_problems(db, site_id) | await _link_problems(db, user, interaction_ids)
        caller_number = _text(body, "caller_number", 32)
        subcategory = _text(body, "subcategory", 32)
        submit = bool(body.get("submit", True))
        site_id = user.site_id if site_id is None else site_id
        category = _text(body, "category", 32)
        order = await engine.create_order(
            db,
            user,
            workflow=workflow,
            # 所属供电局 in the form wins (the engine reads it); else the given site or the agent's
            site_id=site_id,
            form=form,
            customer_id=_opt_int(body, "customer_id"),
            caller_number=caller_number,
            title=_text(body, "title", 200),
            # 业务大类别 picked (用户信息查询 and 信息咨询 share the consult workflow); none: the workflow's
            category=category,
            subcategory=subcategory,
            submit=submit,
            opinion=_text(body, "opinion"),
            interaction_ids=interaction_ids,
            # the call the form was written for (a "previous call" banner's): not the one on now
            call_id=_text(body, "call_id", 128),
            # a category intake offers the agent's site, its problem named with the form's others
            as_offered=True,
            request_problems=found,
        )
        view = await order_view(db, user, order)
    return web.json_response(view, status=201)


async def _site_problems(db: Any, site_id: int | None) -> dict[str, str]:
    """A site an order is sent to by its id must not be 停用 (its form's site field is held to the
    same by the engine); one that does not exist is the engine's ``field_unknown_site``."""
    site = (await directory.load(db)).sites.get(site_id) if site_id is not None else None
    if site is not None and not site.enabled:
        return {"site_id": "field_site_disabled"}
    return {}


#: who may link any call to an order at intake, not only one they were on
LINKS_ANY_CALL = ("supervisor", "admin")


async def _link_problems(db: Any, user: User, interaction_ids: Any) -> dict[str, str]:
    """The interactions an intake names must be ones the agent may link: an async event they
    may handle (``ticketing.intake.may_handle``), a call they were on (a leg of theirs), unless
    they oversee every seat. One that does not exist is the engine's, as unknown."""
    if not interaction_ids:
        return {}
    rows = list(await db.scalars(select(Interaction).where(Interaction.id.in_(interaction_ids))))
    mine_calls = set(
        await db.scalars(
            select(CallLeg.interaction_id).where(
                CallLeg.interaction_id.in_([r.id for r in rows]), CallLeg.agent_id == user.staff_no
            )
        )
    )
    for row in rows:
        if row.kind in ASYNC_KINDS:
            allowed = may_handle(user, row)
        elif row.kind == "call":
            allowed = row.id in mine_calls or user.has_role(*LINKS_ANY_CALL)
        else:
            allowed = False  # a recording joins an order through its call
        if not allowed:
            return {"interaction_ids": "field_interaction_not_yours"}
    return {}


async def intake_site(db: Any, user: User, workflow: str, form: dict[str, Any]) -> int | None:
    """The site an order being taken in will belong to (the contractors it may go to depend on
    it): the one the agent picked in a site field of the form (所属供电局), else the agent's own."""
    definition = store.parsed(await store.latest(db, workflow))
    return form_site(definition, form, (await directory.load(db)).site_codes) or user.site_id


@routes.get("/api/sites")
@requires("order.read")
async def list_sites(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, _user):
        rows = await in_tree_order(db, await db.scalars(select(Site)))
        # 停用 ones too, flagged: an order or notice already naming one still shows its name;
        # serves_customers: offered as a customer's 所属单位 and an order's 所属供电局 (not the HQ)
        sites = [
            {
                "id": s.id,
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "path": s.path,
                "enabled": s.enabled,
                "serves_customers": serves_customers(s.kind),
            }
            for s in rows
        ]
    return web.json_response({"sites": sites})


@routes.get("/api/orders/{key}")
@requires("order.read")
async def get_order(request: web.Request) -> web.Response:
    """The order as its page shows it. Opening it reads the viewer's own unread 提醒 about it."""
    services, current = request.app[SERVICES], current_user(request)
    async with read_only(services, current) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        unread = await screen_alerts.unread_about(db, user.id, order.id)
        if not unread:
            return web.json_response(await order_view(db, user, order))
    async with unit_of_work(services, current) as (db, user):
        order = await engine.load_order(db, user, order.id)
        await screen_alerts.mark_read(db, user.id, user.staff_no, unread)
        view = await order_view(db, user, order)
    return web.json_response(view)


@routes.post("/api/orders/{key}/{action:(save|submit|approve|reject)}")
@requires("order.act")
async def act_on_order(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise UiError("not_found")
    body = await json_body(request)
    services = request.app[SERVICES]
    async with unit_of_work(services, current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        # the create step's 小类别 picker (an order the IVR's 故障报修留言 opened names none)
        subcategory = _text(body, "subcategory", 32) if "subcategory" in body else None
        if action == "save":
            await engine.save_form(db, user, order, _form(body), subcategory=subcategory)
        elif action == "submit":
            to = _text(body, "to", 64) or None
            await engine.submit_step(
                db,
                user,
                order,
                form=_form(body),
                opinion=_text(body, "opinion"),
                to=to,
                handlers=_ids(body, "handlers"),
                subcategory=subcategory,
            )
        elif action == "approve":
            await engine.approve(db, user, order, form=_form(body), opinion=_text(body, "opinion"))
        elif action == "reject":
            await engine.reject(db, user, order, opinion=_text(body, "opinion"))
        await db.flush()
        view = await order_view(db, user, order)
    return web.json_response(view)


URGENCIES = ("normal", "high", "urgent")


async def _target(db: Any, body: dict[str, Any]) -> User:
    to = _opt_int(body, "to")
    person = await db.get(User, to) if to is not None else None
    if person is None:
        raise UiError("request.invalid", "to must be the id of a user", field="to")
    return person


async def _manage(request: web.Request, action: str) -> web.Response:
    """转派, 改派, 接手, 督办, 强制归档, 作废: ticketing checks who may, and audits each with its actor
    and opinion; the answer is the order as the user now sees it."""
    body = await json_body(request)
    opinion = _text(body, "opinion")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        if action == "forward":
            await actions.forward(db, user, order, await _target(db, body), opinion=opinion)
        elif action == "reassign":
            replace = _ids(body, "replace")
            await actions.reassign(db, user, order, await _target(db, body), replace=replace, opinion=opinion)
        elif action == "take_over":
            await actions.reassign(db, user, order, user, replace=_ids(body, "replace"), opinion=opinion)
        elif action == "supervise":
            urgency = _text(body, "urgency", 8) or "high"
            if urgency not in URGENCIES:
                raise UiError(
                    "request.invalid", f"urgency must be one of {', '.join(URGENCIES)}", field="urgency"
                )
            await actions.supervise(db, user, order, opinion=opinion, urgency=urgency)
        elif action == "void":
            await actions.void(
                db, user, order, opinion=opinion, duplicate_of=await _duplicate_of(db, user, body)
            )
        else:
            await actions.force_archive(db, user, order, opinion=opinion)
        await db.flush()
        view = await order_view(db, user, order)
    return web.json_response(view)


@routes.post("/api/orders/{key}/forward")
@requires("order.act")
async def forward_order(request: web.Request) -> web.Response:
    """转派: the holder of the current step hands it to a colleague (to = user id, opinion)"""
    return await _manage(request, "forward")


@routes.post("/api/orders/{key}/reassign")
@requires("order.act")
async def reassign_order(request: web.Request) -> web.Response:
    """改派 (team leaders, supervisors, admins): the current step to another user (to = user id;
    replace = the handlers' user ids it takes over from, all by default; opinion)"""
    return await _manage(request, "reassign")


@routes.post("/api/orders/{key}/take_over")
@requires("order.act")
async def take_over_order(request: web.Request) -> web.Response:
    """接手: take a step that no active user holds (待改派), as a colleague in the holder's role"""
    return await _manage(request, "take_over")


@routes.post("/api/orders/{key}/supervise")
@requires("order.act")
async def supervise_order(request: web.Request) -> web.Response:
    """督办 (team leaders, supervisors, admins): press the current handlers (opinion required,
    urgency = normal | high | urgent)"""
    return await _manage(request, "supervise")


@routes.post("/api/orders/{key}/force_archive")
@requires("order.act")
async def force_archive_order(request: web.Request) -> web.Response:
    """强制归档 (supervisors, admins): close the order now (opinion required; the archive's
    required content still applies)"""
    return await _manage(request, "force_archive")


@routes.post("/api/orders/{key}/void")
@requires("order.act")
async def void_order(request: web.Request) -> web.Response:
    """作废 (team leaders in their scope, supervisors, admins): close an invalid or duplicate order
    as 已作废 without the archive's required content (opinion required; duplicate_of = the number
    of the order it repeats, linked on both)"""
    return await _manage(request, "void")


async def _duplicate_of(db: Any, user: User, body: dict[str, Any]) -> Any:
    """The order a voided one repeats, by its number, if the user may see it; none if not given."""
    value = _text(body, "duplicate_of", 40)
    if not value:
        return None
    try:
        return await engine.load_order(db, user, value)
    except NotFound:
        raise FieldErrors({"duplicate_of": "field_unknown_order"}) from None


#: what the candidates are for: 转派 (the step's operator rules), 改派, 自由流转's next handler
CANDIDATES_FOR = ("forward", "reassign", "next")


@routes.get("/api/orders/{key}/candidates")
@requires("order.act")
async def routing_candidates(request: web.Request) -> web.Response:
    """Whom the order may go to, by 工号 or name (q): active users who work on orders and may
    see it. for=forward (the default, 转派): only those the current step's operator rules allow
    (``steps.may_hold``, as ``forward`` checks), not its holders; for=reassign (改派, the team
    leaders' override) and for=next (自由流转: the next step's handler) are not held to them."""
    query = request.query.get("q", "").strip()[:32]
    purpose = request.query.get("for", "forward")
    if purpose not in CANDIDATES_FOR:
        raise UiError("request.invalid", f"for must be one of {', '.join(CANDIDATES_FOR)}", field="for")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        stmt = select(User).where(User.active.is_(True)).order_by(User.staff_no).limit(400)
        if purpose == "forward":
            stmt = stmt.where(User.id.in_(await actions.forward_targets(db, order)))
        if query:
            stmt = stmt.where(or_(User.staff_no.startswith(query), User.name.contains(query)))
        people = []
        for person in await db.scalars(stmt):
            if not await actions.may_receive(db, order, person):
                continue
            people.append({"id": person.id, "staff_no": person.staff_no, "name": person.name})
            if len(people) == 50:
                break
    return web.json_response({"items": people})


@routes.get("/orders/{key}")
@requires("order.read")
async def order_page(request: web.Request) -> web.Response:
    """The order's page: a missing order or one outside the user's sites is the error page
    (404 / 403), not an empty form"""
    services, current = request.app[SERVICES], current_user(request)
    async with read_only(services, current) as (db, user):
        order = await engine.load_order(db, user, order_key(request))
        unread = await screen_alerts.unread_about(db, user.id, order.id)
    if unread:
        # opening the order reads the viewer's own 提醒 about it, as clicking them in the bell
        # does; ScreenAlertsRead brings every tab's count down
        async with unit_of_work(services, current) as (db, user):
            await screen_alerts.mark_read(db, user.id, user.staff_no, unread)
    return await request.app[TEMPLATES].response(
        request, "order.html", {"order_key": request.match_info["key"]}
    )
