"""A preview campaign paused or finished, or past its calling window, calls nobody: the contact
offered to an agent goes back to the list, the offer leaves the agent's screen, and pressing
拨打 on it is refused."""

import datetime as dt

from sqlalchemy import select

from campaigns import rules, store
from campaigns.events import CampaignContactOffered, CampaignOfferWithdrawn
from tests.campaigns.test_store_and_dialer import (
    Clock,
    FakeTelephony,
    add,
    bus,
    collect,
    contacts,
    dialer_for,
    new_campaign,
)
from ticketing.models import Campaign, CampaignAttempt

__all__ = ["bus"]


async def offered_to_1001(sm, bus, **kw):
    cid = await new_campaign(sm, mode="preview", **kw)
    await add(sm, cid, "13800000001", "13800000002")
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    await bus.drain()
    (offer,) = seen
    assert (await contacts(sm, cid))["13800000001"].state == "dialing"
    return cid, d, phone, clock, seen, offer


async def change(sm, cid, action):
    async with sm.begin() as s:  # as the console does, in its own process
        await store.set_status(s, await s.get(Campaign, cid), action)


async def test_pausing_gives_the_offered_contact_back_and_the_offer_cannot_be_dialed(sm, bus):
    cid, d, phone, _clock, seen, offer = await offered_to_1001(sm, bus)
    await change(sm, cid, "pause")
    async with sm() as s:
        assert (await store.progress(s, cid))["states"] == {"pending": 2}
    assert await d.preview_dial("1001", offer.contact_id) == (False, "campaign.not_running")
    assert phone.placed == []
    await bus.drain()
    withdrawn = seen[-1]
    assert isinstance(withdrawn, CampaignOfferWithdrawn)
    assert (withdrawn.staff_no, withdrawn.contact_id, withdrawn.campaign_id) == (
        "1001",
        offer.contact_id,
        cid,
    )
    assert d.offered("1001") is None
    got = (await contacts(sm, cid))["13800000001"]
    assert (got.state, got.attempts) == ("pending", 0)

    await change(sm, cid, "start")  # resumed: offered again, and dialed
    await d.tick()
    await bus.drain()
    assert isinstance(seen[-1], CampaignContactOffered) and seen[-1].contact_id == offer.contact_id
    ok, call_id = await d.preview_dial("1001", offer.contact_id)
    assert ok and phone.placed == [("1001", "13800000001", call_id)]


async def test_the_dialers_next_pass_withdraws_the_offer_of_a_finished_campaign(sm, bus):
    cid, d, phone, _clock, seen, offer = await offered_to_1001(sm, bus)
    await change(sm, cid, "finish")
    await d.tick()
    await bus.drain()
    assert [type(e) for e in seen] == [CampaignContactOffered, CampaignOfferWithdrawn]
    assert d.offered("1001") is None
    assert await d.preview_dial("1001", offer.contact_id) == (False, "campaign.not_offered")
    async with sm() as s:
        assert (await store.progress(s, cid))["states"] == {"pending": 2}  # none left 呼叫中
    assert phone.placed == []


async def test_a_call_already_on_keeps_its_contact_when_the_campaign_pauses(sm, bus):
    cid, d, phone, _clock, _seen, offer = await offered_to_1001(sm, bus)
    ok, call_id = await d.preview_dial("1001", offer.contact_id)
    assert ok
    await change(sm, cid, "pause")
    assert (await contacts(sm, cid))["13800000001"].state == "dialing"
    await d.on_outcome(call_id, rules.ANSWERED)
    got = (await contacts(sm, cid))["13800000001"]
    assert (got.state, got.attempts) == ("done", 1)


