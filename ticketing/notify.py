"""Notifications: jinja2 templates per category × step, and the SMTP and SMS gateways.

Entering a node queues the enabled, auto-send templates of (category, node) in
the ``notifications`` outbox; SLA reminders queue there too. ``Dispatcher``
delivers pending rows through the gateways and records the outcome on each row,
so nothing is lost when a gateway is down (the row stays ``failed`` with the
error, and ``retry_failed`` puts it back).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import smtplib
from email.message import EmailMessage
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp
from jinja2 import ChainableUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from cti.phones import InvalidPhoneNumber, is_mobile, normalize
from ticketing.audit import record
from ticketing.cached import Cache
from ticketing.errors import ActionRefused, TicketingError
from ticketing.models import (
    Contact,
    Customer,
    Notification,
    NotificationTemplate,
    Site,
    User,
    WorkOrder,
    utcnow,
)

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Templates are written by admins: the sandbox keeps them from reaching Python internals.
_env = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)


class TemplateError(TicketingError):
    error_id = "template_invalid"


class GatewayError(TicketingError):
    error_id = "gateway_failed"


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    # Compiling is most of a render's cost; the same few templates are rendered over and over.
    return _env.from_string(source)


def render(source: str, context: dict[str, Any]) -> str:
    try:
        return _compiled(source).render(**context)
    except Exception as exc:
        raise TemplateError(f"template error: {exc}") from exc


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
    return {
        "order": order,
        "form": dict(order.form),
        "customer": customer,
        "site": site,
        "due_at": order.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if order.due_at else "",
    }


async def _customer_address(session: AsyncSession, order: WorkOrder, channel: str) -> str:
    if channel == "sms":
        if order.customer_id:
            ctx_customer = await session.scalar(
                select(Customer)
                .where(Customer.id == order.customer_id)
                .options(selectinload(Customer.phones))
            )
            for phone in ctx_customer.phones if ctx_customer else []:
                if is_mobile(phone.number):
                    return phone.number
        return order.caller_number if is_mobile(order.caller_number) else ""
    if order.customer_id:
        email = await session.scalar(
            select(Contact.email)
            .where(Contact.customer_id == order.customer_id, Contact.email != "")
            .limit(1)
        )
        return email or ""
    return ""


async def send_template(
    session: AsyncSession, order: WorkOrder, template: NotificationTemplate, *, recipient: str = ""
) -> Notification:
    """Queue one template by hand (a template that is not auto-sent, or to another recipient)."""
    if not template.enabled:
        raise TemplateError("the template is disabled", template=template.id)
    recipient = recipient.strip() or await _customer_address(session, order, template.channel)
    if not recipient:
        raise TemplateError("no recipient for this channel", template=template.id)
    context = await order_context(session, order)
    row = Notification(
        channel=template.channel,
        recipient=recipient,
        order_id=order.id,
        subject=render(template.subject, context),
        body=render(template.body, context),
    )
    session.add(row)
    await session.flush()
    return row


@dataclasses.dataclass(frozen=True, slots=True)
class AutoTemplate:
    channel: str
    subject: str
    body: str


async def _load_auto_templates(session: AsyncSession, key: tuple[str, str]) -> tuple[AutoTemplate, ...]:
    category, node_id = key
    rows = await session.execute(
        select(NotificationTemplate.channel, NotificationTemplate.subject, NotificationTemplate.body)
        .where(
            NotificationTemplate.category == category,
            NotificationTemplate.node == node_id,
            NotificationTemplate.enabled.is_(True),
            NotificationTemplate.auto_send.is_(True),
            NotificationTemplate.audience == "customer",  # a contractor's are sent on dispatch
        )
        .order_by(NotificationTemplate.id)
    )
    return tuple(AutoTemplate(*row) for row in rows)


# Every node an order enters asks for its templates, and most nodes have none: cached per
# database, and an edited template is seen at once (ticketing.cached).
_auto_templates = Cache("notify.auto_templates", (NotificationTemplate,), _load_auto_templates)


async def on_enter(session: AsyncSession, order: WorkOrder, node_id: str) -> list[Notification]:
    """Queue the auto-send templates of (category, node) for the order's customer."""
    templates = await _auto_templates.get(session, (order.category, node_id))
    if not templates:
        return []
    context = await order_context(session, order)
    rows = []
    for t in templates:
        recipient = await _customer_address(session, order, t.channel)
        if not recipient:
            continue
        row = Notification(
            channel=t.channel,
            recipient=recipient,
            order_id=order.id,
            subject=render(t.subject, context),
            body=render(t.body, context),
        )
        session.add(row)
        rows.append(row)
    return rows


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SMS_LIMIT = 300  # characters: longer texts are cut rather than split into many messages


