"""Where generated campaigns get their contacts.

- queue callbacks: ``ivr.events.CallbackRequested`` from the bus, into the queue's
  callback campaign for the hours of the line the caller rang, ordered by when the call
  first arrived (the caller keeps their place);
- missed calls: ticketing's ``missed_call`` interactions (abandoned inbound calls);
- visit-backs: every work order due a visit-back (100 %: its category has visit-back
  dimensions, so not a one-step consult nor a complaint) and with none recorded (no survey,
  its workflow's 满意度回访 step not done): closed, or waiting at that step, within 3 days.

Every source is idempotent: a contact's ``source_key`` is unique per campaign. Every source
adds through ``store.add_contact``, which keeps a number no campaign may call (a service
number such as 95598, ``rules.refusal``, the importer's rule) in that state, never dialed.
The do-not-call list holds back missed calls and visit-backs (calls the customer did not ask
for), never a queue callback: the caller has just asked to be called
(``store.requested_by_caller``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import store
from campaigns.events import CallbackQueued
from cti.bus import Bus
from cti.phones import InvalidPhoneNumber
from cti.routing import RoutingConfig
from ivr.events import CallbackRequested
from ticketing.models import (
    Assignment,
    Campaign,
    CampaignContact,
    CustomerPhone,
    Interaction,
    SurveyResult,
    WorkOrder,
)
from ticketing.surveys import VISIT_NODE, order_dimensions
from ticketing.workflow.steps import VOIDED_STATUS

log = logging.getLogger(__name__)

VISIT_BACK_DAYS = 3
MISSED_CALL_HOURS = 24
CALLBACK_NAME = "队列回呼 {queue}（{hours}）"


#: when a queue's callbacks may be called: (every day, windows), from the queue and the line rung
CallbackHours = Callable[[str, str], tuple[bool, list[str]]]

#: a queue's display name (service → 综合服务): the console's words, which the composition root
#: gives (campaigns does not import agent_ui); the queue's code without one
QueueNames = Callable[[str], str]


def staffed_hours(routing: RoutingConfig) -> CallbackHours:
    """Callbacks follow the hours the line the caller rang is staffed (``RoutingConfig.staffed_hours``):
    a 24×7 line (95598) round the clock, every day; an office-hours line in its working-day hours."""

    def hours(queue: str, dnis: str) -> tuple[bool, list[str]]:
        staffed = routing.staffed_hours(queue, dnis)
        if staffed.always:
            return True, []
        return False, [str(w) for w in staffed.workdays]

    return hours


def callback_name(
    queue: str, every_day: bool, windows: list[str], queue_names: QueueNames | None = None
) -> str:
    """The name of a queue's callback campaign for lines staffed in these hours, the queue by its
    display name (队列回呼 综合服务（全天）): its key too (names are not editable), so an admin's
    change of its windows does not split it."""
    if every_day and not windows:
        hours = "全天"
    else:
        hours = " ".join(["每天" if every_day else "工作日", *windows])
    return CALLBACK_NAME.format(queue=queue_names(queue) if queue_names else queue, hours=hours)


async def add_callback(
    session: AsyncSession,
    event: CallbackRequested,
    hours: CallbackHours | None = None,
    queue_names: QueueNames | None = None,
) -> CampaignContact | None:
    """A caller chose to be called back: into the running callback campaign of their queue
    for the hours the line they rang is staffed (``hours``; without: the working days' windows
    of any campaign).

    One campaign per queue and line hours, so a request is dialled in its own line's hours,
    whichever line asked first (a 95598 caller round the clock, a 400 caller in office hours);
    the first such request opens it, running at once: the caller was promised a call
    (尽快给您回电). Admins pause it or change its settings like any other.
    """
    queue = event.queue or "service"
    every_day, windows = hours(queue, event.dnis) if hours is not None else (False, [])
    name = callback_name(queue, every_day, windows, queue_names)
    # one named by the queue's code before the display name (队列回呼 service（全天）) is the same
    # campaign: renamed, not split from its callers still waiting
    coded = callback_name(queue, every_day, windows)
    campaign = await session.scalar(
        select(Campaign)
        .where(
            Campaign.kind == "callback",
            Campaign.queue == queue,
            Campaign.name.in_({name, coded}),
            Campaign.status != "finished",
        )
        .order_by(Campaign.id.desc())
        .limit(1)
    )
    if campaign is not None and campaign.name != name:
        campaign.name = name
    if campaign is None:
        campaign = await store.create_campaign(
            session,
            name=name,
            queue=queue,
            kind="callback",
            mode="progressive",
            windows=windows,
            every_day=every_day,
        )
        await store.set_status(session, campaign, "start")
    arrived = dt.datetime.fromtimestamp(event.entered_at or event.requested_at or event.ts, dt.UTC)
    try:
        return await store.add_contact(
            session,
            campaign,
            event.caller,
            # a callback the caller asked for: the do-not-call list does not hold it back
            source_key=f"{store.REQUESTED_CALLBACK}{event.call_id}",
            customer_id=int(event.customer_id) if event.customer_id.isdigit() else None,
            priority_at=arrived,
            data={"queue": queue, "priority": event.priority, "ivr_path": list(event.ivr_path)},
        )
    except InvalidPhoneNumber:
        log.warning("callback from %r: no number to call back (%s)", event.caller, event.call_id)
        return None


class CallbackListener:
    """Consumes ``CallbackRequested`` from the bus (idempotent: a replayed event adds nothing)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hours: CallbackHours | None = None,
        queue_names: QueueNames | None = None,
    ) -> None:
        self.sessions = sessions
        self.hours = hours
        self.queue_names = queue_names
        self.bus: Bus | None = None  # where a stored request is told (``CallbackQueued``)

    def subscribe(self, bus: Bus) -> None:
        self.bus = bus
        bus.subscribe(self.handle, types=[CallbackRequested], group="campaigns-callbacks")

    async def handle(self, event: CallbackRequested) -> None:
        async with self.sessions.begin() as session:
            contact = await add_callback(session, event, self.hours, self.queue_names)
            queue = (await session.get(Campaign, contact.campaign_id)).queue if contact else ""
        if contact is not None and self.bus is not None:
            # committed: the wallboards' 待回拨 count it now (a replayed request adds nothing new)
            await self.bus.publish(
                CallbackQueued(
                    queue=queue, campaign_id=contact.campaign_id, contact_id=contact.id, state=contact.state
                )
            )
        if contact is not None and contact.state != "pending":
            log.info("callback from %s not queued: %s", contact.number, contact.state)
        elif contact is not None:
            log.info("callback queued for %s (campaign %s)", contact.number, contact.campaign_id)


