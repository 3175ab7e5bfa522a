"""Time limits in working time, as persisted timers, and the worker that fires them.

Entering a node with an ``sla`` writes ``timers`` rows (reminders, the overrun
and an optional automatic action) with their due instants computed on the
site's working-time calendar. ``SlaWorker.run_due(now)`` fires what is due; it
is the only thing that reads the table, so timers survive restarts and a
second worker on PostgreSQL skips rows the first one holds (SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.bus import Bus
from cti.calendar import WorkCalendar
from ticketing import directory, screen_alerts
from ticketing.events import TicketReminder, publish_pending, queue_event
from ticketing.models import Notification, Timer, User, WorkOrder, utcnow
from ticketing.notify import enqueue, one_line
from ticketing.workflow.conditions import parse_duration
from ticketing.workflow.insert import put

if TYPE_CHECKING:
    from ticketing.workflow.definition import Definition, Node, Notify, Reminder

log = logging.getLogger(__name__)


@cache
def _china() -> WorkCalendar:
    return WorkCalendar.china()


@cache
def _always() -> WorkCalendar:
    return WorkCalendar.always_open()


async def calendar_for(
    session: AsyncSession, order: WorkOrder, definition: Definition, node: Node | None = None
) -> WorkCalendar:
    """24x7 steps run round the clock; others use the site's business hours (or the Chinese default)."""
    name = (node.sla.calendar if node is not None and node.sla is not None else "") or definition.calendar
    if name == "24x7":
        return _always()
    if order.site_id is not None:
        site = (await directory.load(session)).sites.get(order.site_id)
        if site is not None and site.calendar:
            return _site_calendar(site.timezone, json.dumps(site.calendar, sort_keys=True))
    return _china()


@functools.lru_cache(maxsize=256)
def _site_calendar(timezone: str, calendar_json: str) -> WorkCalendar:
    return WorkCalendar.from_dict(
        {"include_holidays": "cn", "timezone": timezone, **json.loads(calendar_json)}
    )


def day_length(calendar: str) -> dt.timedelta:
    """A working day's length on a workflow's calendar by name, for comparing durations when no
    site is known yet (an import): 24 h round the clock, else the default business day."""
    return (_always() if calendar == "24x7" else _china()).working_days(1)


def amount(calendar: WorkCalendar, text: Any) -> dt.timedelta:
    days, rest = parse_duration(text)
    return calendar.working_days(days) + rest


def node_limit(node: Node, form: Mapping[str, Any]) -> str | None:
    if node.sla is None:
        return None
    if node.sla.limit_by:
        value = form.get(node.sla.limit_by.get("field"))
        chosen = (node.sla.limit_by.get("values") or {}).get(value)
        if chosen:
            return str(chosen)
    return node.sla.limit or None


def _notify_payload(notify: Notify, kind: str) -> dict[str, Any]:
    payload = {
        "kind": kind,
        "to": [dict(r) for r in notify.to],
        "channels": list(notify.channels),
        "urgency": notify.urgency,
    }
    if notify.templates:
        # {sms: {category, node}} (or a stored version's {sms: 12}): the channel's text is that
        # message template's, found when the reminder fires
        payload["templates"] = {c: t if isinstance(t, int) else dict(t) for c, t in notify.templates.items()}
    return payload


def reminder_offset(calendar: WorkCalendar, limit: dt.timedelta, reminder: Reminder) -> dt.timedelta | None:
    """Working time from entering the step to ``reminder``, or None where it would fall at or
    after the deadline (a ``limit_by`` value it does not fit, a version stored before
    ``reminder_after_limit``): the overrun alert speaks then, not a reminder."""
    offset = amount(calendar, reminder.offset)
    if offset >= limit:
        return None
    return limit - offset if reminder.before else offset


def _reminder_payload(reminder: Reminder, at: dt.timedelta, limit: dt.timedelta) -> dict[str, Any]:
    """``soon``: the reminder says 即将超期, being in the deadline's half (every ``before:`` one,
    and an ``after: 45m`` of 1 h); else it is a 时限提醒 naming the deadline (``after: 30m`` of
    7 days)."""
    return {**_notify_payload(reminder.notify, "reminder"), "soon": reminder.before or at * 2 >= limit}


