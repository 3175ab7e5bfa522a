"""Delivery reports of the SMS we send: did the customer's phone get it.

The SMS gateway answers a send with its id for the message (``HttpSmsGateway.send``), which
the dispatcher keeps on the outbox row (``Notification.gateway_id``); the message is then
已提交 (the gateway has it). Later the gateway POSTs a delivery report to the console
(``agent_ui.sms_status``, signed like the inbound SMS): ``delivered``, ``failed`` with its
reason code, or ``expired`` (not delivered within the message's validity). ``take_report``
records it:

* every report is kept in ``sms_reports``, one per message id and outcome (a retried report
  is not stored twice);
* the first outcome is final: a message delivered, failed or expired stays so, whatever
  report comes after (a repeat, or one out of order), so a late 'failed' never hides that the
  phone got it, nor the other way round;
* failed and expired put the row in ``failed`` (the order page says so and offers 重发); an
  SMS to the customer about an order tells the order's handlers on their screen (提醒
  ``sms_failed``), since the customer (or contractor) was not told what the order says they
  were;
* a report naming an id no SMS has (yet) is held (``notification_id`` None) and answered as
  unknown; the gateway can report before the dispatcher has written the id down, so
  ``apply_held`` applies it when a sent SMS gets that id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.bus import Bus
from ticketing.events import publish_pending
from ticketing.models import Assignment, Notification, User, WorkOrder, utcnow
from ticketing.models.knowledge import SmsReport

log = logging.getLogger(__name__)

#: what a report may say; each is final for its message
OUTCOMES = ("delivered", "failed", "expired")
#: a report body's bytes, and its fields' characters (the columns')
REPORT_BODY_BYTES = 16 * 1024
REASON_CHARS = 100
ID_CHARS = 128
#: the kind of the 提醒 an order's handlers get when the customer's SMS did not arrive
FAILED_KIND = "sms_failed"
#: a failed row's ``error`` starts so: the failure came from the report, not from the send
REPORT_ERROR = "delivery report: "

#: A failed or expired report's reason code, as SMS gateways pass on the operator's status
#: report (CMPP's ``Stat`` / SMPP's ``stat:`` word, or an SMPP command status) → what it means
#: for the agent, ``reason_kind``. The words are the texts' ``delivery.sms.reason.<kind>``; the
#: code itself stays on hover. Operators' own codes beyond these (``MA:0001`` …) vary by
#: province and gateway: ``other`` says 未知原因 with the code.
REASON_KINDS: tuple[tuple[str, str], ...] = (
    # the handset cannot get it: number out of service, cancelled, never existed, or off too long
    (r"^UNDELIV$|^UNDELIVERABLE$|^0x0+0?B$", "unreachable"),
    # the message's validity ran out before the phone was reachable (off, out of coverage)
    (r"^EXPIRED$|^EXPIRE$", "expired"),
    # the operator's or the customer's blocking: blacklisted, unsubscribed (退订), spam filter
    (r"BLACK|BLKLIST|黑名单|退订|^TD$|^UNSUB|^DB:0141$|^MB:1077$", "blocked"),
    (r"^REJECTD$|^REJECTED$|^DELETED$|^0x0+45$", "rejected"),
    # the gateway or operator network itself failed (CMPP's MK:/MI:/MN: gateway errors, SMPP 0x08)
    (r"^M[KIN]:\w+$|^0x0+0?8$|^SYSERR", "carrier"),
    (r"^SMPP?:?THROTTL|^0x0+58$", "later"),
    # said delivered as a failure's reason: the report contradicts itself; the agent should check
    (r"^DELIVRD$|^DELIVERED$", "delivered"),
    (r"^UNKNOWN$|^UNKNOW$|^ACCEPTD$", "unknown"),
)


def reason_kind(code: str) -> str:
    """What a delivery report's reason ``code`` means (``REASON_KINDS``): "" without a code,
    ``other`` for one not known here."""
    code = (code or "").strip()
    if not code:
        return ""
    for pattern, kind in REASON_KINDS:
        if re.search(pattern, code, re.IGNORECASE):
            return kind
    return "other"


#: the 提醒's words in Chinese, kept on its row (the record, and what a client without the
#: texts shows); the console says it in the reader's language from ``about`` (texts
#: ``sms_alert.*`` and ``delivery.sms.reason.*``, these same words in zh-CN)
REASON_WORDS = {
    "unreachable": "无法送达，号码停机、空号或关机过久",
    "expired": "超过有效期未送达，对方长时间关机或不在服务区",
    "blocked": "对方已退订或号码在黑名单中",
    "rejected": "被运营商或对方拒收，可能被识别为垃圾短信",
    "carrier": "运营商网关错误",
    "later": "运营商限流，发送过频",
    "delivered": "网关回执自相矛盾（称已送达），请向对方确认",
    "unknown": "送达状态未知",
    "other": "未知原因（{code}）",
    "": "网关未说明原因",
}
ALERT_WORDS = {
    "failed": "发往 {to} 的短信未送达（{reason}），请联系对方或重发。短信内容：{body}",
    "expired": "发往 {to} 的短信已过期未送达（{reason}），请联系对方或重发。短信内容：{body}",
}
#: the SMS's text the 提醒 repeats, at most
ALERT_BODY_CHARS = 60


class BadReport(ValueError):
    """A report body the endpoint cannot take: ``field`` says which part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class DeliveryReport:
    message_id: str
    status: str
    reason: str = ""
    reported_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a report did: ``applied`` (the message's state changed), ``duplicate`` (it said what
    the message's state says already), ``ignored`` (the message had its outcome already, another
    one), ``unknown`` (no SMS has this id: held). ``delivery`` is the message's outcome now."""

    result: str
    notification_id: int | None = None
    delivery: str = ""