async def add_missed_calls(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> int:
    """Abandoned inbound calls of the last day; one pending contact per number."""
    since = now - dt.timedelta(hours=MISSED_CALL_HOURS)
    rows = await session.scalars(
        select(Interaction)
        .where(Interaction.kind == "missed_call", Interaction.occurred_at >= since)
        .order_by(Interaction.occurred_at)
    )
    waiting = set(
        await session.scalars(
            select(CampaignContact.number).where(
                CampaignContact.campaign_id == campaign.id, CampaignContact.state.in_(("pending", "dialing"))
            )
        )
    )
    added = 0
    for row in rows:
        try:
            contact = await _add(
                session,
                campaign,
                row.number,
                f"missed:{row.external_id}",
                waiting,
                customer_id=row.customer_id,
                priority_at=row.occurred_at,
            )
        except InvalidPhoneNumber:
            continue
        added += contact is not None
    return added


async def add_visit_backs(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> int:
    """The orders due a visit-back in the last ``VISIT_BACK_DAYS`` days, called in the order
    they became due: closed, or waiting at their 满意度回访 step (the fault flow's 全部处理完毕),
    of a category with visit-back dimensions, with no survey recorded and that step not done.
    A customer already visited back is never called again about the same order."""
    since = now - dt.timedelta(days=VISIT_BACK_DAYS)
    surveyed = exists().where(SurveyResult.order_id == WorkOrder.id)
    visited = exists().where(
        Assignment.order_id == WorkOrder.id, Assignment.node == VISIT_NODE, Assignment.state == "done"
    )
    # a voided order (作废: invalid or a duplicate) is closed without anything done: no visit-back
    closed = (
        WorkOrder.closed_at.is_not(None)
        & (WorkOrder.closed_at >= since)
        & (WorkOrder.status != VOIDED_STATUS)
    )
    waiting = (
        WorkOrder.is_open.is_(True)
        & (WorkOrder.current_node == VISIT_NODE)
        & (WorkOrder.node_entered_at >= since)
    )
    candidates = await session.scalars(
        select(WorkOrder).where(or_(closed, waiting), ~surveyed, ~visited).order_by(WorkOrder.id)
    )
    has_dimensions: dict[tuple[int | None, str, int], bool] = {}
    orders = []
    for order in candidates:
        # a 协调单 without dimensions of its own is visited back with its workflow's (fault)
        key = (order.site_id, order.category, order.workflow_id)
        if key not in has_dimensions:
            has_dimensions[key] = bool(await order_dimensions(session, order))
        if has_dimensions[key]:
            orders.append(order)
    orders.sort(key=_due_since)
    added = 0
    for order in orders:
        number = order.caller_number or await _customer_number(session, order.customer_id)
        if not number:
            continue
        try:
            contact = await _add(
                session,
                campaign,
                number,
                f"order:{order.number}",
                None,
                customer_id=order.customer_id,
                order_id=order.id,
                priority_at=_due_since(order),
                # within 3 days of becoming due: after that the contact is no longer a visit-back
                expires_at=_due_since(order) + dt.timedelta(days=VISIT_BACK_DAYS),
                data={"order": order.number, "category": order.category},
            )
        except InvalidPhoneNumber:
            continue
        added += contact is not None
    return added


def _due_since(order: WorkOrder) -> dt.datetime:
    """When the order became due a visit-back: closed, or entered its 满意度回访 step."""
    return order.closed_at or order.node_entered_at


async def refresh(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> int:
    """Pull new contacts into a generated campaign (the dialer calls this every few seconds)."""
    if campaign.kind == "missed_call":
        return await add_missed_calls(session, campaign, now)
    if campaign.kind == "visit_back":
        return await add_visit_backs(session, campaign, now)
    return 0


async def _add(session, campaign, number, key, waiting, **fields) -> CampaignContact | None:
    if waiting is not None:
        from campaigns.rules import dial_number

        normalised = dial_number(number)
        if normalised in waiting:
            return None
        waiting.add(normalised)
    return await store.add_contact(session, campaign, number, source_key=key, **fields)


async def _customer_number(session: AsyncSession, customer_id: int | None) -> str:
    if customer_id is None:
        return ""
    return (
        await session.scalar(
            select(CustomerPhone.number).where(CustomerPhone.customer_id == customer_id).limit(1)
        )
        or ""
    )
