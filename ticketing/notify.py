"""Notifications: jinja2 templates per category × step, and the SMTP and SMS gateways.

Entering a node queues the enabled, auto-send templates of (category, node) in
the ``notifications`` outbox; SLA reminders queue there too. ``Dispatcher``
delivers pending rows through the gateways and records the outcome on each row,
so nothing is lost when a gateway is down (the row stays ``failed`` with the
error, and ``retry_failed`` puts it back).

Rows go in through ``enqueue``, which also queues a ``NotificationQueued`` event on the
session: published after the commit (``ticketing.events``), it wakes the dispatcher at once,
in this process or another; its poll only catches what no event announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import re
import smtplib
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp
from jinja2 import ChainableUndefined, Template, Undefined
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from cti.ami.client import AmiError
from cti.bus import Bus, Subscription
from cti.events import Event
from cti.fax import FaxSender
from cti.phones import InvalidPhoneNumber, is_mobile, never_dial, normalize
from ticketing.audit import record
from ticketing.blanks import is_blank
from ticketing.cached import Cache
from ticketing.categories import config_categories, own_first
from ticketing.errors import ActionRefused, TicketingError
from ticketing.events import NotificationQueued, pending_events, publish_pending, queue_event
from ticketing.models import (
    Assignment,
    Contact,
    Customer,
    CustomerPhone,
    Notification,
    NotificationTemplate,
    Site,
    User,
    WorkOrder,
    utcnow,
)
from ticketing.sms_status import apply_held, hold_gateway_id
from ticketing.template_budget import BoundedEnvironment, _bounded
from ticketing.template_budget import TemplateTooCostly as _OverBudget

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Templates are written by admins: the sandbox keeps them from reaching Python internals, and
# its budget from holding the process (ticketing.template_budget, as print templates).
_env = BoundedEnvironment(undefined=ChainableUndefined, autoescape=False)


def fallback(value: Any, default: Any = "") -> Any:
    """``{{ customer.name | fallback('客户') }}``: the value, or ``default`` where it is missing
    (no customer, an empty form field, an order without a deadline: undefined, None or text with
    nothing visible). The merge-field picker writes it, so admins need no jinja conditional."""
    if isinstance(value, Undefined) or is_blank(value):
        return default
    return value


# a filter like the others: one step of the render's budget, paying for what it reads
_env.filters["fallback"] = _bounded("fallback", fallback, None)


class TemplateError(TicketingError):
    error_id = "template_invalid"


class TemplateTooCostly(TemplateError):
    """A template that does more work than a render may (nested loops over thousands…)."""

    error_id = "template_too_costly"


class GatewayError(TicketingError):
    """A message could not be delivered; ``retry``: the trouble may pass (a busy fax line)."""

    error_id = "gateway_failed"

    def __init__(self, message: str = "", *, retry: bool = False, **details: object) -> None:
        super().__init__(message, **details)
        self.retry = retry


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    # Compiling is most of a render's cost; the same few templates are rendered over and over.
    return _env.from_string(source)


def render(source: str, context: dict[str, Any]) -> str:
    try:
        return _env.render(_compiled(source), context)
    except _OverBudget as exc:
        raise TemplateTooCostly(f"template stopped: {exc}", limit=exc.limit) from exc
    except Exception as exc:
        raise TemplateError(f"template error: {exc}") from exc


class TemplateFieldsBlank(TicketingError):
    """A merge field rendered empty (时限 of an order with no deadline): sent as it is, the
    text would read "我们将在时限  前答复". ``problems`` names each blank field."""

    error_id = "template_fields_blank"

    def __init__(self, fields: list[str]) -> None:
        problems = {name: "template_field_blank" for name in fields}
        super().__init__(f"blank merge fields: {', '.join(fields)}", problems=problems)


_OUTPUT = re.compile(r"{{-?\s*(.+?)\s*-?}}", re.S)
_ROOT_NAME = re.compile(r"^[A-Za-z_]\w*")
#: form.get('标题', ''), form['标题'], form.标题: the form field's own name
_FORM_FIELD = re.compile(
    r"""^form\s*(?:\.get\(\s*(['"])(?P<got>.+?)\1|\[\s*(['"])(?P<item>.+?)\3\s*\]|\.(?P<attr>\w+)\s*$)"""
)


def blank_fields(source: str, context: dict[str, Any]) -> list[str]:
    """The merge fields of ``source`` that render empty in ``context``, by name: a form
    field by its own name (标题), any other by its expression (``due_at``, ``customer.name``).
    Only expressions over the context's names are asked (not a loop's own variables)."""
    names: list[str] = []
    for expression in _OUTPUT.findall(source):
        root = _ROOT_NAME.match(expression)
        if root is None or root.group() not in context or render(f"{{{{ {expression} }}}}", context).strip():
            continue
        form = _FORM_FIELD.match(expression)
        name = next((v for v in (form.group("got", "item", "attr") if form else ()) if v), expression)
        if name != "get" and name not in names:
            names.append(name)
    return names


#: line breaks and other control characters (C0, DEL, C1, the Unicode line separators): none
#: belongs in a subject, one line that becomes an email's Subject header
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control_chars(text: str) -> bool:
    return _CONTROL.search(text) is not None


#: a run of control characters (a merge field's line breaks) with the spaces around it
_CONTROL_RUN = re.compile(r"\s*(?:[\x00-\x1f\x7f-\x9f\u2028\u2029]\s*)+")


def one_line(text: str) -> str:
    """``text`` on one line: each run of control characters (a merge field's line breaks) and
    the spaces around it read as one space."""
    return _CONTROL_RUN.sub(" ", text).strip()


def render_subject(source: str, context: dict[str, Any]) -> str:
    """A template's subject filled in ``context``, on one line (``one_line``): every template's
    subject (by hand, auto-sent, to a contractor) goes through here."""
    return one_line(render(source, context))


#: the error of a message whose template could not be filled when it was to be sent by itself
#: (entering a step, a contractor's dispatch) starts with the template's error id
TEMPLATE_FAILURES = ("template_invalid:", "template_too_costly:")


def template_failed(error: str) -> bool:
    """Whether a failed message's ``error`` says its template could not be filled (nothing was
    sent, nor can be again: an admin fixes the template)."""
    return error.startswith(TEMPLATE_FAILURES)


def fill_unattended(
    subject: str, body: str, context: dict[str, Any], *, order: WorkOrder, what: str
) -> tuple[str, str, str]:
    """Subject (one line) and body of a template sent by itself, when an order enters a step or
    is dispatched to a contractor, and ``""``; or, when the template cannot be filled (broken,
    stored before its save was checked, over the render's budget), empty texts and the reason,
    logged. The caller records such a message failed with that reason (on the order's timeline
    as any failed message), and the step change it comes with goes on: a broken template must
    not keep an agent from moving the order."""
    try:
        return render_subject(subject, context), render(body, context), ""
    except TemplateError as exc:
        log.error(
            "%s of order %s cannot be filled (%s), recorded as failed: %s",
            what,
            order.number,
            exc.error_id,
            exc,
            exc_info=exc,
        )
        return "", "", f"{exc.error_id}: {what}: {exc}"[:500]


def render_by_hand(template: NotificationTemplate, context: dict[str, Any]) -> tuple[str, str]:
    """Subject (on one line) and body of a template an agent sends by hand, refused with
    ``TemplateFieldsBlank`` (naming every blank field) when a merge field would be empty: the
    message says everything it promises, or the agent writes the text instead."""
    blank = blank_fields(template.subject, context)
    blank += [name for name in blank_fields(template.body, context) if name not in blank]
    if blank:
        raise TemplateFieldsBlank(blank)
    return render_subject(template.subject, context), render(template.body, context)


def check_template(source: str) -> None:
    try:
        _env.parse(source)
    except Exception as exc:
        raise TemplateError(f"template syntax error: {exc}") from exc


async def order_context(session: AsyncSession, order: WorkOrder) -> dict[str, Any]:
    customer = None
    if order.customer_id:
        customer = await session.scalar(
            select(Customer).where(Customer.id == order.customer_id).options(selectinload(Customer.phones))
        )
    site = await session.get(Site, order.site_id) if order.site_id else None
    return context_of(order, customer, site)


def context_of(order: WorkOrder, customer: Customer | None, site: Site | None) -> dict[str, Any]:
    """What a message template is rendered over (``order_context``; a contractor's step adds
    ``contractor``, ``ticketing.contractors``): the merge-field picker lists its names."""
    return {
        "order": order,
        "form": dict(order.form or {}),
        "customer": customer,
        "site": site,
        "due_at": order.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if order.due_at else "",
    }


#: the columns of a context object a template may not usefully print: keys, internal state
_NOT_MERGE_FIELDS = re.compile(r"(^id$|_id$|^path$|^password|_hash$)")


def _text_columns(model: type) -> list[str]:
    """The text columns of an ORM model (``order.number``, ``customer.name``…), in table order."""
    from sqlalchemy import String, inspect

    return [
        c.key
        for c in inspect(model).columns
        if isinstance(c.type, String) and not _NOT_MERGE_FIELDS.search(c.key)
    ]


def merge_fields(form_fields: list[str], *, contractor: bool = False) -> list[dict[str, str]]:
    """The merge fields a message template can use, each ``{group, expression}``, read from what
    ``context_of`` builds (and the contractor's ``view`` at a dispatching step): an ORM object's
    text columns, the form's fields (``form_fields``, the workflow's), each other name as it is.
    ``expression`` is what the picker writes between ``{{ }}``."""
    from ticketing.contractors import view as contractor_view
    from ticketing.models import Contractor

    blank = WorkOrder(form={}, due_at=None)
    context: dict[str, Any] = context_of(blank, Customer(), Site())
    if contractor:
        context["contractor"] = contractor_view(
            Contractor(name="", contact_person="", email="", active=True, sort=0)
        )
    out: list[dict[str, str]] = []
    for root, value in context.items():
        if root == "form":
            names = [f"{root}.{name}" if name.isidentifier() else f"{root}[{name!r}]" for name in form_fields]
        elif isinstance(value, dict):
            names = [
                f"{root}.{key}"
                for key, v in value.items()
                if isinstance(v, str) and not _NOT_MERGE_FIELDS.search(key)
            ]
        elif hasattr(type(value), "__table__"):
            names = [f"{root}.{column}" for column in _text_columns(type(value))]
        else:
            names = [root]
        out += [{"group": root, "expression": name} for name in names]
    return out


#: the kinds of a customer's numbers a fax is offered to, in turn: one the record names as its
#: fax, then a landline (a mobile takes no fax: ``fax_to_mobile``)
FAX_KINDS = ("fax", "landline")


def _faxable(number: str) -> str:
    """``number`` as a fax goes to it, or "" when no fax can go there (a mobile, 110, garbage)."""
    try:
        return check_recipient("fax", number)
    except ActionRefused:
        return ""


async def customer_address(session: AsyncSession, order: WorkOrder, channel: str) -> str:
    """Where a customer's message about ``order`` goes by default: a mobile for an SMS, the
    customer's email for an email, a number that takes a fax for a fax (never a mobile: the
    record's fax number, else the order's 联系电话 when it is a landline, else the record's
    landline); "" when there is none."""
    if channel == "fax":
        phones = []
        if order.customer_id:
            phones = list(
                await session.scalars(
                    select(CustomerPhone)
                    .where(CustomerPhone.customer_id == order.customer_id)
                    .order_by(CustomerPhone.id)
                )
            )
        marked = [p.number for p in phones if p.kind == FAX_KINDS[0]]
        landlines = [p.number for p in phones if p.kind == FAX_KINDS[1]]
        for number in (*marked, order.caller_number or "", *landlines):
            if to := _faxable(number):
                return to
        return ""
    if channel == "sms":
        # the order's 联系电话 is what the caller gave for this matter: it wins over the
        # customer record's phones, which are only asked when the order has no mobile
        try:
            contact_number = normalize(order.caller_number) if order.caller_number else ""
        except InvalidPhoneNumber:
            contact_number = ""
        if is_mobile(contact_number):
            return contact_number
        if order.customer_id:
            ctx_customer = await session.scalar(
                select(Customer)
                .where(Customer.id == order.customer_id)
                .options(selectinload(Customer.phones))
            )
            for phone in ctx_customer.phones if ctx_customer else []:
                if is_mobile(phone.number):
                    return phone.number
        return ""
    if order.customer_id:
        email = await session.scalar(
            select(Contact.email)
            .where(Contact.customer_id == order.customer_id, Contact.email != "")
            .limit(1)
        )
        return email or ""
    return ""


async def _handler_addresses(
    session: AsyncSession, order: WorkOrder, node_id: str, channel: str
) -> list[str]:
    """The addresses of the operators the order now waits for at ``node_id`` (an
    ``audience: handler`` template): their email, or their mobile for an SMS. In a
    sequential step only the first in turn is waiting."""
    rows = (
        await session.execute(
            select(Assignment.mode, Assignment.seq, User.email, User.phone)
            .join(User, User.id == Assignment.user_id)
            .where(Assignment.order_id == order.id, Assignment.node == node_id, Assignment.state == "pending")
            .order_by(Assignment.seq, Assignment.id)
        )
    ).all()
    if rows and rows[0].mode == "sequential":
        rows = [r for r in rows if r.seq == rows[0].seq]
    addresses: list[str] = []
    for row in rows:
        if channel == "sms":
            try:
                address = normalize(row.phone) if row.phone else ""
            except InvalidPhoneNumber:
                address = ""
            address = address if is_mobile(address) else ""
        else:
            address = row.email.strip()
        if address and address not in addresses:
            addresses.append(address)
    return addresses


def enqueue(session: AsyncSession, row: Notification) -> None:
    """Put ``row`` in the outbox. Once the caller commits and publishes the session's events,
    the dispatcher hears of it (one event per channel and transaction, however many rows)."""
    session.add(row)
    if row.state in (None, "pending"):  # None: the column's default, "pending", comes at the flush
        wake = NotificationQueued(channel=row.channel)
        if wake not in pending_events(session):
            queue_event(session, wake)


async def send_template(
    session: AsyncSession, order: WorkOrder, template: NotificationTemplate, *, recipient: str = ""
) -> Notification:
    """Queue one template by hand (a template that is not auto-sent, or to another recipient)."""
    if not template.enabled:
        raise TemplateError("the template is disabled", template=template.id)
    recipient = recipient.strip() or await customer_address(session, order, template.channel)
    if not recipient:
        raise TemplateError("no recipient for this channel", template=template.id)
    subject, body = render_by_hand(template, await order_context(session, order))
    row = Notification(
        channel=template.channel, recipient=recipient, order_id=order.id, subject=subject, body=body
    )
    enqueue(session, row)
    await session.flush()
    return row


@dataclasses.dataclass(frozen=True, slots=True)
class AutoTemplate:
    id: int
    category: str
    audience: str
    channel: str
    subject: str
    body: str
    send_on: str


async def _load_auto_templates(session: AsyncSession, key: tuple[str, str]) -> tuple[AutoTemplate, ...]:
    category, node_id = key
    rows = await session.execute(
        select(
            NotificationTemplate.id,
            NotificationTemplate.category,
            NotificationTemplate.audience,
            NotificationTemplate.channel,
            NotificationTemplate.subject,
            NotificationTemplate.body,
            NotificationTemplate.send_on,
        )
        .where(
            NotificationTemplate.category == category,
            NotificationTemplate.node == node_id,
            NotificationTemplate.enabled.is_(True),
            NotificationTemplate.auto_send.is_(True),
            # a contractor's are sent on dispatch (ticketing.contractors)
            NotificationTemplate.audience.in_(("customer", "handler")),
        )
        .order_by(NotificationTemplate.id)
    )
    return tuple(AutoTemplate(*row) for row in rows)


# Every node an order enters asks for its templates, and most nodes have none: cached per
# database, and an edited template is seen at once (ticketing.cached).
_auto_templates = Cache("notify.auto_templates", (NotificationTemplate,), _load_auto_templates)


async def on_enter(
    session: AsyncSession, order: WorkOrder, node_id: str, *, first: bool = True
) -> list[Notification]:
    """Queue the auto-send templates of (category, node) sent on entering it (``send_on:
    enter``, and ``first_enter`` when this is the ``first`` time the order enters it: a
    重新派工 does not tell the customer 已受理 again) for the order's customer, or for the
    operators it now waits for (``audience: handler``). Per channel and audience the order's own
    category's templates for the node if it has any, else its workflow's category's (a 协调单
    gets the fault flow's 已受理 SMS; ``categories.config_categories``)."""
    wanted = ("enter", "first_enter") if first else ("enter",)
    return await _send_auto(session, order, node_id, wanted)


async def on_leave(session: AsyncSession, order: WorkOrder, node_id: str) -> list[Notification]:
    """Queue the auto-send templates of (category, node) sent when the order moves on from it
    (``send_on: leave``, the customer's only), whichever exit it takes: 抢修完成 is told to the
    customer whether 回复客户 follows or not."""
    return await _send_auto(session, order, node_id, ("leave",))


async def _send_auto(
    session: AsyncSession, order: WorkOrder, node_id: str, send_on: tuple[str, ...]
) -> list[Notification]:
    keys = await config_categories(session, order)
    found = [t for key in keys for t in await _auto_templates.get(session, (key, node_id))]
    templates = [t for t in own_first(found, keys, lambda t: (t.channel, t.audience)) if t.send_on in send_on]
    if not templates:
        return []
    context = await order_context(session, order)
    rows = []
    for t in templates:
        if t.audience == "handler":
            recipients = await _handler_addresses(session, order, node_id, t.channel)
        else:
            recipients = [await customer_address(session, order, t.channel)]
        subject, body, error = fill_unattended(
            t.subject,
            t.body,
            context,
            order=order,
            what=f"{t.channel} template {t.id} ({t.audience}, {node_id})",
        )
        for recipient in filter(None, recipients):
            row = Notification(
                channel=t.channel,
                recipient=recipient,
                order_id=order.id,
                subject=subject,
                body=body,
                # a template that cannot be filled: failed with the reason, and the step goes on
                state="failed" if error else "pending",
                error=error,
            )
            enqueue(session, row)
            rows.append(row)
    return rows


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# a phone number as typed (138-0013-8000, +86 138 0013 8000): under 邮件, the refusal says so
_PHONE_TYPED = re.compile(r"^\+?[\d\s()\-]{5,20}$")
# characters: the gateway splits a long text into a concatenated SMS (70 characters a part);
# beyond this it is cut rather than sent as a dozen parts
SMS_LIMIT = 500


def check_recipient(channel: str, to: str) -> str:
    """The canonical address for ``channel``, or a refusal naming what is wrong."""
    to = (to or "").strip()
    if not to:
        raise ActionRefused("recipient_required", "no recipient")
    if channel in ("sms", "fax"):
        if _EMAIL.match(to):
            # the channel picked is the one sent by (QA #13): an e-mail address under 短信 is refused
            # saying so (短信只能发送到手机号码，不能发送到邮箱地址), never read for the digits in it
            # (13800138000@qq.com went out as an SMS to 13800138000)
            raise ActionRefused(
                "recipient_invalid", f"an email address, not a {channel} number: {to!r}",
                channel=channel, given="email_address",
            )  # fmt: skip
        try:
            number = normalize(to)
        except InvalidPhoneNumber:
            number = ""
        # the outbound rule every campaign and callback asks: no emergency, service or short code
        if not number.isdigit() or never_dial(number):
            raise ActionRefused("recipient_invalid", f"not a {channel} number: {to!r}", channel=channel)
    if channel == "sms":
        if not is_mobile(number):
            raise ActionRefused("recipient_invalid", f"not a mobile number: {to!r}", channel=channel)
        return number
    if channel == "fax":
        if len(number) > 15:
            raise ActionRefused("recipient_invalid", f"not a fax number: {to!r}", channel=channel)
        if is_mobile(number):  # a mobile takes no fax (as an SMS takes no landline): said so
            raise ActionRefused("fax_to_mobile", f"a mobile number takes no fax: {to!r}", channel=channel)
        return number
    if len(to) > 128 or not _EMAIL.match(to):
        given = {"given": "phone_number"} if _PHONE_TYPED.match(to) else {}  # 邮件 to a number: said so
        raise ActionRefused("recipient_invalid", f"not an email address: {to!r}", channel=channel, **given)
    return to


def sms_body(subject: str, body: str, signature: str = "") -> str:
    """An SMS's text as the customer gets it (``send_message``): its subject before its body
    (主题：正文) unless the body starts with it, ``signature`` (【95598】) before both unless it is
    there already, cut to ``SMS_LIMIT``. 发短信's preview shows this, so what is sent is what was
    shown."""
    body = f"{subject}：{body}" if subject and not body.startswith(subject) else body
    if signature and not body.startswith(signature):
        body = signature + body
    return body[:SMS_LIMIT]


async def send_message(
    session: AsyncSession,
    user: User | None,
    channel: str,
    to: str,
    subject: str,
    body: str,
    *,
    order_id: int | None = None,
    about: tuple[str, object] | None = None,
    pages: int = 0,
    signature: str = "",
) -> Notification:
    """Queue an ad-hoc SMS, email or fax in the outbox the ``Dispatcher`` delivers from.

    ``signature`` (【95598】) starts an SMS whose text does not already (a template's carries
    its own): a customer's phone shows who sent a text by it, as the order SMS say it.

    ``about`` names what was sent (e.g. ``("kb_article", 7)``) for the audit row;
    without it the audit row is kept on the notification itself. A fax's text is
    kept as its body; its document (``pages`` long) is a file the caller writes,
    named by the returned row's id (recordings.fax_out).
    """
    if channel not in ("sms", "email", "fax"):
        raise ActionRefused("channel_unsupported", f"messages go out by sms, email or fax, not {channel!r}")
    if channel == "fax" and pages < 1:
        raise ActionRefused("channel_unsupported", "a fax needs its document (agent_ui.faxes renders it)")
    recipient = check_recipient(channel, to)
    subject = (subject or "").strip()[:200]
    if channel == "email" and has_control_chars(subject):
        # a line break would end the Subject header and start another (Bcc: …)
        raise ActionRefused("subject_invalid", "an email's subject is one line, without control characters")
    body = (body or "").strip()
    if not body and not subject and not pages:
        raise ActionRefused("message_empty", "nothing to send")
    if channel == "sms":
        body = sms_body(subject, body, signature)
    row = Notification(
        channel=channel,
        recipient=recipient,
        user_id=user.id if user is not None else None,
        order_id=order_id,
        subject=subject,
        body=body,
        pages=pages,
    )
    enqueue(session, row)
    await session.flush()
    entity, entity_id = about if about is not None else ("notification", row.id)
    await record(
        session,
        user,
        "message.send",
        entity,
        entity_id,
        after={"channel": channel, "to": recipient, "notification": row.id, "order_id": order_id}
        | ({"pages": pages} if channel == "fax" else {}),
    )
    return row


# -- gateways -------------------------------------------------------------------------------
class Gateway(Protocol):
    async def send(self, recipient: str, subject: str, body: str) -> str | None:
        """Deliver one message; the gateway's id for it, when it gives one (an SMS gateway's,
        which its delivery reports name: ``ticketing.sms_status``)."""
        ...


@dataclasses.dataclass
class SmtpGateway:
    host: str
    port: int = 25
    sender: str = "hotline@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    async def send(self, recipient: str, subject: str, body: str) -> None:
        try:
            # a header the email package refuses (a line break in the subject: ValueError) is
            # this message's fault: it fails, for good, and the others go on
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
            message.set_content(body)
        except Exception as exc:
            raise GatewayError(f"SMTP to {recipient}: the message cannot be written: {exc}") from exc
        # smtplib blocks, so it runs in a worker thread, never on the event loop.
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise GatewayError(f"SMTP to {recipient} failed: {exc}") from exc
        except Exception as exc:  # anything else smtplib or email raises about this message
            raise GatewayError(f"SMTP to {recipient} failed: {type(exc).__name__}: {exc}") from exc

    def _send_blocking(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


#: where a gateway's answer may carry its id for the message, the first found winning
GATEWAY_ID_KEYS = ("message_id", "messageId", "msgid", "id")


def gateway_message_id(answer: Any) -> str | None:
    """The gateway's id for a message it took, from its JSON answer (``{"message_id": "…"}``,
    or under ``data``); None when it gives none (no delivery reports for that message then)."""
    for where in (answer, answer.get("data") if isinstance(answer, dict) else None):
        if not isinstance(where, dict):
            continue
        for key in GATEWAY_ID_KEYS:
            value = where.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if isinstance(value, str) and value.strip() and len(value.strip()) <= 128:
                return value.strip()
    return None


@dataclasses.dataclass
class HttpSmsGateway:
    """POSTs ``{"to", "text", "sign"}`` as JSON with a bearer token; any 2xx is success. A JSON
    answer's ``message_id`` (``gateway_message_id``) is kept: the delivery reports name it."""

    url: str
    token: str = ""
    sign: str = "95598"
    timeout: float = 10.0

    async def send(self, recipient: str, subject: str, body: str) -> str | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.post(
                    self.url, json={"to": recipient, "text": body, "sign": self.sign}, headers=headers
                ) as resp:
                    if resp.status // 100 != 2:
                        raise GatewayError(f"SMS gateway answered {resp.status}: {(await resp.text())[:200]}")
                    # taken: an answer that is no JSON (or has no id) is still success, only
                    # without delivery reports
                    try:
                        return gateway_message_id(await resp.json(content_type=None))
                    except ValueError:
                        return None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GatewayError(f"SMS gateway unreachable: {exc}") from exc


class FaxGateway(Protocol):
    async def send_fax(self, notification_id: int, recipient: str, queued_at: dt.datetime, pages: int) -> int:
        """Fax the document queued for ``notification_id``; the pages the far end took."""
        ...


@dataclasses.dataclass
class AsteriskFaxGateway:
    """Faxes through Asterisk (``cti.fax.FaxSender``); ``document`` maps an outbox row to its
    TIFF as (the path Asterisk sees, the path here)."""

    sender: FaxSender
    document: Callable[[int, dt.datetime], tuple[str, Path]]

    async def send_fax(self, notification_id: int, recipient: str, queued_at: dt.datetime, pages: int) -> int:
        tiff, local = self.document(notification_id, queued_at)
        if not local.is_file():
            raise GatewayError(f"the fax document {tiff} is missing")
        try:
            # the attempt's own id: an event from another attempt (or another installation's
            # row 1 on a shared Asterisk) must not answer this one
            attempt = f"{notification_id}-{uuid.uuid4().hex[:8]}"
            outcome = await self.sender.send(recipient, tiff, attempt, pages=pages)
        except AmiError as exc:
            raise GatewayError(f"Asterisk: {exc}", retry=True) from exc
        if not outcome.sent:
            reason = (
                outcome.status
                if outcome.error in ("", outcome.status)
                else f"{outcome.status}: {outcome.error}"
            )
            raise GatewayError(f"fax to {recipient}: {reason}", retry=outcome.unreached)
        return outcome.pages


#: messages in flight at once per channel, unless the Dispatcher is told otherwise: an SMS
#: gateway answers in a fraction of a second, and an outage notice can queue thousands; a
#: fax holds a line for a minute a page, and a site has as many fax calls as lines
CONCURRENCY = {"sms": 8, "email": 4, "fax": 1}


@dataclasses.dataclass(frozen=True, slots=True)
class _Pass:
    sent: int
    failed: int
    full: bool  # it took as many rows as it may: more may be waiting
    next_retry: dt.datetime | None  # the earliest retry_at still to come, if any


class Dispatcher:
    """Delivers pending sms/email/fax rows of the outbox.

    Each channel is delivered on its own (a fax takes a minute a page; SMS and email don't
    wait behind it), up to ``concurrency[channel]`` messages at once (``CONCURRENCY``). The
    messages to one recipient go one after the other, in the order they were queued, so two
    SMS to one phone never overtake each other. A failure the gateway calls passing
    (``GatewayError.retry``: busy, no answer) puts the row back for another try
    ``retry_seconds`` later, ``max_attempts`` in all; any other failure of a send (a message
    the gateway cannot take, a bug) fails that row for good, with the reason, and the others
    go on.

    ``run`` delivers as soon as it is woken (``wake``; ``listen`` wakes it on each
    ``NotificationQueued`` of the bus), when a retry comes due, and every ``poll_seconds``
    for whatever no event announced. A channel has one pass at a time, and a pass takes
    only rows that are due and records each outcome before the next pass reads: wakes
    during a pass make one more pass after it, never a second send of a row.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        sms: Gateway | None = None,
        email: Gateway | None = None,
        fax: FaxGateway | None = None,
        max_attempts: int = 3,
        retry_seconds: float = 120.0,
        concurrency: dict[str, int] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.gateways: dict[str, Gateway | FaxGateway | None] = {"sms": sms, "email": email, "fax": fax}
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.concurrency = {**CONCURRENCY, **(concurrency or {})}
        bad = {c: n for c, n in self.concurrency.items() if n < 1}
        if bad:
            raise ValueError(f"at least one message at a time per channel: {bad}")
        self._woken = {channel: asyncio.Event() for channel in self.gateways}
        self._one_pass = {channel: asyncio.Lock() for channel in self.gateways}
        #: where the 提醒 of a delivery report applied on sending go (``listen``'s bus)
        self.bus: Bus | None = None

    def wake(self, channel: str | None = None) -> None:
        """Rows of ``channel`` (of every channel: None) were committed: deliver them now."""
        for name, woken in self._woken.items():
            if channel is None or channel == name:
                woken.set()

    def listen(self, bus: Bus) -> Subscription:
        """Be woken by the ``NotificationQueued`` events of ``bus``, whoever published them.
        Every dispatcher hears every event (no group): a missed one only costs a poll."""
        self.bus = bus

        async def on_queued(event: Event) -> None:
            if isinstance(event, NotificationQueued):
                self.wake(event.channel)

        return bus.subscribe(on_queued, types=[NotificationQueued])

    async def deliver_pending(self, limit: int = 100) -> tuple[int, int]:
        """(sent, failed) for this pass over every channel; a row put back for a retry is neither."""
        results = await asyncio.gather(
            *(self._deliver_channel(c, limit) for c, g in self.gateways.items() if g is not None)
        )
        return sum(r.sent for r in results), sum(r.failed for r in results)

    async def _deliver_channel(self, channel: str, limit: int) -> _Pass:
        # one pass at a time per channel: two at once would both read, and send, the same rows
        async with self._one_pass[channel]:
            return await self._pass(channel, limit)

    async def _pass(self, channel: str, limit: int) -> _Pass:
        now = utcnow()
        async with self.sessionmaker() as session:
            rows = list(
                await session.scalars(
                    select(Notification)
                    .where(
                        Notification.state == "pending",
                        Notification.channel == channel,
                        or_(Notification.retry_at.is_(None), Notification.retry_at <= now),
                    )
                    .order_by(Notification.id)
                    .limit(limit)
                )
            )
            later = await session.scalar(
                select(func.min(Notification.retry_at)).where(
                    Notification.state == "pending",
                    Notification.channel == channel,
                    Notification.retry_at > now,
                )
            )
            await session.commit()  # don't hold the (SQLite) write lock while talking to gateways
        by_recipient: dict[str, list[Notification]] = {}
        for row in rows:
            by_recipient.setdefault(row.recipient, []).append(row)
        at_once = asyncio.Semaphore(self.concurrency[channel])

        async def deliver_in_turn(queued: list[Notification]) -> list[str]:
            outcomes = []
            for row in queued:
                async with at_once:
                    outcomes.append(await self._deliver(channel, row))
            return outcomes

        # Every send under way is seen through and recorded before an unexpected error (the
        # database gone) ends the pass: a message sent but not marked would go out again.
        results = await asyncio.gather(*map(deliver_in_turn, by_recipient.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        outcomes = [o for each in results for o in each]  # type: ignore[union-attr]
        if "retry" in outcomes:
            # put back during this pass: due no sooner than this (a moment early costs one empty pass)
            soonest = now + dt.timedelta(seconds=self.retry_seconds)
            later = soonest if later is None else min(later, soonest)
        return _Pass(outcomes.count("sent"), outcomes.count("failed"), len(rows) >= limit, later)

    async def _deliver(self, channel: str, row: Notification) -> str:
        """Send one row and record how it went: "sent", "failed", or "retry" (put back)."""
        gateway = self.gateways[channel]
        assert gateway is not None
        values: dict[str, Any] = {"attempts": row.attempts + 1, "retry_at": None}
        try:
            if channel == "fax":
                pages = await gateway.send_fax(row.id, row.recipient, row.created_at, row.pages)  # type: ignore[union-attr]
                values["pages"] = pages
            else:
                gateway_id = await gateway.send(row.recipient, row.subject, row.body)  # type: ignore[union-attr]
                if channel == "sms":
                    # this attempt's id; an earlier attempt's report (before a 重试) is history
                    values |= {
                        "gateway_id": gateway_id[:128]
                        if isinstance(gateway_id, str) and gateway_id
                        else None,
                        "delivery": "",
                        "delivery_at": None,
                        "delivery_reason": "",
                    }
            values |= {"state": "sent", "sent_at": utcnow(), "error": ""}
            outcome = "sent"
        except GatewayError as exc:
            values["error"] = str(exc)[:500]
            if exc.retry and row.attempts + 1 < self.max_attempts:
                values["retry_at"] = utcnow() + dt.timedelta(seconds=self.retry_seconds)
                outcome = "retry"
            else:
                values["state"] = "failed"
                outcome = "failed"
        except Exception as exc:
            # a gateway's bug or a message it cannot take: that message fails for good (left
            # pending it would fail every pass and hold up its recipient's later messages)
            log.exception("%s gateway failed on notification %s", channel, row.id)
            values |= {"state": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
            outcome = "failed"
        async with self.sessionmaker() as session:
            async with session.begin():
                if values.get("gateway_id"):
                    await hold_gateway_id(session, values["gateway_id"])
                await session.execute(update(Notification).where(Notification.id == row.id).values(**values))
                if values.get("gateway_id"):
                    # the gateway may have reported before this line: its report waits for the id
                    sent = await session.get(Notification, row.id, populate_existing=True)
                    if sent is not None:
                        await apply_held(session, sent)
            await publish_pending(session, self.bus)
        return outcome

    async def run(self, poll_seconds: float = 10.0, limit: int = 100) -> None:
        """Deliver forever (the worker process), each channel on its own: when woken, when a
        retry comes due, and at least every ``poll_seconds`` (rows queued while no event could
        tell: another process's event lost, rows from before a restart). A failing pass is
        logged and retried."""

        async def channel_loop(channel: str) -> None:
            woken = self._woken[channel]
            while True:
                woken.clear()  # a wake from now on is for rows this pass may not have seen
                wait = poll_seconds
                try:
                    done = await self._deliver_channel(channel, limit)
                    if done.full:
                        continue  # more are waiting (an outage notice to thousands)
                    if done.next_retry is not None:
                        until_due = (done.next_retry - utcnow()).total_seconds()
                        wait = max(0.0, min(wait, until_due))
                except Exception:
                    log.exception("notification dispatch pass failed (%s)", channel)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await woken.wait()

        await asyncio.gather(*(channel_loop(c) for c, g in self.gateways.items() if g is not None))

    async def retry_failed(self) -> int:
        async with self.sessionmaker.begin() as session:
            result = await session.execute(
                update(Notification)
                # not a message whose template could not be filled: it has nothing to send
                .where(
                    Notification.state == "failed",
                    ~or_(*(Notification.error.startswith(p) for p in TEMPLATE_FAILURES)),
                )
                .values(state="pending", attempts=0, retry_at=None)
            )
        self.wake()
        return result.rowcount or 0
