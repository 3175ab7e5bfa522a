"""A dialer that starts (its task or process restarted: a crash, a redeploy, the cti role moving)
settles the preview offers the stopped one left on the agents' cards: one still held for its
agent is taken over, counting down to the same moment, and may be dialled; any other is
withdrawn from the card (``campaign.dialer_restarted``) and its contact goes back to the list as
it was, attempts, retry time and last outcome kept. QA: the new dialer put the contact back to
pending and told no card, so the agent saw a customer the dialer had given to a colleague, or
pressed 拨打 and was refused.

Real ``Dialer.run`` tasks, the first cancelled as a dying process loses its memory, on SQLite and
PostgreSQL."""

import asyncio
import contextlib
import datetime as dt

import pytest
from sqlalchemy import update

from campaigns import store
from campaigns.dialer import Dialer
from campaigns.events import CampaignCallPlaced, CampaignContactOffered, CampaignOfferWithdrawn
from campaigns.remote import DialerUnavailable
from cti.calendar import WorkCalendar
from tests.campaigns.test_store_and_dialer import (  # noqa: F401
    NOW,
    Clock,
    FakeTelephony,
    add,
    bus,
    collect,
    contacts,
    new_campaign,
)
from ticketing.models import Campaign, CampaignContact

NUMBER = "13800000001"


def dialer(sm, phone, bus, clock) -> Dialer:  # noqa: F811
    # ticks once at start, then only when the test says (``tick``)
    return Dialer(
        sm,
        phone,
        bus,
        calendar=WorkCalendar.china(),
        tick=3600,
        clock=lambda: clock.mono,
        now=lambda: clock.utc,
    )


async def until(condition, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.01)


async def running(d: Dialer) -> asyncio.Task:
    task = asyncio.create_task(d.run())
    await until(lambda: d.running)
    return task