def parse_report(body: Any) -> DeliveryReport:
    """``{"message_id", "status", "reason", "reported_at"}``: ``status`` delivered / failed /
    expired, ``reason`` the gateway's code of a failure (optional, ``error_code`` taken for it),
    ``reported_at`` ISO 8601 with its offset or epoch seconds (optional)."""
    from ticketing.inbound import BadSms, _when

    if not isinstance(body, dict):
        raise BadReport("body", "the body must be a JSON object")
    message_id = body.get("message_id", body.get("id"))
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not message_id.strip():
        raise BadReport("message_id", "message_id (the gateway's id of the sent message) is required")
    if len(message_id.strip()) > ID_CHARS:
        raise BadReport("message_id", f"message_id is longer than {ID_CHARS} characters")
    status = body.get("status")
    if not isinstance(status, str) or status.strip().lower() not in OUTCOMES:
        raise BadReport("status", f"status must be one of {', '.join(OUTCOMES)}")
    reason = body.get("reason", body.get("error_code", ""))
    if isinstance(reason, int) and not isinstance(reason, bool):
        reason = str(reason)
    if reason is None:
        reason = ""
    if not isinstance(reason, str) or len(reason.strip()) > REASON_CHARS:
        raise BadReport("reason", f"reason must be the gateway's code, at most {REASON_CHARS} characters")
    try:
        reported_at = _when(body.get("reported_at"))
    except BadSms as bad:
        raise BadReport("reported_at", str(bad).replace("received_at", "reported_at")) from None
    return DeliveryReport(message_id.strip(), status.strip().lower(), reason.strip(), reported_at)


async def take_report(
    sessionmaker: async_sessionmaker[AsyncSession], bus: Bus | None, report: DeliveryReport
) -> Outcome:
    """Keep ``report`` and apply it to the SMS it names, in one transaction; the 提醒 it causes
    are published after the commit."""
    for attempt in (1, 2):
        try:
            async with sessionmaker() as session:
                async with session.begin():
                    await hold_gateway_id(session, report.message_id)
                    note = await session.scalar(
                        select(Notification)
                        .where(Notification.channel == "sms", Notification.gateway_id == report.message_id)
                        .order_by(Notification.id.desc())
                        .limit(1)
                        .with_for_update()
                    )
                    await _keep(session, report, note)
                    outcome = (
                        Outcome("unknown") if note is None else await apply_report(session, note, report)
                    )
                await publish_pending(session, bus)
            if note is None:
                log.warning(
                    "SMS delivery report for unknown message id %r (%s%s): held for a message that gets it",
                    report.message_id,
                    report.status,
                    f": {report.reason}" if report.reason else "",
                )
            return outcome
        except IntegrityError:
            if attempt == 2:  # the same report kept by a retry at this very moment: theirs
                raise
    raise AssertionError("unreachable")


async def hold_gateway_id(session: AsyncSession, gateway_id: str) -> None:
    """Until the transaction ends, this gateway id is this transaction's: a report and the
    dispatcher writing the id down go one after the other. Together they could each miss the
    other (the report finds no SMS with the id, the dispatcher no report held for it) and the
    report would wait forever. SQLite holds its one write lock from the first statement
    (``ticketing.db``); PostgreSQL takes a lock on the id's hash."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sms-report:{gateway_id}"}
        )


async def _keep(session: AsyncSession, report: DeliveryReport, note: Notification | None) -> None:
    """The report in ``sms_reports``, once per message id and outcome."""
    kept = await session.scalar(
        select(SmsReport).where(SmsReport.gateway_id == report.message_id, SmsReport.status == report.status)
    )
    if kept is None:
        session.add(
            SmsReport(
                gateway_id=report.message_id,
                status=report.status,
                reason=report.reason,
                reported_at=report.reported_at,
                notification_id=note.id if note is not None else None,
            )
        )
        await session.flush()
    elif kept.notification_id is None and note is not None:
        kept.notification_id = note.id


async def apply_report(session: AsyncSession, note: Notification, report: DeliveryReport) -> Outcome:
    """The report's outcome on ``note``, unless it has one already (the first is final)."""
    if note.delivery:
        same = note.delivery == report.status
        if not same:
            log.info(
                "SMS %s (notification %s) is %s already: a later %r report is ignored",
                report.message_id,
                note.id,
                note.delivery,
                report.status,
            )
        return Outcome("duplicate" if same else "ignored", note.id, note.delivery)
    note.delivery = report.status
    note.delivery_at = report.reported_at or utcnow()
    if report.status != "delivered":
        note.delivery_reason = report.reason[:REASON_CHARS]
        note.state = "failed"
        said = f"{report.status}: {report.reason}" if report.reason else report.status
        note.error = f"{REPORT_ERROR}{said}"[:500]
        await _tell_handlers(session, note)
    return Outcome("applied", note.id, note.delivery)


