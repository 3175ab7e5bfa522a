"""Outbound campaigns in the console: team leaders and admins create them, import
lists (with the validation report before commit), start, pause and watch them;
agents dial or skip a preview contact and record the disposition (结果代码)."""

from __future__ import annotations

import inspect
import json
import time
from typing import Any

from aiohttp import web

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, path_int
from agent_ui.errors import UiError
from agent_ui.jsonable import jsonable
from agent_ui.locale import language
from agent_ui.roles import requires
from agent_ui.services import SERVICES, TEMPLATES, TEXTS
from agent_ui.surveys import survey_answers, survey_view
from agent_ui.work import read_only, unit_of_work
from campaigns import importer, rules, store
from cti.calendar import WorkCalendar
from cti.phones import InvalidPhoneNumber
from ticketing.models import Campaign, CampaignContact, WorkOrder, utcnow
from ticketing.users import staffed_queues
from ticketing.workflow import engine

routes = web.RouteTableDef()

MAX_UPLOAD = 8 * 1024 * 1024
_SHIPPED_DISPOSITIONS = {(code, label) for code, label, *_ in store.DEFAULT_DISPOSITIONS}


def _campaign_id(request: web.Request) -> int:
    return path_int(request, "campaign_id")


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _calendar(request: web.Request) -> WorkCalendar:
    """The dialer's calendar (the setting ``campaign_calendar``), which campaigns narrow."""
    return request.app[SERVICES].campaign_calendar or WorkCalendar.china()


def _calling(campaign: Campaign, calendar: WorkCalendar) -> dict[str, Any]:
    """Whether the campaign's calling hours are open now and, when not, the next time they open
    (in the calendar's zone): a running campaign outside them dials nobody, and the page says so
    and until when, rather than showing 进行中 with nothing happening."""
    hours = rules.calling_calendar(calendar, campaign.windows, campaign.every_day)
    now = utcnow()
    if rules.may_call(hours, now):
        return {"open": True}
    at = hours.next_working_instant(now)
    local = at.astimezone(hours.tz)
    return {
        "open": False,
        "next_at": jsonable(at),
        "weekday": _WEEKDAYS[local.weekday()],
        "local": f"{local:%m-%d %H:%M}",
    }


def _view(
    campaign: Campaign,
    progress: dict[str, Any] | None = None,
    calendar: WorkCalendar | None = None,
    *,
    manages: bool = True,
) -> dict[str, Any]:
    """The campaign as the console shows it; ``manages``: whether the viewer may change it
    (``campaigns.manage``), else it is offered no status change."""
    out = {
        "id": campaign.id,
        "name": campaign.name,
        "kind": campaign.kind,
        "mode": campaign.mode,
        "status": campaign.status,
        "queue": campaign.queue,
        "windows": campaign.windows,
        "every_day": campaign.every_day,
        "max_attempts": campaign.max_attempts,
        "retry_minutes": campaign.retry_minutes,
        "max_in_flight": campaign.max_in_flight,
        "calls_per_second": campaign.calls_per_second,
        "ring_seconds": campaign.ring_seconds,
        "offer_minutes": campaign.offer_minutes,
        "script": campaign.script,
        "created_at": jsonable(campaign.created_at),
        "started_at": jsonable(campaign.started_at),
        "finished_at": jsonable(campaign.finished_at),
        # what the console may offer: the status changes the state machine allows now, to a
        # viewer who may make them (a supervisor who only reads was offered 暂停, then refused),
        # and whether the settings and the list may still change (not once it is finished)
        "actions": store.actions(campaign) if manages else [],
        "editable": campaign.status != "finished",
        "retry_effective": store.policy_of(campaign).retry_minutes,
    }
    if progress is not None:
        out["progress"] = progress
    if calendar is not None:
        out["calling"] = _calling(campaign, calendar)
    return out


async def _disposition_labels(request: web.Request, labels: dict[str, str]) -> dict[str, str]:
    """Dispositions in words: the shipped ones in the reader's language, one an admin
    configured as it was typed."""
    texts, lang = request.app[TEXTS], await language(request)
    out = {}
    for code, label in labels.items():
        key = f"camp.disposition.{code}"
        text = texts.get(lang, key) if (code, label) in _SHIPPED_DISPOSITIONS else label
        out[code] = label if text == key else text
    return out


def _contact(c: CampaignContact) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "name": c.name,
        "state": c.state,
        "attempts": c.attempts,
        "next_attempt_at": jsonable(c.next_attempt_at),
        "last_outcome": c.last_outcome,
        "disposition": c.disposition,
        "notes": c.notes,
        "agent_id": c.agent_id,
        "order_id": c.order_id,
        "customer_id": c.customer_id,
    }


