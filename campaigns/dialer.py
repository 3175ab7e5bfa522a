"""The dialer: an asyncio worker that works every running campaign.

Each tick, for each running campaign inside its calling window, it pulls new
contacts from the campaign's source and then:

- progressive: one call per ready agent of the campaign's queue, within the
  campaign's pacing (calls in flight, calls per second);
- preview: offers the next due contact to each ready agent who has none; the
  agent presses dial (``preview_dial``) or skip (``preview_skip``). An agent
  who signs out with a contact offered gives it back to the list, and so does
  one who neither dials nor skips it within the campaign's ``offer_minutes`` (a seat signed in
  with no console to show the card: the demo's simulated agents, a closed
  browser); that agent is then offered nothing for a while (``LAPSE_COOLDOWN``,
  doubled for each lapse in a row), so a colleague gets the customer. A dialer that starts
  takes over the offers its predecessor left on the agents' cards when they still hold, and
  withdraws the others (``_start``).

Outcomes arrive from the telephony side (``on_outcome``) and go through the
retry rules. The number is checked against the do-not-call list at dial time,
whatever was true when it was added.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from campaigns import rules, sources, store
from campaigns.events import (
    CampaignCallEnded,
    CampaignContactOffered,
    CampaignOfferWithdrawn,
)
from campaigns.remote import DialerUnavailable
from cti.bus import Bus
from cti.calendar import WorkCalendar
from cti.call_events import AgentStateChanged
from ticketing.db import read_sessionmaker
from ticketing.events import publish_pending
from ticketing.models import Campaign, CampaignContact, utcnow

log = logging.getLogger(__name__)

#: an agent whose own phone did not pick up is left alone this long
AGENT_COOLDOWN = 60.0
#: the agent who let an offer lapse is offered nothing this long, doubled for each lapse in a row
#: (up to ``LAPSE_COOLDOWN_MAX``); dialing or skipping an offer starts the count again
LAPSE_COOLDOWN = 60.0
LAPSE_COOLDOWN_MAX = 3600.0
#: how often generated campaigns look for new contacts (seconds)
REFRESH_EVERY = 30.0
#: a start that failed (its 结果代码, the contacts a stopped run left dialing: the database down,
#: a race on the codes' unique index) is tried again after this long, doubled each time up to the max
START_RETRY = 1.0
START_RETRY_MAX = 60.0
#: why a dialer that starts withdraws an offer its predecessor left out: the campaign paused,
#: finished or out of its hours meanwhile, the hold over, the contact no longer held for the agent
#: (the agent could not act on the card while no dialer ran, so it is not their lapse)
DIALER_RESTARTED = "campaign.dialer_restarted"


class Telephony(Protocol):
    def start(self, on_outcome: Any, on_connected: Any = None) -> None: ...
    async def stop(self) -> None: ...
    def ready_agents(self, queue: str) -> list[str]: ...
    async def place(self, agent_id: str, number: str, ring_seconds: int) -> tuple[bool, str, str]: ...
    async def place_predictive(self, queue: str, number: str, ring_seconds: int) -> tuple[bool, str, str]: ...
    def connected(self, call_id: str) -> bool: ...


@dataclasses.dataclass
class HeldOffer:
    """A preview offer on an agent's card: what the card shows, and since when it is held."""

    card: CampaignContactOffered
    offered_at: float  # the dialer's clock (``Dialer.clock``)
    minutes: int  # the campaign's ``offer_minutes`` the card was told

    def seconds_left(self, clock: float) -> float:
        return self.offered_at + self.minutes * 60.0 - clock


@dataclasses.dataclass
class InFlight:
    campaign_id: int
    contact_id: int
    agent_id: str  # predictive: "" until an agent takes the answered call
    predictive: bool = False


