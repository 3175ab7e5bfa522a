"""What customers send reaches the inbox: inbound SMS from the SMS gateway, e-mail by SMTP.

* SMS: the gateway POSTs each received message to the console (``agent_ui.sms_inbound``),
  signed with the shared ``sms_inbound_secret`` (``sms_signature``). The web process checks
  it (``parse_sms``), stores it as an unassigned ``sms`` event (``store_sms``: the intake's
  ``receive``, idempotent on the gateway's message id, the sender matched to a customer by
  number) and publishes ``AsyncEventStored``; the worker's intake, which knows who is signed
  in, assigns it (``InboundAssigner``). Once stored nothing is lost: an event nobody was
  given waits on 未分派 for the next agent who signs in (``Intake.top_up``).
* E-mail: the MTA hands the hotline's mail (``mail_recipients``) to ``MailListener``, an
  SMTP server (aiosmtpd) the worker role runs on ``mail_listen_host:mail_listen_port``. It
  refuses other recipients (550) and messages over ``mail_max_bytes`` (552), stores each
  message through ``intake.receive_email`` (attachments as files), and answers 451 when
  that fails so the MTA keeps the message and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.bus import Bus, Subscription
from cti.events import Event
from ticketing.events import AsyncEventStored, publish_pending, queue_event
from ticketing.intake import MAIL_ATTACHMENT_BYTES, Intake, receive_email
from ticketing.models import Interaction

log = logging.getLogger(__name__)

#: the header the SMS gateway signs a body with: ``sha256=<hex HMAC-SHA256(secret, body)>``
SIGNATURE_HEADER = "X-Hotline-Signature"
#: an inbound SMS body's bytes, and its fields' characters
SMS_BODY_BYTES = 64 * 1024
SMS_TEXT_CHARS = 2000
SMS_ID_CHARS = 128
SMS_NUMBER_CHARS = 32


class BadSms(ValueError):
    """An inbound SMS body the endpoint cannot take: ``field`` says which part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class InboundSms:
    message_id: str
    sender: str
    to: str
    text: str
    received_at: dt.datetime | None = None