# -- pages ------------------------------------------------------------------------------------
@routes.get("/campaigns")
@requires("campaigns.read")
async def campaigns_page(request: web.Request) -> web.StreamResponse:
    return await request.app[TEMPLATES].response(request, "campaigns.html")


async def _dialer_status(dialer: Any, user: Any) -> dict[str, Any] | None:
    """``{"running", "error"}`` of the dialer: of one in this process (campaigns.Dialer.status), or,
    in a web process, of the dialers the cti processes run (campaigns.remote.RemoteDialer.status:
    their heartbeats in Redis; none within its life is a dialer down); None when there is no
    dialer to ask. The error is the database's or the driver's own words (hosts, users,
    statements): only an admin reads them, the others see the dialer is down."""
    status = getattr(dialer, "status", None)
    if not callable(status):
        return None
    found = status()
    if inspect.isawaitable(found):
        found = await found
    if found is None:
        return None
    found = dict(found)
    if "admin" not in user.roles:
        found["error"] = ""
    return found


# -- campaigns ----------------------------------------------------------------------------------
@routes.get("/api/campaigns")
@requires("campaigns.read")
async def list_campaigns(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    manages = current_user(request).can("campaigns.manage")
    async with read_only(services, current_user(request)) as (db, _):
        rows = await store.list_campaigns(db)
        return web.json_response(
            {
                "campaigns": [
                    _view(c, await store.progress(db, c.id), _calendar(request), manages=manages)
                    for c in rows
                ],
                # the queues a campaign may call for: the hotline's, as the wallboard lists them
                "queues": await staffed_queues(db, services.default_skills),
                # whether the dialer is working the campaigns, wherever it runs (None: no dialer)
                "dialer": await _dialer_status(services.dialer, current_user(request)),
            }
        )


@routes.post("/api/campaigns")
@requires("campaigns.manage")
async def create_campaign(request: web.Request) -> web.Response:
    body = await json_body(request)
    fields: dict[str, Any] = {k: body[k] for k in ("kind", "mode", *store.EDITABLE) if k in body}
    services = request.app[SERVICES]
    try:
        async with unit_of_work(services, current_user(request)) as (db, user):
            campaign = await store.create_campaign(
                db,
                # as sent: a list or a number is refused (campaign.bad_name), not stored as its repr
                name=body.get("name", ""),
                queue=body.get("queue", ""),
                created_by_id=user.id,
                site_id=user.site_id,
                actor=user,
                **fields,
            )
            # its calls go to agents signed in to the queue: one no seat serves would never connect
            if campaign.queue not in await staffed_queues(db, services.default_skills):
                raise UiError("campaign.unknown_queue", f"no such queue: {campaign.queue}", field="queue")
            return web.json_response(_view(campaign), status=201)
    except TypeError as exc:
        raise UiError("request.invalid", str(exc)) from None


@routes.get("/api/campaigns/{campaign_id}")
@requires("campaigns.read")
async def get_campaign(request: web.Request) -> web.Response:
    cid = _campaign_id(request)
    state = request.query.get("state", "")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        campaign = await store.get_campaign(db, cid)
        manages = current_user(request).can("campaigns.manage")
        view = _view(campaign, await store.progress(db, cid), _calendar(request), manages=manages)
        view["contacts"] = [_contact(c) for c in await store.contacts_page(db, cid, state=state, limit=200)]
        view["disposition_labels"] = await _disposition_labels(request, await store.disposition_labels(db))
        return web.json_response(view)


@routes.patch("/api/campaigns/{campaign_id}")
@requires("campaigns.manage")
async def update_campaign(request: web.Request) -> web.Response:
    """Change the calling windows, retries, pacing, ring time or script of a campaign not finished;
    the answer's ``rescheduled`` and ``finished`` count the pending contacts the change moved."""
    cid = _campaign_id(request)
    body = await json_body(request)
    services, calendar = request.app[SERVICES], _calendar(request)
    async with unit_of_work(services, current_user(request)) as (db, user):
        campaign = await store.get_campaign(db, cid)
        moved = await store.update_campaign(db, campaign, body, calendar=calendar, actor=user)
        return web.json_response({**_view(campaign), **moved})


@routes.post("/api/campaigns/{campaign_id}/{action:start|pause|finish}")
@requires("campaigns.manage")
async def change_status(request: web.Request) -> web.Response:
    cid = _campaign_id(request)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        campaign = await store.set_status(
            db, await store.get_campaign(db, cid), request.match_info["action"], actor=user
        )
        return web.json_response(_view(campaign))


@routes.post("/api/campaigns/{campaign_id}/import")
@requires("campaigns.manage")
async def import_list(request: web.Request) -> web.Response:
    """multipart: ``file`` (.csv / .xlsx), ``mapping`` (JSON field → column), ``commit`` ("1" to add),
    ``checked`` (to add: the ``checked`` token of the check's report, the same file and mapping)."""
    cid = _campaign_id(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise UiError("request.invalid", "file is required")
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise UiError("request.invalid", "file too large")
    try:
        mapping = json.loads(str(form.get("mapping") or "{}"))
    except ValueError:
        raise UiError("request.invalid", "mapping must be JSON") from None
    if not isinstance(mapping, dict):
        raise UiError("request.invalid", "mapping must be an object")
    commit = str(form.get("commit", "")) in ("1", "true")
    token = importer.upload_token(cid, data, mapping)
    if commit and str(form.get("checked", "")) != token:
        # 确认导入 adds only what a report was shown for (pre-validation, a report before commit)
        raise UiError("campaign.import_not_checked", "the file or mapping is not the one checked")
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        campaign = await store.get_campaign(db, cid)
        filename = upload.filename or "list.csv"
        if commit:
            report = await importer.commit(db, campaign, data, filename, mapping, actor=user)
        else:
            report = await importer.check(db, campaign, data, filename, mapping)
        return web.json_response({"committed": commit, "checked": token, **report.summary()})


# -- do not call ----------------------------------------------------------------------------------
@routes.get("/api/campaigns-dnc")
@requires("campaigns.manage")
async def list_dnc(request: web.Request) -> web.Response:
    """``numbers``: the whole list; ``entries``: the newest 200 (``q``: a part of the number or reason)."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        entries = await store.dnc_entries(db, request.query.get("q", ""))
        return web.json_response(
            {
                "numbers": sorted(await store.dnc_numbers(db)),
                "entries": [
                    {"number": e.number, "reason": e.reason, "created_at": jsonable(e.created_at)}
                    for e in entries
                ],
            }
        )


@routes.post("/api/campaigns-dnc")
@requires("campaigns.manage")
async def add_dnc(request: web.Request) -> web.Response:
    """201 with the entry; a number listed already (any spelling) is 200 ``already_listed``,
    its reason replaced by the one given (``reason_updated``) or kept when none is."""
    body = await json_body(request)
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise UiError("request.invalid", "reason must be text", field="reason")
    try:
        async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
            put = await store.put_dnc(db, str(body.get("number", "")), reason, actor=user)
            return web.json_response(
                {
                    "number": put.row.number,
                    "reason": put.row.reason,
                    "already_listed": put.already_listed,
                    "reason_updated": put.reason_updated,
                },
                status=200 if put.already_listed else 201,
            )
    except InvalidPhoneNumber as bad:
        # named on the field as every form names a number's problem: 表单有误：电话（手机号码应为 11 位）
        raise UiError("invalid_fields", str(bad), problems={"number": bad.problem}, form="dnc") from None
    except ValueError as exc:
        if getattr(exc, "error_id", None):
            raise
        raise UiError("campaign.bad_number") from None


@routes.delete("/api/campaigns-dnc/{number}")
@requires("campaigns.manage")
async def remove_dnc(request: web.Request) -> web.Response:
    """Take a number off the list; its contacts the list held back in unfinished campaigns are pending again."""
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        restored = await store.remove_dnc(db, request.match_info["number"], actor=user)
    return web.json_response({"deleted": True, "restored": restored})


# -- the agent's side ------------------------------------------------------------------------------
@routes.get("/api/campaign-dispositions")
@requires("seat.use")
async def list_dispositions(request: web.Request) -> web.Response:
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        rows = await store.dispositions(db)
        labels = await _disposition_labels(request, {d.code: d.label for d in rows})
        return web.json_response(
            {
                "dispositions": [
                    # needs_answer: the card offers it only when the call reached the customer
                    {
                        "code": d.code,
                        "label": labels[d.code],
                        "final": d.final,
                        "needs_answer": d.needs_answer,
                    }
                    for d in rows
                ]
            }
        )


async def _readable_contact(db: Any, request: web.Request) -> tuple[CampaignContact, Campaign]:
    """The path's contact and its campaign, for an agent only when offered to them or called by
    them (a list holds customers' numbers and names); for who watches campaigns, any."""
    current = current_user(request)
    contact = await db.get(CampaignContact, path_int(request, "contact_id"))
    if contact is None:
        raise UiError("not_found")
    if not current.can("campaigns.read") and not await store.is_agents(db, contact, current.agent_id):
        raise UiError("campaign.contact_not_yours")
    return contact, await db.get(Campaign, contact.campaign_id)


@routes.get("/api/campaign-contacts/{contact_id:\\d+}")
@requires("seat.use")
async def get_contact(request: web.Request) -> web.Response:
    """A contact with its campaign's script: an agent reads only the contacts offered to them or
    that they called (a list holds customers' numbers and names); who watches campaigns, any."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        contact, campaign = await _readable_contact(db, request)
        return web.json_response({**_contact(contact), "campaign": campaign.name, "script": campaign.script})


@routes.post("/api/campaign-contacts/{contact_id:\\d+}/disposition")
@requires("call.control")
async def set_disposition(request: web.Request) -> web.Response:
    """The agent who made the contact's latest call records its 结果代码; a campaign manager may
    set or correct any contact's. Audited."""
    body = await json_body(request)
    current = current_user(request)
    async with unit_of_work(request.app[SERVICES], current) as (db, user):
        contact = await store.set_disposition(
            db,
            path_int(request, "contact_id"),
            str(body.get("code", "")),
            notes=str(body.get("notes", "")),
            agent_id=current.agent_id,
            any_contact=current.can("campaigns.manage"),
            actor=user,
        )
        return web.json_response(_contact(contact))


@routes.get("/api/campaign-contacts/{contact_id:\\d+}/survey")
@requires("seat.use")
async def get_contact_survey(request: web.Request) -> web.Response:
    """The survey (满意度回访) of a visit-back contact's order, as the order page shows it (its
    dimensions, whether due, results), for the agent the contact is offered to or who called it."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        contact, campaign = await _readable_contact(db, request)
        if campaign.kind != "visit_back" or not contact.order_id:
            raise UiError("campaign.not_visit_back")
        order = await _contact_order(db, request, user, contact)
        return web.json_response({**await survey_view(db, order), "order_number": order.number})


async def _contact_order(db: Any, request: web.Request, user: Any, contact: CampaignContact) -> WorkOrder:
    """A visit-back contact's order for its survey: the agent the contact is offered to or who
    called it reads it whatever their data scope (the assignment grants that order's survey, not
    the order page: ``GET /api/orders/{key}`` still refuses them); anyone else within their scope."""
    if await store.is_agents(db, contact, current_user(request).agent_id):
        order = await db.get(WorkOrder, contact.order_id)
        if order is None:
            raise UiError("not_found")
        return order
    return await engine.load_order(db, user, contact.order_id)


@routes.post("/api/campaign-contacts/{contact_id:\\d+}/survey")
@requires("call.control")
async def record_contact_survey(request: web.Request) -> web.Response:
    """The agent working a visit-back contact (their call its latest, answered) records its
    order's survey from the campaign card: the order page's survey (a dissatisfied answer opens
    the linked complaint), the contact's 结果代码 following it. Audited."""
    answers, remark = survey_answers(await json_body(request))
    current = current_user(request)
    async with unit_of_work(request.app[SERVICES], current) as (db, user):
        contact, _ = await store.visit_back_survey(
            db,
            path_int(request, "contact_id"),
            answers,
            remark=remark,
            agent_id=current.agent_id,
            actor=user,
        )
        order = await _contact_order(db, request, user, contact)
        view = {**await survey_view(db, order), "order_number": order.number, "contact": _contact(contact)}
    return web.json_response(view, status=201)


@routes.get("/api/campaign-offer")
@requires("seat.use")
async def current_offer(request: web.Request) -> web.Response:
    """The preview contact the dialer holds for the signed-in agent now (``offer``: its
    ``CampaignContactOffered``, with ``held_until``; null: none), and ``server_time``: the seat's
    card shows it again after a reload or a reconnect, counting down to the dialer's moment,
    and closes one the dialer no longer holds for them. ``call``: the agent's campaign call
    still owing its 结果代码 (``store.call_awaiting_result``, with ``outcome``; null: none), whose
    card a reload or a second tab shows again until the result is saved."""
    dialer = request.app[SERVICES].dialer
    agent_id = current_user(request).agent_id
    offer = await dialer.current_offer(agent_id) if dialer is not None and agent_id else None
    async with read_only(request.app[SERVICES], current_user(request)) as (db, _):
        call = await store.call_awaiting_result(db, agent_id)
    return web.json_response({"offer": offer, "call": call, "server_time": time.time()})


@routes.post("/api/campaign-contacts/{contact_id:\\d+}/{action:dial|skip}")
@requires("call.control")
async def preview_action(request: web.Request) -> web.Response:
    dialer = request.app[SERVICES].dialer
    if dialer is None:
        raise UiError("service.unavailable", "the dialer is not running")
    agent_id = current_user(request).agent_id
    contact_id = path_int(request, "contact_id")
    if request.match_info["action"] == "skip":
        if not await dialer.preview_skip(agent_id, contact_id):
            raise UiError("campaign.not_offered")
        return web.json_response({"ok": True})
    ok, detail = await dialer.preview_dial(agent_id, contact_id)
    if not ok:
        raise UiError(detail)
    return web.json_response({"ok": True, "call_id": detail})