class Dialer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        telephony: Telephony,
        bus: Bus,
        *,
        calendar: WorkCalendar,
        tick: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = utcnow,
        serves: Callable[[str], bool] | None = None,
    ) -> None:
        """``serves``: whether an agent's seat is on this dialer's Asterisk server, whose console
        reaches this dialer (several servers, each with its dialer); None: every agent's."""
        self.sessions = sessions
        self.telephony = telephony
        self.bus = bus
        self.calendar = calendar
        self.tick_seconds = tick
        self.clock = clock
        self.now = now
        self.serves = serves
        self.pacers: dict[int, rules.Pacer] = {}
        self.calls: dict[str, InFlight] = {}  # call id -> what it is for
        self.offers: dict[str, int] = {}  # agent id -> contact id offered in preview
        self.held: dict[str, HeldOffer] = {}  # agent id -> the offer's card and when it was made
        self.lapses: dict[str, int] = {}  # agent id -> offers let lapse in a row
        self.cooling: dict[str, float] = {}  # agent id -> clock when it may be used again
        self.tallies: dict[int, rules.AbandonTally] = {}  # predictive: answers and abandons per campaign
        self._refreshed: dict[int, float] = {}
        self._lock = asyncio.Lock()
        #: ``run`` has begun and the offers the last run left out are not settled yet: the agents'
        #: 拨打 / 跳过 / reloads wait for ``_start`` (answered as unavailable), rather than be told
        #: "not offered" about a card the start is about to take over
        self._starting = False
        #: ticking (started, not stopped); ``error``: why the last start failed ("" when it did not)
        self.running = False
        self.error = ""
        bind = sessions.kw.get("bind")
        # checks made every tick take no write lock (SQLite)
        self._readers = read_sessionmaker(bind) if isinstance(bind, AsyncEngine) else sessions

    # -- lifecycle ---------------------------------------------------------------
    async def run(self) -> None:
        self._starting = True
        try:
            await self._start()
        finally:
            self._starting = False
        self.telephony.start(self.on_outcome, self.on_connected)
        agents = self.bus.subscribe(self.on_agent_state, types=[AgentStateChanged])
        self.running = True
        try:
            while True:
                try:
                    await self.tick()
                except Exception:
                    log.exception("dialer tick failed")
                await asyncio.sleep(self.tick_seconds)
        finally:
            self.running = False
            await agents.close()
            await self.telephony.stop()

    async def _start(self) -> None:
        """The 结果代码 made if missing, the preview offers a stopped run left on the agents' cards
        taken over or withdrawn (``_settle_offers``), and the other contacts it left dialing
        pending again; tried until it succeeds (logged each time, back-off ``START_RETRY`` to
        ``START_RETRY_MAX``): a dialer that gave up at a database blip would leave every campaign
        undialed, silently. The cards are told once it is committed."""
        delay = START_RETRY
        while True:
            try:
                async with self.sessions.begin() as session:
                    await store.ensure_dispositions(session)
                    adopted, withdrawn, others = await self._settle_offers(session)
                    recovered = await store.recover(
                        session, keep=[*(held.card.contact_id for held in adopted.values()), *others]
                    )
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("dialer: start failed, tried again in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, START_RETRY_MAX)
                continue
            self.error = ""
            break
        if recovered:
            log.info("dialer: %d contacts left dialing by the last run are pending again", recovered)
        # what the database says is out, whatever a run of this object before held in memory
        self.offers.clear()
        self.held.clear()
        for agent_id, held in adopted.items():
            self.offers[agent_id] = held.card.contact_id
            self.held[agent_id] = held
            log.info(
                "preview contact %s still offered to agent %s: taken over", held.card.contact_id, agent_id
            )
            # the card counts down to the same moment (a seat that reconnected meanwhile asks
            # ``current_offer``, which answers the same)
            await self.bus.publish(self._card(held))
        for card in withdrawn:
            log.info(
                "preview contact %s withdrawn from agent %s: left out by the last run",
                card.contact_id,
                card.staff_no,
            )
            await self.bus.publish(card)
            # only once told: a dialer that stops before this finds the card out, and tells it
            async with self.sessions.begin() as session:
                await store.end_offer(session, card.contact_id, card.staff_no)

    async def _settle_offers(
        self, session: AsyncSession
    ) -> tuple[dict[str, HeldOffer], list[CampaignOfferWithdrawn], list[int]]:
        """The preview offers whose cards a stopped run left out (``store.offers_out``): each one
        still held for its agent (the contact dialing for them with no call, its campaign running
        in its calling hours, the hold, timed from ``offered_at`` by the campaign's
        ``offer_minutes``, not over) is taken over as it is, one per agent; any other goes back to
        the list (if still held) and its card is to be withdrawn (``DIALER_RESTARTED``). Nothing
        else of the contact changes: its attempts, next attempt time and do-not-call check (made
        at dial time) are as before the offer. The offers of agents another server's dialer serves
        are left to it (the third list: kept as they are), running or starting too."""
        now, clock = self.now(), self.clock()
        out = await store.offers_out(session)
        orders = await store.order_numbers(session, [contact.order_id for contact, _, _ in out])
        adopted: dict[str, HeldOffer] = {}
        withdrawn: list[CampaignOfferWithdrawn] = []
        others: list[int] = []
        for contact, campaign, on_call in out:
            assert contact.offered_at is not None
            if self.serves is not None and not self.serves(contact.agent_id):
                others.append(contact.id)
                continue
            held_for = max(0.0, (now - contact.offered_at).total_seconds())
            held = HeldOffer(
                _offer_card(campaign, contact, contact.agent_id, orders.get(contact.order_id or 0, "")),
                clock - held_for,
                campaign.offer_minutes,
            )
            holds = (
                contact.state == "dialing"
                and bool(contact.agent_id)
                and not on_call
                and campaign.mode == "preview"
                and contact.agent_id not in adopted
                and not self._refusal(campaign)
                and held.seconds_left(clock) > 0
            )
            if holds:
                adopted[contact.agent_id] = held
                continue
            await store.release(session, contact.id)  # still dialing for the agent: back to the list
            withdrawn.append(
                CampaignOfferWithdrawn(
                    staff_no=contact.agent_id,
                    campaign_id=campaign.id,
                    contact_id=contact.id,
                    reason=DIALER_RESTARTED,
                )
            )
        return adopted, withdrawn, others

    def status(self) -> dict[str, Any]:
        """Whether the dialer is working the campaigns (the campaigns page says when not)."""
        return {"running": self.running, "error": self.error}

    # -- one pass --------------------------------------------------------------------
    async def tick(self) -> None:
        async with self._lock:
            await self._withdraw_stale_offers()
            async with self._readers() as session:
                campaigns = await store.running_campaigns(session)
                campaigns = await self._callers_first(session, campaigns)
            for campaign in campaigns:
                await self._work(campaign)

    async def _callers_first(self, session: AsyncSession, campaigns: list[Campaign]) -> list[Campaign]:
        """The callback campaigns (one per queue and line hours) in the order of their first due
        caller, in the places they had among the others: the campaign worked first takes the free
        agents, so a caller keeps their place against another line's callers of the queue too."""
        places = [n for n, c in enumerate(campaigns) if c.kind == "callback"]
        if len(places) < 2:
            return campaigns
        first = await store.first_due(session, [campaigns[n].id for n in places], self.now())
        latest = dt.datetime.max.replace(tzinfo=dt.UTC)
        ordered = sorted((campaigns[n] for n in places), key=lambda c: first.get(c.id, latest))
        out = list(campaigns)
        for n, campaign in zip(places, ordered, strict=True):
            out[n] = campaign
        return out

    async def _work(self, campaign: Campaign) -> None:
        now, clock = self.now(), self.clock()
        # sources and deadlines are kept up to date outside the calling window too, so the
        # report shows a visit-back expired when its 3 days are over, not when calling resumes
        if clock - self._refreshed.get(campaign.id, -1e9) >= REFRESH_EVERY:
            self._refreshed[campaign.id] = clock
            async with self.sessions.begin() as session:
                added = await sources.refresh(session, campaign, now)
                expired = await store.expire(session, campaign.id, now)
                surveyed = await store.close_surveyed(session, campaign_id=campaign.id)
            if added or expired or surveyed:
                log.info(
                    "campaign %s: %d new contacts, %d expired, %d surveyed meanwhile",
                    campaign.id,
                    added,
                    expired,
                    surveyed,
                )
        if not rules.may_call(
            rules.calling_calendar(self.calendar, campaign.windows, campaign.every_day), now
        ):
            return
        pacer = self.pacers.get(campaign.id)
        if pacer is None:
            pacer = self.pacers[campaign.id] = rules.Pacer(
                campaign.max_in_flight, campaign.calls_per_second, now=clock
            )
        pacer.configure(campaign.max_in_flight, campaign.calls_per_second)
        agents = [a for a in self.telephony.ready_agents(campaign.queue) if self._free(a, clock)]
        if campaign.mode == "preview":
            await self._offer(campaign, agents, now)
            return
        if campaign.mode == "predictive":
            unconnected = sum(
                1
                for call_id, flight in self.calls.items()
                if flight.campaign_id == campaign.id and not self.telephony.connected(call_id)
            )
            tally = self.tallies.get(campaign.id)
            if tally is None:  # counted on from where the last run left it
                async with self._readers() as session:
                    tally = self.tallies[campaign.id] = await store.abandon_tally(session, campaign.id)
            slots = rules.predictive_slots(len(agents), unconnected, tally, pacer.allowance(clock))
            agents = [""] * slots  # the queue hands each answered call to whoever is free
        else:
            slots = rules.progressive_slots(len(agents), pacer.allowance(clock))
        if slots == 0:
            await self._finish_if_done(campaign)
            return
        async with self._readers() as session:
            contacts = await store.due_contacts(session, campaign.id, now, slots)
        if not contacts:
            await self._finish_if_done(campaign)
        for agent_id, contact in zip(agents, contacts, strict=False):
            await self._dial(campaign.id, contact.id, agent_id)

    def _free(self, agent_id: str, clock: float) -> bool:
        if agent_id in self.offers or any(c.agent_id == agent_id for c in self.calls.values()):
            return False
        return self.cooling.get(agent_id, 0.0) <= clock

    async def _dial(self, campaign_id: int, contact_id: int, agent_id: str, *, offered: bool = False) -> str:
        """One call placed for the contact: "" when it went out, else why not. The campaign's
        status and window are checked, the contact claimed and its attempt written in one
        transaction before the Originate, so a pause meanwhile either comes first (nothing is
        dialled) or leaves the call being placed alone. ``offered``: the agent's preview offer."""
        async with self.sessions.begin() as session:
            campaign = await store.locked_campaign(session, campaign_id)
            refusal = self._refusal(campaign) if campaign is not None else "campaign.not_running"
            if refusal:
                return refusal
            assert campaign is not None
            if not await store.claim_for_call(session, contact_id, agent_id=agent_id, offered=offered):
                # taken by someone else meanwhile, or the offer was given back
                return "campaign.not_offered"
            contact = await session.get(CampaignContact, contact_id, populate_existing=True)
            if contact is None:
                return "campaign.contact_not_found"
            never = rules.refusal(contact.number)
            if never:
                # a contact kept from before the rule refused its number (an emergency line
                # imported by an older release): kept in that state, never rung
                await store.release(session, contact.id, never)
                log.warning("campaign %s: %s is never dialed (%s)", campaign.id, contact.number, never)
                return "campaign.dial_refused"
            # listed after it was added: not dialed, unless the customer asked for this call
            if not store.requested_by_caller(contact.source_key) and await store.is_dnc(
                session, contact.number
            ):
                await store.release(session, contact.id, "dnc")
                log.info(
                    "campaign %s: %s is on the do-not-call list, not dialed", campaign.id, contact.number
                )
                return "campaign.dial_refused"
            attempt = await store.start_attempt(session, campaign, contact.id, agent_id)
            order_number = await store.order_number(session, contact.order_id)
            session.expunge_all()
        pacer = self.pacers.setdefault(
            campaign.id, rules.Pacer(campaign.max_in_flight, campaign.calls_per_second, now=self.clock())
        )
        if agent_id:
            ok, call_id, reason = await self.telephony.place(agent_id, contact.number, campaign.ring_seconds)
        else:  # predictive: the customer first, then the campaign's queue
            ok, call_id, reason = await self.telephony.place_predictive(
                campaign.queue, contact.number, campaign.ring_seconds
            )
        if not ok:
            log.warning(
                "campaign %s: call to %s through %s refused: %s",
                campaign.id,
                contact.number,
                agent_id,
                reason,
            )
            async with self.sessions.begin() as session:
                await store.not_placed(session, attempt.id, contact.id)
            if agent_id:
                self.cooling[agent_id] = self.clock() + AGENT_COOLDOWN
            return "campaign.dial_refused"
        pacer.started(call_id, self.clock())
        self.calls[call_id] = InFlight(campaign.id, contact.id, agent_id, predictive=not agent_id)
        async with self.sessions.begin() as session:
            await store.placed(session, attempt.id, contact.id, call_id)
        if not agent_id:
            return ""  # the card goes to whoever takes the call (on_connected)
        await self.bus.publish(store.call_card(campaign, contact, agent_id, call_id, order_number))
        return ""

    async def _finish_if_done(self, campaign: Campaign) -> None:
        """An imported list with nothing left to call is finished; generated campaigns keep running."""
        if campaign.kind != "list":
            return
        async with self.sessions.begin() as session:
            counts = (await store.progress(session, campaign.id))["states"]
            if counts and not counts.get("pending") and not counts.get("dialing"):
                row = await store.get_campaign(session, campaign.id)
                if row.status == "running":
                    await store.set_status(session, row, "finish")
                    log.info("campaign %s finished: every contact is done", campaign.id)
        await publish_pending(session, self.bus)  # committed: CampaignStatusChanged, if finished

    # -- preview ------------------------------------------------------------------------
    async def _offer(self, campaign: Campaign, agents: list[str], now: dt.datetime) -> None:
        if not agents:
            return
        async with self._readers() as session:
            contacts = await store.due_contacts(session, campaign.id, now, len(agents))
            orders = await store.order_numbers(session, [c.order_id for c in contacts])
        if not contacts:
            await self._finish_if_done(campaign)
        for agent_id, contact in zip(agents, contacts, strict=False):
            async with self.sessions.begin() as session:
                if not await store.claim(session, contact.id, agent_id=agent_id, offered_at=self.now()):
                    continue
            self.offers[agent_id] = contact.id
            held = self.held[agent_id] = HeldOffer(
                _offer_card(campaign, contact, agent_id, orders.get(contact.order_id or 0, "")),
                self.clock(),
                campaign.offer_minutes,
            )
            await self.bus.publish(self._card(held))

    def _card(self, held: HeldOffer) -> CampaignContactOffered:
        """The offer's card as of now: held until the moment it lapses, on the wall clock (the
        lapse itself is timed on ``clock``, which a change of the wall clock does not move)."""
        until = self.now().timestamp() + held.seconds_left(self.clock())
        return dataclasses.replace(held.card, held_until=round(until, 3), offer_minutes=held.minutes)

    def offered(self, agent_id: str) -> int | None:
        return self.offers.get(agent_id)

    def _settled(self) -> None:
        """The agent's console asks about an offer: not before the start has taken over or
        withdrawn the offers the last run left out (``DialerUnavailable``, which leaves the card
        as it is), else a card about to be taken over would be told it is not offered."""
        if self._starting:
            raise DialerUnavailable("the dialer is starting: the offers of its last run are not settled yet")

    async def current_offer(self, agent_id: str) -> dict[str, Any] | None:
        """The preview offer the agent holds now, as its ``CampaignContactOffered`` (None: none):
        a console that reloads or reconnects shows the card again, counting down to the same
        moment, rather than leave the customer held where nobody sees them."""
        self._settled()
        held = self.held.get(agent_id)
        if held is None or self.offers.get(agent_id) != held.card.contact_id:
            return None
        return self._card(held).to_dict()

    def _refusal(self, campaign: Campaign) -> str:
        """Why an offer of the campaign may not be dialed now ("" when it may)."""
        return self._refused(campaign.status, campaign.windows, campaign.every_day)

    def _refused(self, status: str, windows: list[Any], every_day: bool) -> str:
        if status != "running":
            return "campaign.not_running"
        if not rules.may_call(rules.calling_calendar(self.calendar, windows, every_day), self.now()):
            return "campaign.outside_window"
        return ""

    async def _withdraw_stale_offers(self) -> None:
        """Offers of a campaign paused or finished (in any process: the console's pause released
        the contact already), outside its calling window, or of a contact no longer offered to the
        agent, leave the agent's screen; a contact still held for the agent goes back to the list.
        Checked every tick for every offer: one read, without the write lock (SQLite); a write
        only for an offer that goes. An offer nobody dialed or skipped within its campaign's
        ``offer_minutes`` goes too (``campaign.offer_lapsed``), and its agent cools down (``_lapsed``)."""
        if not self.offers:
            return
        async with self._readers() as session:
            rows = await session.execute(
                select(
                    CampaignContact.id,
                    CampaignContact.state,
                    CampaignContact.agent_id,
                    Campaign.status,
                    Campaign.windows,
                    Campaign.every_day,
                    Campaign.offer_minutes,
                )
                .join(Campaign, Campaign.id == CampaignContact.campaign_id)
                .where(CampaignContact.id.in_(set(self.offers.values())))
            )
            found = {row.id: row for row in rows}
        for agent_id, contact_id in list(self.offers.items()):
            row = found.get(contact_id)
            theirs = row is not None and (row.state, row.agent_id) == ("dialing", agent_id)
            reason = (
                self._refused(row.status, row.windows, row.every_day)
                if row is not None and theirs
                else "campaign.not_offered"
            )
            held = self.held.get(agent_id)
            if not reason and held is not None and row.offer_minutes != held.minutes:
                # the campaign's minutes were edited: the offer lapses by the new ones, and the
                # card is told so (offered again with its new time), never counting to the old
                held.minutes = row.offer_minutes
                await self.bus.publish(self._card(held))
            if not reason and held is not None and held.seconds_left(self.clock()) <= 0:
                reason = "campaign.offer_lapsed"
                self._lapsed(agent_id)
            if reason:
                minutes = row.offer_minutes if reason == "campaign.offer_lapsed" and row is not None else 0
                await self._withdraw(agent_id, contact_id, reason, offer_minutes=minutes)

    def _lapsed(self, agent_id: str) -> None:
        """The agent let an offer lapse: offered nothing for ``LAPSE_COOLDOWN``, doubled for each
        lapse in a row (a seat nobody watches soon holds no customer for long)."""
        lapses = self.lapses[agent_id] = self.lapses.get(agent_id, 0) + 1
        pause = min(LAPSE_COOLDOWN * 2 ** (lapses - 1), LAPSE_COOLDOWN_MAX)
        self.cooling[agent_id] = max(self.cooling.get(agent_id, 0.0), self.clock() + pause)

    async def _withdraw(self, agent_id: str, contact_id: int, reason: str, *, offer_minutes: int = 0) -> None:
        """The offer goes (the contact back to pending if still held) and the agent's card with it;
        once the card is told, no offer is out (``store.end_offer``)."""
        if self.offers.get(agent_id) == contact_id:
            del self.offers[agent_id]
            self.held.pop(agent_id, None)
        async with self.sessions.begin() as session:
            contact = await session.get(CampaignContact, contact_id)
            if contact is not None and contact.agent_id == agent_id:
                await store.release(session, contact_id)
            campaign_id = contact.campaign_id if contact else 0
        log.info("preview contact %s withdrawn from agent %s: %s", contact_id, agent_id, reason)
        await self.bus.publish(
            CampaignOfferWithdrawn(
                staff_no=agent_id,
                campaign_id=campaign_id,
                contact_id=contact_id,
                reason=reason,
                offer_minutes=offer_minutes,
            )
        )
        async with self.sessions.begin() as session:
            await store.end_offer(session, contact_id, agent_id)

    async def preview_dial(self, agent_id: str, contact_id: int) -> tuple[bool, str]:
        """The agent pressed dial on the offered contact: (ok, call id or refusal). A campaign
        paused or finished meanwhile, or outside its calling window, is not dialed: the offer is
        withdrawn and the contact waits in the list."""
        self._settled()
        async with self._lock:
            if self.offers.get(agent_id) != contact_id:
                return False, "campaign.not_offered"
            async with self._readers() as session:
                campaign_id = await session.scalar(
                    select(CampaignContact.campaign_id).where(CampaignContact.id == contact_id)
                )
            if campaign_id is None:
                del self.offers[agent_id]
                return False, "campaign.contact_not_found"
            before = set(self.calls)
            refusal = await self._dial(campaign_id, contact_id, agent_id, offered=True)
            if refusal in ("campaign.not_running", "campaign.outside_window", "campaign.not_offered"):
                await self._withdraw(agent_id, contact_id, refusal)
                return False, refusal
            self.offers.pop(agent_id, None)
            self.held.pop(agent_id, None)
            self.lapses.pop(agent_id, None)  # someone reads the card: the next lapse counts from one
            if refusal:
                return False, refusal
            return True, next(iter(set(self.calls) - before))

    async def on_agent_state(self, event: AgentStateChanged) -> None:
        """An agent who signs out with a preview contact offered gives it back to the list."""
        if event.state != "logged_out" or event.agent_id not in self.offers:
            return
        async with self._lock:
            contact_id = self.offers.pop(event.agent_id, None)
            self.held.pop(event.agent_id, None)
            if contact_id is None:
                return
            async with self.sessions.begin() as session:
                await store.release(session, contact_id)
                contact = await session.get(CampaignContact, contact_id)
                campaign_id = contact.campaign_id if contact else 0
        log.info("preview contact %s back to the list: agent %s signed out", contact_id, event.agent_id)
        await self.bus.publish(
            CampaignOfferWithdrawn(staff_no=event.agent_id, campaign_id=campaign_id, contact_id=contact_id)
        )
        async with self.sessions.begin() as session:
            await store.end_offer(session, contact_id, event.agent_id)

    async def preview_skip(self, agent_id: str, contact_id: int) -> bool:
        self._settled()
        async with self._lock:
            if self.offers.get(agent_id) != contact_id:
                return False
            del self.offers[agent_id]
            self.held.pop(agent_id, None)
            self.lapses.pop(agent_id, None)
            async with self.sessions.begin() as session:
                await store.release(session, contact_id, "skipped")
                await store.end_offer(session, contact_id, agent_id)  # the answer tells the card
            return True

    # -- outcomes ----------------------------------------------------------------------
    async def on_connected(self, call_id: str, agent_id: str) -> None:
        """Predictive: an agent took the answered call; their console shows the contact."""
        flight = self.calls.get(call_id)
        if flight is None or not flight.predictive or flight.agent_id:
            return
        flight.agent_id = agent_id
        async with self.sessions.begin() as session:
            contact = await session.get(CampaignContact, flight.contact_id)
            campaign = await session.get(Campaign, flight.campaign_id)
            if contact is None or campaign is None:
                return
            contact.agent_id = agent_id
            await store.attempt_connected(session, call_id, agent_id)
            placed = store.call_card(
                campaign, contact, agent_id, call_id, await store.order_number(session, contact.order_id)
            )
        await self.bus.publish(placed)

    async def on_outcome(self, call_id: str, outcome: str, *, late: bool = False) -> None:
        """One call is over; ``late``: a predictive call an agent took only after CONNECT_WITHIN."""
        flight = self.calls.pop(call_id, None)
        if flight is None:
            return
        if flight.predictive and flight.campaign_id in self.tallies:  # what the abandon cap counts
            rules.record_predictive(self.tallies[flight.campaign_id], outcome, late=late)
        pacer = self.pacers.get(flight.campaign_id)
        if pacer is not None:
            pacer.ended(call_id)
        if outcome == rules.AGENT_MISSED:
            self.cooling[flight.agent_id] = self.clock() + AGENT_COOLDOWN
        async with self.sessions.begin() as session:
            await store.attempt_ended(session, call_id, outcome, self.now(), late=late)
            contact = await store.record_outcome(
                session, flight.contact_id, outcome, self.now(), self.calendar
            )
            state = contact.state if contact else ""
            attempts = contact.attempts if contact else 0
            retry = contact.next_attempt_at.isoformat() if contact and contact.next_attempt_at else ""
        await self.bus.publish(
            CampaignCallEnded(
                staff_no=flight.agent_id,
                campaign_id=flight.campaign_id,
                contact_id=flight.contact_id,
                call_id=call_id,
                outcome=outcome,
                state=state,
                attempts=attempts,
                next_attempt_at=retry,
            )
        )


def _offer_card(
    campaign: Campaign, contact: CampaignContact, agent_id: str, order_number: str = ""
) -> CampaignContactOffered:
    """The preview card for the agent the contact is offered to; ``order_number``: of
    ``contact.order_id``. Its hold's time is the dialer's (``Dialer._card``)."""
    return CampaignContactOffered(
        staff_no=agent_id,
        campaign_id=campaign.id,
        contact_id=contact.id,
        number=contact.number,
        contact_name=contact.name,
        campaign=campaign.name,
        script=campaign.script,
        attempts=contact.attempts,
        order_id=contact.order_id or 0,
        order_number=order_number,
    )
