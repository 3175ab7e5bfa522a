"""Where generated campaigns get their contacts.

- queue callbacks: ``ivr.events.CallbackRequested`` from the bus, into the queue's
  callback campaign, ordered by when the call first arrived (the caller keeps
  their place);
- missed calls: ticketing's ``missed_call`` interactions (abandoned inbound calls);
- visit-backs: every closed work order (100 %), while it is within 3 days of closing.

Every source is idempotent: a contact's ``source_key`` is unique per campaign. Every source
adds through ``store.add_contact``, which keeps a number no campaign may call (a service
number such as 95598, ``rules.refusal``, the importer's rule) in that state, never dialed.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import store
from cti.bus import Bus
from cti.phones import InvalidPhoneNumber
from ivr.events import CallbackRequested
from ticketing.models import Campaign, CampaignContact, CustomerPhone, Interaction, WorkOrder

log = logging.getLogger(__name__)

VISIT_BACK_DAYS = 3
MISSED_CALL_HOURS = 24
CALLBACK_NAME = "队列回呼 {queue}"


async def add_callback(session: AsyncSession, event: CallbackRequested) -> CampaignContact | None:
    """A caller chose to be called back: into the running callback campaign of their queue.

    The first callback of a queue opens its campaign, running at once: the caller
    was promised a call. Admins pause it or change its pacing like any other.
    """
    queue = event.queue or "service"
    campaign = await session.scalar(
        select(Campaign)
        .where(Campaign.kind == "callback", Campaign.queue == queue, Campaign.status != "finished")
        .order_by(Campaign.id.desc())
        .limit(1)
    )
    if campaign is None:
        campaign = await store.create_campaign(
            session, name=CALLBACK_NAME.format(queue=queue), queue=queue, kind="callback", mode="progressive"
        )
        await store.set_status(session, campaign, "start")
    arrived = dt.datetime.fromtimestamp(event.entered_at or event.requested_at or event.ts, dt.UTC)
    try:
        return await store.add_contact(
            session,
            campaign,
            event.caller,
            source_key=f"callback:{event.call_id}",
            customer_id=int(event.customer_id) if event.customer_id.isdigit() else None,
            priority_at=arrived,
            data={"queue": queue, "priority": event.priority, "ivr_path": list(event.ivr_path)},
        )
    except InvalidPhoneNumber:
        log.warning("callback from %r: no number to call back (%s)", event.caller, event.call_id)
        return None


class CallbackListener:
    """Consumes ``CallbackRequested`` from the bus (idempotent: a replayed event adds nothing)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def subscribe(self, bus: Bus) -> None:
        bus.subscribe(self.handle, types=[CallbackRequested], group="campaigns-callbacks")

    async def handle(self, event: CallbackRequested) -> None:
        async with self.sessions.begin() as session:
            contact = await add_callback(session, event)
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
    """Every order closed in the last ``VISIT_BACK_DAYS`` days, called in the order they closed."""
    since = now - dt.timedelta(days=VISIT_BACK_DAYS)
    orders = await session.scalars(
        select(WorkOrder)
        .where(WorkOrder.closed_at.is_not(None), WorkOrder.closed_at >= since)
        .order_by(WorkOrder.closed_at)
    )
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
                priority_at=order.closed_at,
                # within 3 days of closing: after that the contact is no longer a visit-back
                expires_at=order.closed_at + dt.timedelta(days=VISIT_BACK_DAYS),
                data={"order": order.number, "category": order.category},
            )
        except InvalidPhoneNumber:
            continue
        added += contact is not None
    return added


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