def _recipient(channel: str, to: str) -> str:
    """The canonical address for ``channel``, or a refusal naming what is wrong."""
    to = (to or "").strip()
    if not to:
        raise ActionRefused("recipient_required", "no recipient")
    if channel == "sms":
        try:
            number = normalize(to)
        except InvalidPhoneNumber:
            number = ""
        if not is_mobile(number):
            raise ActionRefused("recipient_invalid", f"not a mobile number: {to!r}", channel=channel)
        return number
    if len(to) > 128 or not _EMAIL.match(to):
        raise ActionRefused("recipient_invalid", f"not an email address: {to!r}", channel=channel)
    return to


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
) -> Notification:
    """Queue an ad-hoc SMS or email in the outbox the ``Dispatcher`` delivers from.

    ``about`` names what was sent (e.g. ``("kb_article", 7)``) for the audit row;
    without it the audit row is kept on the notification itself.
    """
    if channel not in ("sms", "email"):
        raise ActionRefused("channel_unsupported", f"messages go out by sms or email, not {channel!r}")
    recipient = _recipient(channel, to)
    subject = (subject or "").strip()[:200]
    body = (body or "").strip()
    if not body and not subject:
        raise ActionRefused("message_empty", "nothing to send")
    if channel == "sms":
        body = (f"{subject}：{body}" if subject and not body.startswith(subject) else body)[:SMS_LIMIT]
    row = Notification(
        channel=channel,
        recipient=recipient,
        user_id=user.id if user is not None else None,
        order_id=order_id,
        subject=subject,
        body=body,
    )
    session.add(row)
    await session.flush()
    entity, entity_id = about if about is not None else ("notification", row.id)
    await record(
        session,
        user,
        "message.send",
        entity,
        entity_id,
        after={"channel": channel, "to": recipient, "notification": row.id, "order_id": order_id},
    )
    return row


# -- gateways -------------------------------------------------------------------------------
class Gateway(Protocol):
    async def send(self, recipient: str, subject: str, body: str) -> None: ...


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
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        # smtplib blocks, so it runs in a worker thread, never on the event loop.
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise GatewayError(f"SMTP to {recipient} failed: {exc}") from exc

    def _send_blocking(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


@dataclasses.dataclass
class HttpSmsGateway:
    """POSTs ``{"to", "text", "sign"}`` as JSON with a bearer token; any 2xx is success."""

    url: str
    token: str = ""
    sign: str = "95598"
    timeout: float = 10.0

    async def send(self, recipient: str, subject: str, body: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.post(
                    self.url, json={"to": recipient, "text": body, "sign": self.sign}, headers=headers
                ) as resp:
                    if resp.status // 100 != 2:
                        raise GatewayError(f"SMS gateway answered {resp.status}: {(await resp.text())[:200]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GatewayError(f"SMS gateway unreachable: {exc}") from exc


class Dispatcher:
    """Delivers pending sms/email rows of the outbox."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        sms: Gateway | None = None,
        email: Gateway | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.gateways = {"sms": sms, "email": email}

    async def deliver_pending(self, limit: int = 100) -> tuple[int, int]:
        """(sent, failed) for this pass."""
        channels = [c for c, g in self.gateways.items() if g is not None]
        async with self.sessionmaker() as session:
            rows = list(
                await session.scalars(
                    select(Notification)
                    .where(Notification.state == "pending", Notification.channel.in_(channels))
                    .order_by(Notification.id)
                    .limit(limit)
                )
            )
            await session.commit()  # don't hold the (SQLite) write lock while talking to gateways
        sent = failed = 0
        for row in rows:
            gateway = self.gateways[row.channel]
            assert gateway is not None
            try:
                await gateway.send(row.recipient, row.subject, row.body)
                values: dict[str, Any] = {"state": "sent", "sent_at": utcnow(), "error": ""}
                sent += 1
            except GatewayError as exc:
                values = {"state": "failed", "error": str(exc)[:500]}
                failed += 1
            async with self.sessionmaker.begin() as session:
                await session.execute(update(Notification).where(Notification.id == row.id).values(**values))
        return sent, failed

    async def run(self, poll_seconds: float = 10.0) -> None:
        """Deliver forever (the worker process); a failing pass is logged and retried."""
        while True:
            try:
                await self.deliver_pending()
            except Exception:
                log.exception("notification dispatch pass failed")
            await asyncio.sleep(poll_seconds)

    async def retry_failed(self) -> int:
        async with self.sessionmaker.begin() as session:
            result = await session.execute(
                update(Notification).where(Notification.state == "failed").values(state="pending")
            )
            return result.rowcount or 0