def sms_signature(secret: str, body: bytes) -> str:
    """What the gateway sends in ``SIGNATURE_HEADER`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, presented: str) -> bool:
    """Whether ``presented`` signs ``body`` with ``secret`` (constant time); never without a secret."""
    if not secret or not presented:
        return False
    return hmac.compare_digest(sms_signature(secret, body).encode(), presented.strip().encode())


def parse_sms(body: Any) -> InboundSms:
    """The gateway's JSON: ``{"message_id", "from", "to", "text", "received_at"}`` (``id`` is
    taken for ``message_id``; ``received_at`` ISO 8601 or epoch seconds, optional)."""
    if not isinstance(body, dict):
        raise BadSms("body", "the body must be a JSON object")
    message_id = body.get("message_id", body.get("id"))
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not message_id.strip():
        raise BadSms("message_id", "message_id (the gateway's id of the message) is required")
    if len(message_id.strip()) > SMS_ID_CHARS:
        raise BadSms("message_id", f"message_id is longer than {SMS_ID_CHARS} characters")
    sender = body.get("from")
    if not isinstance(sender, str) or not sender.strip():
        raise BadSms("from", "from (the sender's number) is required")
    if len(sender.strip()) > SMS_NUMBER_CHARS:
        raise BadSms("from", f"from is longer than {SMS_NUMBER_CHARS} characters")
    to = body.get("to", "")
    if not isinstance(to, str) or len(to.strip()) > SMS_NUMBER_CHARS:
        raise BadSms("to", f"to must be a number of at most {SMS_NUMBER_CHARS} characters")
    text = body.get("text")
    if not isinstance(text, str):
        raise BadSms("text", "text (the message) is required, a string")
    if len(text) > SMS_TEXT_CHARS:
        raise BadSms("text", f"text is longer than {SMS_TEXT_CHARS} characters")
    return InboundSms(
        message_id=message_id.strip(),
        sender=sender.strip(),
        to=to.strip(),
        text=text,
        received_at=_when(body.get("received_at")),
    )


def _when(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise BadSms("received_at", "received_at is not a time") from None
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadSms("received_at", "received_at must be ISO 8601 (2026-11-28T10:00:00+08:00)") from None
        if when.tzinfo is None:
            raise BadSms("received_at", "received_at needs its UTC offset (+08:00, Z)")
        return when.astimezone(dt.UTC)
    raise BadSms("received_at", "received_at must be ISO 8601 or epoch seconds")


async def store_sms(
    sessionmaker: async_sessionmaker[AsyncSession], bus: Bus | None, sms: InboundSms
) -> tuple[Interaction, bool]:
    """The message as an ``sms`` event, unassigned (this process does not know who is signed
    in); ``AsyncEventStored`` tells the worker to assign it. Returns (the event, whether it is
    new): a retried delivery of one message id finds the first."""
    for attempt in (1, 2):
        try:
            async with sessionmaker() as session:
                async with session.begin():
                    existing = await session.scalar(
                        select(Interaction).where(
                            Interaction.kind == "sms", Interaction.external_id == sms.message_id
                        )
                    )
                    if existing is not None:
                        return existing, False
                    # an intake with nobody signed in: the event is stored waiting (status new)
                    row = await Intake().receive(
                        session,
                        "sms",
                        sms.message_id,
                        sender=sms.sender,
                        content=sms.text,
                        occurred_at=sms.received_at,
                        payload={"to": sms.to},
                    )
                    await session.flush()
                    queue_event(session, AsyncEventStored(interaction_id=row.id, kind="sms"))
                await publish_pending(session, bus)
                return row, True
        except IntegrityError:
            if attempt == 2:  # the same message stored by a retry at this very moment: theirs
                raise
    raise AssertionError("unreachable")


class InboundAssigner:
    """The worker's side of ``AsyncEventStored``: the intake assigns the stored event as it
    does any other (round robin among the signed-in agents with its skill), once."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], intake: Intake, bus: Bus) -> None:
        self.sessionmaker, self.intake, self.bus = sessionmaker, intake, bus
        self._subscription: Subscription | None = None

    def subscribe(self, bus: Bus) -> Subscription:
        self._subscription = bus.subscribe(self.handle, types=[AsyncEventStored], group="inbound")
        return self._subscription

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    async def handle(self, event: Event) -> None:
        if not isinstance(event, AsyncEventStored):
            return
        async with self.sessionmaker() as session:
            async with session.begin():
                row = await session.get(Interaction, event.interaction_id, with_for_update=True)
                if row is None or row.status != "new" or row.assigned_to_id is not None:
                    return  # given out already (a sign-in's top-up, or this event seen twice)
                await self.intake.assign(session, row)
            await publish_pending(session, self.bus)


class MailHandler:
    """aiosmtpd handler: the hotline's addresses only; each message into ``receive_email``."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        intake: Intake,
        bus: Bus | None,
        recipients: Iterable[str],
        files_dir: Path,
        attachment_max_bytes: int = MAIL_ATTACHMENT_BYTES,
    ) -> None:
        self.sessionmaker, self.intake, self.bus = sessionmaker, intake, bus
        self.recipients = frozenset(r.strip().lower() for r in recipients if r.strip())
        self.files_dir = files_dir
        self.attachment_max_bytes = attachment_max_bytes

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.strip().lower() not in self.recipients:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            async with self.sessionmaker() as db:
                async with db.begin():
                    row = await receive_email(
                        self.intake,
                        db,
                        raw,
                        files_dir=self.files_dir,
                        attachment_max_bytes=self.attachment_max_bytes,
                    )
                    event_id = row.id
                await publish_pending(db, self.bus)
        except Exception:
            # the MTA keeps the message and tries again later: nothing is lost
            log.exception("inbound mail from %s not taken in", envelope.mail_from)
            return "451 4.3.0 not taken in now, try again later"
        log.info("inbound mail from %s: event #%s", envelope.mail_from, event_id)
        return "250 2.0.0 OK"


class MailListener:
    """The SMTP server the MTA's transport for the hotline's address points to (worker role)."""

    def __init__(
        self,
        handler: MailHandler,
        host: str,
        port: int,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        hostname: str | None = None,
    ) -> None:
        self.handler, self.host, self.port = handler, host, port
        self.max_bytes = max_bytes
        self.hostname = hostname
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(
                self.handler,
                data_size_limit=self.max_bytes,
                hostname=self.hostname,
                ident="Hotline inbound mail",
            ),
            self.host,
            self.port,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("inbound mail (SMTP) on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):  # an MTA's connection still open: not waited for
                async with asyncio.timeout(5):
                    await self._server.wait_closed()
            self._server = None