async def stopped(task: asyncio.Task) -> None:
    """The dialer's task ends as its process dies: what it held in memory is gone."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def offered_by_a_dialer_that_stops(sm, bus, *, offer_minutes: int = 5):  # noqa: F811
    """A preview campaign whose one contact was tried once (no answer, due again now) is offered
    to 1005 by a running dialer, which then stops: (campaign id, contact id, the card, the
    clock)."""
    cid = await new_campaign(sm, mode="preview", offer_minutes=offer_minutes)
    await add(sm, cid, NUMBER)
    async with sm.begin() as s:
        await s.execute(
            update(CampaignContact)
            .where(CampaignContact.campaign_id == cid)
            .values(attempts=1, last_outcome="no_answer", next_attempt_at=NOW - dt.timedelta(minutes=1))
        )
    seen = collect(bus, CampaignContactOffered)
    clock = Clock()
    first = dialer(sm, FakeTelephony({"camp-a": ["1005"]}), bus, clock)
    task = await running(first)
    await until(lambda: first.offered("1005") is not None)
    await bus.drain()
    [card] = seen
    assert card.held_until == (NOW + dt.timedelta(minutes=offer_minutes)).timestamp()
    await stopped(task)
    return cid, card.contact_id, card, clock


async def test_an_offer_still_held_is_taken_over_and_dialled_after_the_restart(sm, bus):  # noqa: F811
    cid, contact_id, card, clock = await offered_by_a_dialer_that_stops(sm, bus)
    clock.advance(90)  # the new process is up a minute and a half later
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn, CampaignCallPlaced)
    phone = FakeTelephony({"camp-a": ["1005"]})
    second = dialer(sm, phone, bus, clock)
    task = await running(second)
    try:
        await second.tick()  # its first pass over too: it offers 1005 nothing more
        await bus.drain()
        # the card is told the same offer, counting to the same moment: 3.5 minutes left
        assert [(type(e).__name__, e.staff_no, e.contact_id) for e in seen] == [
            ("CampaignContactOffered", "1005", contact_id)
        ]
        assert seen[0].held_until == card.held_until
        assert (seen[0].number, seen[0].attempts, seen[0].offer_minutes) == (NUMBER, 1, 5)
        again = await second.current_offer("1005")
        assert again is not None and again["held_until"] == card.held_until
        contact = (await contacts(sm, cid))[NUMBER]
        assert (contact.state, contact.agent_id, contact.attempts) == ("dialing", "1005", 1)

        # the agent presses 拨打 on it: the new dialer places the call
        ok, call_id = await second.preview_dial("1005", contact_id)
        assert ok, call_id
        assert phone.placed == [("1005", NUMBER, call_id)]
        await bus.drain()
        assert type(seen[-1]) is CampaignCallPlaced
        contact = (await contacts(sm, cid))[NUMBER]
        assert (contact.state, contact.last_call_id, contact.offered_at) == ("dialing", call_id, None)
        assert await second.current_offer("1005") is None
    finally:
        await stopped(task)


async def test_a_taken_over_offer_lapses_at_its_first_moment(sm, bus):  # noqa: F811
    _, contact_id, card, clock = await offered_by_a_dialer_that_stops(sm, bus, offer_minutes=2)
    clock.advance(100)
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    second = dialer(sm, FakeTelephony({"camp-a": ["1005"]}), bus, clock)
    task = await running(second)
    try:
        clock.mono += 19  # 119 s after the offer: still held
        await second.tick()
        assert second.offered("1005") == contact_id
        clock.mono += 2  # 121 s: two minutes over, not two minutes after the restart
        await second.tick()
        await bus.drain()
        assert [(type(e).__name__, getattr(e, "reason", "")) for e in seen] == [
            ("CampaignContactOffered", ""),
            ("CampaignOfferWithdrawn", "campaign.offer_lapsed"),
        ]
        assert seen[0].held_until == card.held_until
    finally:
        await stopped(task)


@pytest.mark.parametrize("meanwhile", ["paused", "hold_over"])
async def test_an_offer_no_longer_held_is_withdrawn_and_its_contact_kept_as_it_was(sm, bus, meanwhile):  # noqa: F811
    cid, contact_id, card, clock = await offered_by_a_dialer_that_stops(sm, bus)
    if meanwhile == "paused":
        # a team leader paused the campaign while no dialer ran (the console's web process)
        clock.advance(60)
        async with sm.begin() as s:
            await store.set_status(s, await s.get(Campaign, cid), "pause")
    else:
        clock.advance(6 * 60)  # the new dialer came up after the hold's five minutes
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    # 1005 is busy on another call now: a colleague is ready
    second = dialer(sm, FakeTelephony({"camp-a": ["1006"]}), bus, clock)
    task = await running(second)
    try:
        await second.tick()  # its first pass over too
        await bus.drain()
        assert [(type(e).__name__, e.staff_no, e.contact_id) for e in seen[:1]] == [
            ("CampaignOfferWithdrawn", "1005", contact_id)
        ]
        assert seen[0].reason == "campaign.dialer_restarted"
        assert await second.current_offer("1005") is None
        contact = (await contacts(sm, cid))[NUMBER]
        # nothing of the contact lost: its attempt, its last outcome, its retry time
        assert (contact.attempts, contact.last_outcome) == (1, "no_answer")
        assert contact.next_attempt_at == NOW - dt.timedelta(minutes=1)
        if meanwhile == "paused":
            assert (contact.state, contact.offered_at) == ("pending", None)
            assert len(seen) == 1  # a paused campaign offers nobody
        else:
            # back in the list, the colleague is offered the customer, the earlier attempt counted
            assert [(type(e).__name__, e.staff_no, e.contact_id, e.attempts) for e in seen[1:]] == [
                ("CampaignContactOffered", "1006", contact_id, 1)
            ]
            assert (contact.state, contact.agent_id) == ("dialing", "1006")
            assert contact.offered_at == clock.utc
        # 1005's 拨打 from the card it had is refused: the customer is not theirs any more
        assert await second.preview_dial("1005", contact_id) == (False, "campaign.not_offered")
    finally:
        await stopped(task)


async def test_an_agent_asking_while_the_dialer_starts_is_answered_unavailable(sm, bus):  # noqa: F811
    _, contact_id, _, clock = await offered_by_a_dialer_that_stops(sm, bus)
    second = dialer(sm, FakeTelephony({"camp-a": ["1005"]}), bus, clock)
    gate = asyncio.Event()
    settle = second._settle_offers

    async def slow(session):  # the start's read of the offers left out takes its time
        await gate.wait()
        return await settle(session)

    second._settle_offers = slow
    task = asyncio.create_task(second.run())
    try:
        await asyncio.sleep(0.05)
        # the card about to be taken over is not told "not offered" meanwhile: it stays as it is
        with pytest.raises(DialerUnavailable):
            await second.preview_dial("1005", contact_id)
        with pytest.raises(DialerUnavailable):
            await second.current_offer("1005")
        gate.set()
        await until(lambda: second.running)
        assert (await second.current_offer("1005"))["contact_id"] == contact_id
    finally:
        await stopped(task)


async def test_a_dialer_of_one_asterisk_server_leaves_the_other_servers_offers_alone(sm, bus):  # noqa: F811
    # two servers, a dialer each: 1005's seat on this one, 1006's on the other, whose dialer runs on
    cid = await new_campaign(sm, mode="preview")
    await add(sm, cid, "13800000001", "13800000002")
    clock = Clock()
    first = dialer(sm, FakeTelephony({"camp-a": ["1005", "1006"]}), bus, clock)
    task = await running(first)
    await until(lambda: first.offered("1005") is not None and first.offered("1006") is not None)
    await stopped(task)
    theirs = first.offered("1006")

    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    second = Dialer(
        sm,
        FakeTelephony({"camp-a": ["1005"]}),
        bus,
        calendar=WorkCalendar.china(),
        tick=3600,
        clock=lambda: clock.mono,
        now=lambda: clock.utc,
        serves=lambda agent_id: agent_id == "1005",
    )
    task = await running(second)
    try:
        await second.tick()
        await bus.drain()
        assert [(type(e).__name__, e.staff_no) for e in seen] == [("CampaignContactOffered", "1005")]
        other = [c for c in (await contacts(sm, cid)).values() if c.id == theirs][0]
        # still offered to 1006 by the other server's dialer: neither put back nor withdrawn
        assert (other.state, other.agent_id, other.offered_at) == ("dialing", "1006", NOW)
        assert second.offered("1006") is None
    finally:
        await stopped(task)