async def node_timers(
    session: AsyncSession, order: WorkOrder, definition: Definition, node: Node, entered: dt.datetime
) -> list[dict[str, Any]]:
    """Set the order's due date for ``node`` and return the timer rows entering it writes
    (without ``order_id``: a new order has none yet)."""
    limit = node_limit(node, order.form)
    if limit is None or node.sla is None:
        return []
    calendar = await calendar_for(session, order, definition, node)
    working = amount(calendar, limit)
    due = calendar.add_working_time(entered, working)
    put(order, due_at=due)
    timers = []
    for reminder in node.sla.reminders:
        at = reminder_offset(calendar, working, reminder)
        if at is not None:
            timers.append(
                {
                    "node": node.id,
                    "kind": "remind",
                    "due_at": calendar.add_working_time(entered, at),
                    "payload": _reminder_payload(reminder, at, working),
                }
            )
    if node.sla.overrun is not None:
        timers.append(
            {
                "node": node.id,
                "kind": "remind",
                "due_at": due,
                "payload": _notify_payload(node.sla.overrun, "overrun"),
            }
        )
    if node.sla.action:
        timers.append({"node": node.id, "kind": "action", "due_at": due, "payload": dict(node.sla.action)})
    return timers


async def cancel_timers(session: AsyncSession, order_id: int) -> None:
    await session.execute(
        update(Timer).where(Timer.order_id == order_id, Timer.state == "pending").values(state="cancelled")
    )


#: a notice's subject is cut to its column (read once: the column's type through the ORM
#: attribute is a chain of look-ups, on every new order's 提醒 subject)
SUBJECT_LENGTH: int = Notification.__table__.c.subject.type.length

#: the subject of a notice to staff, by its kind: 【即将超期】GZ20261127000001 天河路1号停电
SUBJECTS = {
    "reminder": "即将超期",
    "deadline": "时限提醒",
    "overrun": "已超期",
    "forwarded": "转派",
    "reassigned": "改派",
    "cc": "抄送",
    "supervise": "督办",
    "voided": "已作废",
    "stranded": "待改派",
    "converted": "转协调单",
    "extension_request": "延期申请",
    "extension_approved": "延期已批准",
    "extension_refused": "延期未批准",
    # an order reaching someone's desk (``screen_alerts``): its next step, or sent back by 退单
    "routed": "新工单",
    "returned": "退单",
}


def subject(order: WorkOrder, label: str) -> str:
    """``【label】number title`` on one line, within the column."""
    return headline(label, order.number, order.title)


def headline(label: str, number: str, title: str | None) -> str:
    """``subject`` from the order's number and title (a new order's, whose number is taken as
    its rows go in: ``screen_alerts.new_order_subject``), cut to the column (a 200-character
    title with its label and number is longer: PostgreSQL would refuse the row)."""
    title = one_line(title or "")
    return f"【{label}】{number}{' ' + title if title else ''}"[:SUBJECT_LENGTH]