async def apply_held(session: AsyncSession, note: Notification) -> None:
    """The reports held for ``note``'s gateway id (come before the dispatcher wrote it down),
    as they came: the first outcome wins, as ever."""
    if not note.gateway_id:
        return
    held = await session.scalars(
        select(SmsReport)
        .where(SmsReport.gateway_id == note.gateway_id, SmsReport.notification_id.is_(None))
        .order_by(SmsReport.id)
    )
    for kept in list(held):
        kept.notification_id = note.id
        await apply_report(
            session, note, DeliveryReport(kept.gateway_id, kept.status, kept.reason, kept.reported_at)
        )


async def _tell_handlers(session: AsyncSession, note: Notification) -> None:
    """An SMS about an order that did not arrive (to the customer, or a contractor's dispatch):
    a 提醒 to whom the order is with now (its pending handlers), the agent who sent it by hand,
    or, with neither (an order closed, a template sent by itself), its creator. Not for an SMS
    to staff (a reminder, a handler's own notice)."""
    from ticketing import sla
    from ticketing.users import can_access

    if note.order_id is None or note.kind:
        return  # not about an order, or a reminder to staff (kind: reminder, overrun …)
    if await session.scalar(select(User.id).where(User.phone == note.recipient).limit(1)) is not None:
        return  # a staff member's phone: a handler's own SMS (audience handler), not the customer's
    order = await session.get(WorkOrder, note.order_id)
    if order is None:
        return
    ids = list(
        await session.scalars(
            select(Assignment.user_id)
            .where(Assignment.order_id == order.id, Assignment.state == "pending")
            .order_by(Assignment.seq, Assignment.id)
        )
    )
    if note.user_id is not None:
        ids.append(note.user_id)
    if not ids and order.created_by_id is not None:
        ids.append(order.created_by_id)
    users = []
    for user_id in dict.fromkeys(ids):
        user = await session.get(User, user_id)
        if user is not None and user.active and await can_access(session, user, order):
            users.append(user)
    if not users:
        log.warning("SMS %s of order %s did not arrive and nobody is there to tell", note.id, order.number)
        return
    message = alert_text(ALERT_WORDS, REASON_WORDS, about(note))
    told = await sla.notify_users(
        session,
        order,
        users,
        kind=FAILED_KIND,
        channels=["screen"],
        urgency="high",
        message=message,
        texts={"screen": (sla.subject(order, "短信未送达"), message)},
    )
    for row in told:
        # the SMS it is about: the console words it in the reader's language (screen_alerts.about_view)
        row.about_id = note.id


def about(note: Any) -> dict[str, Any]:
    """The SMS a ``sms_failed`` 提醒 is about, for its words in the reader's language: to whom,
    failed or expired, the gateway's code and what it means, and the start of its text."""
    return {
        "notification_id": note.id,
        "to": note.recipient,
        "delivery": note.delivery,
        "reason": note.delivery_reason or "",
        "reason_kind": reason_kind(note.delivery_reason or ""),
        "body": (note.body or "")[:ALERT_BODY_CHARS],
    }


def alert_text(alerts: dict[str, str], reasons: dict[str, str], said: dict[str, Any]) -> str:
    """The 提醒's sentence from one language's words (``ALERT_WORDS`` / ``REASON_WORDS`` here,
    the texts' in the console)."""
    reason = reasons.get(said["reason_kind"], reasons["other"]).format(code=said["reason"])
    return alerts.get(said["delivery"], alerts["failed"]).format(
        to=said["to"], reason=reason, body=said["body"]
    )


def delivery_view(note: Any) -> dict[str, Any] | None:
    """An SMS's delivery in the order's timeline: ``state`` submitted (the gateway has it, no
    report yet) | delivered | failed | expired, with ``at`` and the gateway's ``reason``; None
    for a message the gateway gave no id for (nothing will report on it) or not sent yet."""
    delivery = getattr(note, "delivery", "") or ""
    if note.state == "pending":
        return None  # queued again (the outbox's 重试): the last attempt's report is history
    if not delivery and not (getattr(note, "gateway_id", None) and note.state == "sent"):
        return None
    at = getattr(note, "delivery_at", None)
    reason = getattr(note, "delivery_reason", "") or ""
    return {
        "state": delivery or "submitted",
        "at": at.isoformat() if at is not None else None,
        "reason": reason,
        # what the code means (texts delivery.sms.reason.<kind>): the page's words, the code on hover
        "reason_kind": reason_kind(reason) if delivery in ("failed", "expired") else "",
    }