async def test_an_offer_is_not_dialed_after_the_calling_window_closes(sm, bus):
    cid, d, phone, clock, seen, offer = await offered_to_1001(sm, bus, windows=["09:00-10:30"])
    clock.advance(45 * 60)  # 10:45 in Shanghai
    assert await d.preview_dial("1001", offer.contact_id) == (False, "campaign.outside_window")
    assert phone.placed == []
    assert (await contacts(sm, cid))["13800000001"].state == "pending"
    await bus.drain()
    assert isinstance(seen[-1], CampaignOfferWithdrawn)
    clock.advance(dt.timedelta(days=1).total_seconds() - 45 * 60)  # the next day, 10:00: offered again
    await d.tick()
    await bus.drain()
    assert isinstance(seen[-1], CampaignContactOffered)


async def test_a_pause_while_the_call_is_being_placed_leaves_it_to_that_call(sm, bus):
    """The team leader presses 暂停 while Asterisk is placing the agent's call: the contact stays
    呼叫中 with its attempt, so the resumed campaign does not offer (or dial) the same customer
    again while that call is on."""
    cid, d, phone, _clock, seen, offer = await offered_to_1001(sm, bus)
    place = phone.place

    async def paused_meanwhile(agent_id, number, ring_seconds):
        await change(sm, cid, "pause")
        return await place(agent_id, number, ring_seconds)

    phone.place = paused_meanwhile
    ok, call_id = await d.preview_dial("1001", offer.contact_id)
    assert ok and phone.placed == [("1001", "13800000001", call_id)]
    got = (await contacts(sm, cid))["13800000001"]
    assert (got.state, got.last_call_id) == ("dialing", call_id)
    async with sm() as s:
        attempts = (await s.scalars(select(CampaignAttempt).where(CampaignAttempt.campaign_id == cid))).all()
        assert [(a.contact_id, a.call_id, a.outcome) for a in attempts] == [(offer.contact_id, call_id, "")]

    await change(sm, cid, "start")
    phone.ready = {"camp-a": ["1002"]}
    await d.tick()
    await bus.drain()
    assert [e.contact_id for e in seen if isinstance(e, CampaignContactOffered) and e.staff_no == "1002"] == [
        (await contacts(sm, cid))["13800000002"].id
    ]
    await d.on_outcome(call_id, rules.ANSWERED)
    got = (await contacts(sm, cid))["13800000001"]
    assert (got.state, got.attempts) == ("done", 1)


async def test_a_call_refused_before_it_rang_leaves_no_attempt(sm, bus):
    cid, d, phone, _clock, _seen, offer = await offered_to_1001(sm, bus)

    async def refused(agent_id, number, ring_seconds):
        return False, "", "busy channel"

    phone.place = refused
    assert await d.preview_dial("1001", offer.contact_id) == (False, "campaign.dial_refused")
    assert (await contacts(sm, cid))["13800000001"].state == "pending"
    async with sm() as s:
        assert (await s.scalars(select(CampaignAttempt))).all() == []


async def test_outstanding_offers_are_checked_in_one_read_without_a_write(sm, bus):
    """Every tick looks at every offer shown: one read-only query for all of them (on SQLite no
    write lock taken per offer per second), and a write only for an offer that goes."""
    from sqlalchemy import event as sa_event

    cid = await new_campaign(sm, mode="preview")
    await add(sm, cid, "13800000001", "13800000002", "13800000003")
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002", "1003"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    await bus.drain()
    assert len(seen) == 3

    engine = sm.kw["bind"].sync_engine
    begins: list[bool] = []

    def began(conn):
        begins.append(bool(conn.get_execution_options().get("read_only")))

    sa_event.listen(engine, "begin", began)
    try:
        await d.tick()
        await d.tick()
    finally:
        sa_event.remove(engine, "begin", began)
    assert False not in begins and len(begins) <= 4  # the offers, and the running campaigns
    assert len(seen) == 3

    await change(sm, cid, "pause")
    await d.tick()
    await bus.drain()
    assert sorted(e.staff_no for e in seen[3:] if isinstance(e, CampaignOfferWithdrawn)) == [
        "1001",
        "1002",
        "1003",
    ]
