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
from ticketing.notify import enqueue
from ticketing.workflow.conditions import parse_duration

if TYPE_CHECKING:
    from ticketing.workflow.definition import Definition, Node, Notify

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
    return {
        "kind": kind,
        "to": [dict(r) for r in notify.to],
        "channels": list(notify.channels),
        "urgency": notify.urgency,
    }


async def node_timers(
    session: AsyncSession, order: WorkOrder, definition: Definition, node: Node, entered: dt.datetime
) -> list[dict[str, Any]]:
    """Set the order's due date for ``node`` and return the timer rows entering it writes
    (without ``order_id``: a new order has none yet)."""
    limit = node_limit(node, order.form)
    if limit is None or node.sla is None:
        return []
    calendar = await calendar_for(session, order, definition, node)
    due = calendar.add_working_time(entered, amount(calendar, limit))
    order.due_at = due
    timers = [
        {
            "node": node.id,
            "kind": "remind",
            "due_at": calendar.add_working_time(entered, amount(calendar, after)),
            "payload": _notify_payload(notify, "reminder"),
        }
        for after, notify in node.sla.reminders
    ]
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


async def notify_users(
    session: AsyncSession,
    order: WorkOrder,
    users: list[User],
    *,
    kind: str,
    channels: tuple[str, ...] | list[str],
    urgency: str,
    message: str,
) -> list[Notification]:
    """Queue a reminder for each user on each channel (screen: a bus event; sms/email: the outbox)."""
    rows = []
    for user in users:
        for channel in channels:
            recipient = {"screen": user.staff_no, "sms": user.phone, "email": user.email}[channel]
            if not recipient:
                continue
            row = Notification(
                channel=channel,
                recipient=recipient,
                user_id=user.id,
                order_id=order.id,
                urgency=urgency,
                subject=f"[{urgency}] {order.number}",
                body=message,
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
        kind = payload.get("kind", "reminder")
        verb = "已超期" if kind == "overrun" else "即将超期"
        due = (
            order.due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
            if order.due_at
            else ""
        )
        message = f"工单 {order.number}（{order.status}）{verb}，时限 {due}"
        await notify_users(
            session,
            order,
            users,
            kind=kind,
            channels=payload.get("channels", ["screen"]),
            urgency=payload.get("urgency", "normal"),
            message=message,
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
