"""发短信 / 发邮件 from an order: text the agent writes, or one of the manual (not auto-sent)
customer templates of the order's category for a step the order is at or has been at, filled
with the order's fields. Queued in ticketing's outbox like a fax (``notify.send_message``:
audited as ``message.send`` on the order, shown on its timeline as 待发送 / 已发送 / 发送失败)
and delivered by the dispatcher.

A template is filled with the order's fields as saved or, from the order page, as its form
shows them (``form``: what the step's holder typed and has not saved, checked as 暂存 checks it,
``engine.form_as_typed``): the customer is told what the agent sees. Its preview (``POST
…/messages/preview``) is what is sent: the send names the text it was shown (``shown``) and is
refused (``message_changed``) when the same template and form now read otherwise.

Who may: the fax's rule (``knowledge.send`` and the order in the user's data scope), so the
order page offers all three channels to the same people.

重发 is for what the customer was sent: a failed reminder or overrun alert to staff (an internal
alert on the timeline, which offers it no 重发) is refused as ``<channel>.internal_alert``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.auth import current_user
from agent_ui.bodies import json_body, order_key, path_int
from agent_ui.errors import UiError
from agent_ui.faxes import may_see_sent, queued, resend
from agent_ui.order_views import _staff_addresses, closed_field_views, field_views
from agent_ui.recipients import name_every_problem, recipient_problem
from agent_ui.roles import requires
from agent_ui.services import SERVICES
from agent_ui.work import read_only, unit_of_work
from cti.phones import is_mobile
from ticketing.categories import config_categories, own_first
from ticketing.errors import FieldErrors, Problem
from ticketing.ids import is_id
from ticketing.message_templates import BODY_LIMIT
from ticketing.models import Assignment, Comment, Notification, NotificationTemplate, WorkOrder
from ticketing.notify import (
    SMS_LIMIT,
    TemplateError,
    TemplateFieldsBlank,
    blank_fields,
    check_recipient,
    customer_address,
    has_control_chars,
    order_context,
    render,
    render_by_hand,
    render_subject,
    send_message,
    sms_body,
)
from ticketing.workflow import store
from ticketing.workflow.engine import form_as_typed, load_order

routes = web.RouteTableDef()

CHANNELS = ("sms", "email")
#: a written message's longest text per channel (an SMS's parts are the gateway's business)
TEXT_LIMITS = {"sms": SMS_LIMIT, "email": BODY_LIMIT}
SUBJECT_LIMIT = 200


async def _steps_of(db: AsyncSession, order: WorkOrder) -> list[str]:
    """The steps the order is at or has been at, the current one first: a step's template
    (a reply's SMS) may still be wanted once the order has moved on or closed."""
    steps = [order.current_node]
    for query in (
        select(Comment.node).where(Comment.order_id == order.id).order_by(Comment.id.desc()),
        select(Assignment.node).where(Assignment.order_id == order.id).order_by(Assignment.id.desc()),
    ):
        for node in await db.scalars(query):
            if node and node not in steps:
                steps.append(node)
    return steps


async def _templates(db: AsyncSession, order: WorkOrder, channel: str) -> list[NotificationTemplate]:
    steps = await _steps_of(db, order)
    # a category on another's workflow (用户信息查询 on 信息咨询's) falls back to that one's
    keys = await config_categories(db, order)
    rows = await db.scalars(
        select(NotificationTemplate)
        .where(
            NotificationTemplate.category.in_(keys),
            NotificationTemplate.channel == channel,
            NotificationTemplate.node.in_(steps),
            NotificationTemplate.enabled.is_(True),
            # an auto-sent one went out when the order entered its step
            NotificationTemplate.auto_send.is_(False),
            NotificationTemplate.audience == "customer",
        )
        .order_by(NotificationTemplate.id)
    )
    rows = own_first(rows, keys, lambda t: (t.node, t.channel, t.audience))
    return sorted(rows, key=lambda t: steps.index(t.node))


def _crew_recipients(definition: Any, order: WorkOrder) -> list[dict[str, str]]:
    """The crews the order was dispatched to, as SMS recipients: each crew field the order page
    shows (``order_views.field_views``: the step's visible ones, a closed order's recorded ones)
    holding a crew whose phone, as the order keeps it, is a mobile (a landline takes no SMS),
    with the crew's name and leader to label it. Once per number."""
    node = definition.node(order.current_node)
    shown = (
        field_views(definition, node, order.form)
        if order.is_open
        else closed_field_views(definition, order.form)
    )
    out: dict[str, dict[str, str]] = {}
    for field in shown:
        crew = field["value"]
        if field["type"] != "crew" or not isinstance(crew, dict):
            continue
        phone = str(crew.get("phone") or "")
        if is_mobile(phone) and phone not in out:
            out[phone] = {
                "kind": "crew",
                "to": phone,
                "name": str(crew.get("name") or ""),
                "leader": str(crew.get("leader") or ""),
                "field": field["label"],
            }
    return list(out.values())


def _typed(body: dict[str, Any]) -> dict[str, Any] | None:
    """The order page's form as on screen (``form``), when the request sends it."""
    form = body.get("form")
    if form is not None and not isinstance(form, dict):
        raise UiError("request.invalid", "form must be an object", field="form")
    return form


async def _context(
    db: AsyncSession, user: Any, order: WorkOrder, typed: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """What a template is filled with: the order as saved, its form as ``typed`` where given
    (the page's, not saved yet: ``engine.form_as_typed`` takes only what 暂存 would, from the
    step's holder), and the problem of each typed value not taken."""
    context = await order_context(db, order)
    if typed is None:
        return context, {}
    context["form"], problems = await form_as_typed(db, user, order, typed)
    return context, problems


def _filled(template: NotificationTemplate, context: dict[str, Any]) -> tuple[str, str] | None:
    """Subject (one line) and text of ``template`` in ``context``, as ``render_by_hand`` fills
    them to send; None when it cannot be filled."""
    try:
        return render_subject(template.subject, context).strip(), render(template.body, context).strip()
    except TemplateError:
        return None


def _offered(template: NotificationTemplate, context: dict[str, Any]) -> dict[str, Any]:
    """``template`` as the order's choices list it: filled as ``_filled`` fills it to send (empty
    when it cannot be), and the merge fields still empty."""
    subject, text = _filled(template, context) or ("", "")
    return {
        "id": template.id,
        "name": template.name,
        "node": template.node,
        "subject": subject,
        "text": text,
        "blank": _blank(template, context),
    }


#: a value no form holds, to tell whether a template reads a field
_PROBE = "\u2063probe\u2063"


def _problems_read(
    template: NotificationTemplate, context: dict[str, Any], problems: dict[str, str]
) -> dict[str, str]:
    """Of the typed values not taken (``problems``), those ``template`` reads (its text changes
    with the field's value): sent now, it would say the saved value, not what the page shows.
    A typed value no template reads is no reason to refuse one."""
    if not problems:
        return {}
    filled = _filled(template, context)
    return {
        name: problem
        for name, problem in problems.items()
        if _filled(template, {**context, "form": {**context["form"], name: _PROBE}}) != filled
    }


def _refuse_typed(problems: dict[str, str], blank: list[str]) -> None:
    """The typed values a template reads that were not taken, named with their problems, and
    the template's blank fields beside them (``template_field_blank``): one refusal, in words."""
    if problems:
        raise FieldErrors(problems | {name: "template_field_blank" for name in blank if name not in problems})


def _as_sent(channel: str, subject: str, text: str, signature: str) -> dict[str, str]:
    """A filled template as the customer gets it: an SMS's one text with its subject and
    signature (``notify.sms_body``), an email's subject and text."""
    if channel == "sms":
        return {"subject": "", "text": sms_body(subject, text, signature)}
    return {"subject": subject, "text": text}


async def _template(
    db: AsyncSession, order: WorkOrder, channel: str, template_id: Any
) -> NotificationTemplate:
    template = next((t for t in await _templates(db, order, channel) if t.id == template_id), None)
    if template is None:
        raise UiError("not_found", f"no manual {channel} template for this order's steps")
    return template


def _blank(template: NotificationTemplate, context: dict[str, Any]) -> list[str]:
    try:
        names = blank_fields(template.subject, context)
        return names + [n for n in blank_fields(template.body, context) if n not in names]
    except TemplateError:
        # a template that cannot be filled (stored before its save was checked, or over the
        # render's budget) is still listed, empty: sending it gives its error
        return []


@routes.get("/api/orders/{key}/messages")
@requires("knowledge.send")
async def message_choices(request: web.Request) -> web.Response:
    """Per channel: the address to offer (the order's 联系电话 when it is a mobile, else the
    customer's; the customer's email), the recipients to choose from (``recipients``: the
    customer's address, and for an SMS the mobile of each crew the order was dispatched to,
    with its name and leader), and the manual templates, each by its name (模板名称, what the
    agent knows it by and picks it by) with its subject and text as this order's message would
    read, and the merge fields that are still empty (sending it is refused until then)."""
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        order = await load_order(db, user, order_key(request))
        definition = await store.definition_for(db, order.workflow_id)
        context = await order_context(db, order)
        answer: dict[str, Any] = {"limits": {"sms": SMS_LIMIT, "subject": SUBJECT_LIMIT}}
        crews = _crew_recipients(definition, order)
        for channel in CHANNELS:
            to = await customer_address(db, order, channel)
            recipients = [{"kind": "customer", "to": to}] if to else []
            if channel == "sms":
                recipients += [c for c in crews if c["to"] != to]
            answer[channel] = {
                "to": to,
                "recipients": recipients,
                "templates": [_offered(t, context) for t in await _templates(db, order, channel)],
            }
    return web.json_response(answer)


@routes.post("/api/orders/{key}/messages/preview")
@requires("knowledge.send")
async def message_preview(request: web.Request) -> web.Response:
    """JSON ``{channel, template_id, form}``: the manual template as this order's message would
    read filled with ``form``, the order page's fields as on screen (what the step's holder
    typed and has not saved; without it, as saved), as the customer gets it (an SMS with its
    signature): ``subject``, ``text``; the merge fields still empty (``blank``) and the typed
    values it reads that 暂存 would refuse (``problems``, ``problem_values``), either of which
    refuses its send. Sent with the same form and this text as ``shown``, it is sent as shown."""
    body = await json_body(request)
    channel = body.get("channel")
    if channel not in CHANNELS:
        raise UiError("request.invalid", "channel must be sms or email", field="channel")
    if not is_id(body.get("template_id")):
        raise UiError("request.invalid", "template_id must be a template id", field="template_id")
    typed = _typed(body)
    services = request.app[SERVICES]
    async with read_only(services, current_user(request)) as (db, user):
        order = await load_order(db, user, order_key(request))
        template = await _template(db, order, channel, body["template_id"])
        context, problems = await _context(db, user, order, typed)
        problems = _problems_read(template, context, problems)
        subject, text = _filled(template, context) or ("", "")
        blank = _blank(template, context)
    values = {name: p.values for name, p in problems.items() if isinstance(p, Problem) and p.values}
    return web.json_response(
        {
            "id": template.id,
            **_as_sent(channel, subject, text, services.sms_signature),
            "blank": blank,
            "problems": problems,
            "problem_values": values,
        }
    )


async def _message_request(request: web.Request, channel: str) -> dict[str, Any]:
    """JSON ``{to, text, subject (email)}`` or ``{to, template_id}``, a template's with the
    page's ``form`` and the preview it was ``shown`` (``{subject, text}``) where the page sends them."""
    body = await json_body(request)
    template_id = body.get("template_id")
    if template_id is not None and not is_id(template_id):
        raise UiError("request.invalid", "template_id must be a template id", field="template_id")
    for name in ("to", "subject", "text"):
        if not isinstance(body.get(name) or "", str):
            raise UiError("request.invalid", f"{name} must be text", field=name)
    # every problem at once, the address's with the text's (as any form names each field): a
    # second round for the address after the 正文 was filled in is a round too many
    problems: dict[str, str] = {}
    if template_id is None:
        text, subject = str(body.get("text") or "").strip(), str(body.get("subject") or "").strip()
        if not text:
            problems["text"] = "field_required"
        elif len(text) > TEXT_LIMITS[channel]:
            problems["text"] = "field_too_long"
        if channel == "email" and not subject:
            problems["subject"] = "field_required"
        elif len(subject) > SUBJECT_LIMIT:
            problems["subject"] = "field_too_long"
        elif has_control_chars(subject):
            # one line: a line break would end an email's Subject header and start another
            problems["subject"] = "field_control_chars"
    # named like any form's fields: 表单有误:收件人(无效)、正文(必填)、主题(必填); the address
    # alone (or a template's blanks still to come): its own words, said as before
    name_every_problem(
        recipient_problem(channel, body.get("to")), problems, "the message is incomplete or too long", channel
    )
    return body


async def _send(request: web.Request, channel: str) -> web.Response:
    body = await _message_request(request, channel)
    async with unit_of_work(request.app[SERVICES], current_user(request)) as (db, user):
        order = await load_order(db, user, order_key(request))
        to_problem = recipient_problem(channel, body.get("to"))
        subject = str(body.get("subject") or "").strip()
        text = str(body.get("text") or "").strip()
        if body.get("template_id") is not None:
            template = await _template(db, order, channel, body["template_id"])
            # filled from the page's form as on screen when it sends it: a typed value it
            # reads that 暂存 would refuse is named, with any blank field, before anything is sent
            context, problems = await _context(db, user, order, _typed(body))
            _refuse_typed(_problems_read(template, context, problems), _blank(template, context))
            try:
                subject, text = (part.strip() for part in render_by_hand(template, context))
            except TemplateFieldsBlank as blank:
                if to_problem:  # the address and the template's blanks in one answer
                    name_every_problem(
                        to_problem, blank.details["problems"], "bad recipient and blank merge fields", channel
                    )
                raise
            if channel == "sms" and len(f"{subject}：{text}" if subject else text) > SMS_LIMIT:
                # rendered with long field values: cut, the customer would miss the end
                raise UiError(
                    "invalid_fields", "the filled-in SMS is too long", problems={"text": "field_too_long"}
                )
            shown = body.get("shown")
            sent = _as_sent(channel, subject, text, request.app[SERVICES].sms_signature)
            if isinstance(shown, dict) and {k: shown.get(k, "") for k in sent} != sent:
                # the preview the agent read is not what would go (the order saved meanwhile, a
                # field typed since): sent only once they have seen the new one
                raise UiError("message_changed", "the message no longer reads as previewed", **sent)
        # the address alone was wrong: its own words (recipient_invalid, recipient_required)
        to = check_recipient(channel, str(body.get("to") or ""))
        row = await send_message(
            db,
            user,
            channel,
            to,
            subject,
            text,
            order_id=order.id,
            about=("work_order", order.id),
            signature=request.app[SERVICES].sms_signature,  # an SMS only; a template's has its own
        )
    return queued(row)


@routes.post("/api/orders/{key}/sms")
@requires("knowledge.send")
async def sms_for_order(request: web.Request) -> web.Response:
    """发短信 to the customer about an order: written text or a manual SMS template."""
    return await _send(request, "sms")


@routes.post("/api/orders/{key}/email")
@requires("knowledge.send")
async def email_for_order(request: web.Request) -> web.Response:
    """发邮件 to the customer about an order: subject and text, or a manual email template."""
    return await _send(request, "email")


#: 重发 refused for an alert to staff, per channel
INTERNAL_ALERT = {"sms": "sms.internal_alert", "email": "email.internal_alert"}


async def _refuse_internal_alert(request: web.Request, channel: str) -> None:
    """A failed reminder or overrun alert to staff (sent to a user's own mobile or email: what
    the order's timeline lists as an internal alert, ``order_views.timeline``, without 重发) is
    not sent again: it pressed someone about a deadline that has moved on, and a copy would
    press them again now. Checked once the caller may see the row (``faxes.may_see_sent``, the rule
    of ``resend``), so
    a refusal tells nothing about rows out of their scope; anything else is ``resend``'s."""
    notification_id = path_int(request, "id")
    async with read_only(request.app[SERVICES], current_user(request)) as (db, user):
        row = await db.get(Notification, notification_id)
        if row is None or row.channel != channel or row.state != "failed":
            return
        if not await may_see_sent(db, user, row):
            return
        if await _staff_addresses(db, {row.recipient}):
            raise UiError(
                INTERNAL_ALERT[channel],
                f"this {channel} is an internal alert to staff, not a message to the customer: "
                "it is not sent again",
            )


@routes.post("/api/sms/{id}/resend")
@requires("knowledge.send")
async def resend_sms(request: web.Request) -> web.Response:
    """重发 a failed SMS from the order's timeline: once, as a fax is (``faxes.resend``); never
    an alert to staff."""
    await _refuse_internal_alert(request, "sms")
    return await resend(request, "sms")


@routes.post("/api/emails/{id}/resend")
@requires("knowledge.send")
async def resend_email(request: web.Request) -> web.Response:
    """重发 a failed email from the order's timeline: once, as a fax is (``faxes.resend``); never
    an alert to staff."""
    await _refuse_internal_alert(request, "email")
    return await resend(request, "email")