async def notify_users(
    session: AsyncSession,
    order: WorkOrder,
    users: list[User],
    *,
    kind: str,
    channels: tuple[str, ...] | list[str],
    urgency: str,
    message: str,
    texts: Mapping[str, tuple[str, str]] | None = None,
) -> list[Notification]:
    """Queue a reminder for each user on each channel (screen: a bus event; sms/email: the
    outbox). The subject says what it is (the kind's ``SUBJECTS`` word), the order's number and
    title; ``urgency`` is a column of its own. ``texts``: a channel's own subject and text (a
    reminder's message template, ``template_texts``) in place of these; an empty subject keeps
    the heading."""
    rows = []
    heading = subject(order, SUBJECTS.get(kind, "工单提醒"))
    for user in users:
        for channel in channels:
            recipient = {"screen": user.staff_no, "sms": user.phone, "email": user.email}[channel]
            if not recipient:
                continue
            own_subject, own_body = (texts or {}).get(channel, ("", ""))
            row = Notification(
                channel=channel,
                recipient=recipient,
                user_id=user.id,
                order_id=order.id,
                urgency=urgency,
                subject=own_subject[:SUBJECT_LENGTH] or heading,
                body=own_body or message,
                state="sent" if channel == "screen" else "pending",
                sent_at=utcnow() if channel == "screen" else None,
                kind=kind[:24],  # a screen row stays unread in the user's 提醒 until they read it
            )
            enqueue(session, row)  # a screen row is sent already: only sms and email wake the dispatcher
            rows.append(row)
            if channel == "screen":
                queue_event(
                    session,
                    TicketReminder(
                        order_id=order.id,
                        number=order.number,
                        staff_no=user.staff_no,
                        kind=kind,
                        urgency=urgency,
                        message=message,
                        due_at=order.due_at.isoformat() if order.due_at else "",
                    ),
                )
    return rows


async def template_texts(
    session: AsyncSession,
    order: WorkOrder,
    templates: Mapping[str, Any],
    channels: list[str] | tuple[str, ...],
) -> dict[str, tuple[str, str]]:
    """Subject and text, per channel, of the message templates a reminder picked (``templates:
    {sms: {category: complaint, node: handle}}``, the handler's SMS template there when it fires;
    a timer of a version stored before, ``{sms: 12}``, by id), filled for ``order`` as any
    template is (``notify.order_context``). A channel whose template is gone, 停用 since the
    import, of another channel, or cannot be filled keeps the engine's words (``reminder_text``),
    logged: a deadline's reminder is not lost to a template."""
    from ticketing.message_templates import reminder_template
    from ticketing.notify import fill_unattended, order_context

    wanted = {
        channel: picked
        for channel, picked in (templates or {}).items()
        if channel in channels
        and ((isinstance(picked, int) and not isinstance(picked, bool)) or isinstance(picked, Mapping))
    }
    if not wanted:
        return {}
    context = await order_context(session, order)
    out: dict[str, tuple[str, str]] = {}
    for channel, picked in wanted.items():
        template = await reminder_template(session, channel, picked)
        named = (
            f"{picked.get('category')}/{picked.get('node')}" if isinstance(picked, Mapping) else f"#{picked}"
        )
        if template is None or not template.enabled or template.channel != channel:
            why = "gone" if template is None else "disabled" if not template.enabled else "another channel's"
            log.warning(
                "reminder of order %s: %s template %s is %s: sent in the engine's words",
                order.number,
                channel,
                named,
                why,
            )
            continue
        subject_text, body, error = fill_unattended(
            template.subject,
            template.body,
            context,
            order=order,
            what=f"reminder's {channel} template {template.id}",
        )
        if not error:  # fill_unattended logged why it could not
            out[channel] = (subject_text, body)
    return out


def reminder_text(order: WorkOrder, step: str, kind: str, soon: bool, now: dt.datetime) -> tuple[str, str]:
    """(kind, text) of a reminder or overrun alert firing at ``now``, as things are then; the kind
    names it in the subject (``SUBJECTS``), the 提醒 list and the pop-up: ``overrun`` 已超期 once
    the deadline has passed (the overrun alert, or a reminder fired late); ``reminder`` 即将超期
    for a reminder in the deadline's half (``soon``; timers written before ``soon`` was kept were
    all said so); else ``deadline``, a 时限提醒 that names the deadline.

    The words name ``step``, the step whose deadline it is (派工即将超期), not the order's status:
    a workflow's status may be the step before's name (故障报修's 派工 is 接收确认), which would
    tell the handler who confirmed receipt that 接收确认 is late. The status follows, marked as
    such, when it is not the step's name."""
    due = order.due_at
    when = due.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") if due else ""
    status = f"，状态：{order.status}" if order.status and order.status != step else ""
    if kind == "overrun" or (due is not None and _aware(now) >= _aware(due)):
        return "overrun", f"工单 {order.number} {step}已超期（时限 {when}）{status}"
    if soon:
        return "reminder", f"工单 {order.number} {step}即将超期（时限 {when}）{status}"
    return "deadline", f"工单 {order.number} {step}请在时限 {when} 前办理{status}"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class SlaWorker:
    """Fires due timers. ``run()`` polls; tests and the benchmark call ``run_due(now)`` directly.

    It also keeps the 提醒 from growing for ever: once an hour (``purge_seconds``) it deletes
    the screen notices read and older than ``notice_days`` (``purge_notices``)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bus: Bus | None = None,
        *,
        poll_seconds: float = 15.0,
        batch: int = 200,
        after_fire: Callable[[], Any] | None = None,
        notice_days: int = 90,
        purge_seconds: float = 3600.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.after_fire = after_fire
        self.notice_days = notice_days
        self.purge_seconds = purge_seconds

    async def run_due(self, now: dt.datetime | None = None) -> int:
        now = now or utcnow()
        fired = 0
        async with self.sessionmaker() as session:
            query = (
                select(Timer)
                .where(Timer.state == "pending", Timer.due_at <= now)
                .order_by(Timer.due_at, Timer.id)
            ).limit(self.batch)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for timer in list(await session.scalars(query)):
                order = await session.get(WorkOrder, timer.order_id)
                if order is None or not order.is_open or order.current_node != timer.node:
                    timer.state = "cancelled"
                    continue
                timer_id, number = timer.id, order.number
                try:
                    async with session.begin_nested():
                        await self._fire(session, timer, order, now)
                except Exception as exc:
                    # A timer that cannot fire must not block the others behind it, nor be retried forever.
                    log.exception("SLA timer #%d of order %s failed", timer_id, number)
                    timer.state, timer.fired_at = "failed", now
                    timer.payload = {**timer.payload, "error": f"{type(exc).__name__}: {exc}"[:300]}
                    continue
                timer.state, timer.fired_at = "fired", now
                fired += 1
            await session.commit()
            await publish_pending(session, self.bus)
        if fired and self.after_fire is not None:
            result = self.after_fire()
            if asyncio.iscoroutine(result):
                await result
        return fired

    async def _fire(self, session: AsyncSession, timer: Timer, order: WorkOrder, now: dt.datetime) -> None:
        from ticketing.workflow import actions
        from ticketing.workflow.operators import resolve

        if timer.kind == "action":
            await actions.convert(session, order, timer.payload, now=now)
            return
        payload = timer.payload
        users = await resolve(session, [payload.get("to") or [{"current_handlers": True}]], order)
        node = (await actions.definition_of(session, order)).node(timer.node)
        step = node.name or node.id
        kind, message = reminder_text(
            order, step, payload.get("kind", "reminder"), bool(payload.get("soon", True)), now
        )
        channels = payload.get("channels", ["screen"])
        await notify_users(
            session,
            order,
            users,
            kind=kind,
            channels=channels,
            urgency=payload.get("urgency", "normal"),
            message=message,
            texts=await template_texts(session, order, payload.get("templates") or {}, channels),
        )

    async def purge_notices(self, now: dt.datetime | None = None) -> int:
        """Delete the screen notices read and older than ``notice_days``; unread ones stay."""
        before = (now or utcnow()) - dt.timedelta(days=self.notice_days)
        async with self.sessionmaker.begin() as session:
            purged = await screen_alerts.purge_read(session, before)
        if purged:
            log.info("purged %d read screen notices older than %d days", purged, self.notice_days)
        return purged

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        purge_at = loop.time()  # at start, then every purge_seconds
        while True:
            try:
                await self.run_due()
            except Exception:
                # A broken timer must not stop the worker; it is retried on the next poll.
                log.exception("SLA worker pass failed")
            if loop.time() >= purge_at:
                purge_at = loop.time() + self.purge_seconds
                try:
                    await self.purge_notices()
                except Exception:
                    log.exception("purging read screen notices failed")  # tried again next time
            await asyncio.sleep(self.poll_seconds)
