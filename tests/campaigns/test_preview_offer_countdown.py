"""A preview offer's card counts down to the moment the dialer gives the contact back
(``held_until``, the campaign's ``offer_minutes`` after the offer, on the dialer's clock), and a
console that reloads asks the dialer for the offer it holds (``current_offer``): the same moment,
not a new five minutes. QA: the card showed no countdown, and a reload lost the card while the
customer stayed held for the agent."""

import datetime as dt

from campaigns import store
from campaigns.events import CampaignContactOffered, CampaignOfferWithdrawn
from campaigns.remote import DIALER_COMMANDS, dialer_handlers
from tests.campaigns.test_store_and_dialer import (  # noqa: F401
    Clock,
    FakeTelephony,
    add,
    bus,
    collect,
    dialer_for,
    new_campaign,
)
from ticketing.models import Campaign


async def _offered(sm, bus, offer_minutes: int):  # noqa: F811 (the bus fixture, passed on)
    """A preview campaign of one contact, offered to agent 1005 by a dialer on a fake clock: (the
    campaign's id, the dialer, its clock, the offer events seen, the moment of the offer)."""
    cid = await new_campaign(sm, mode="preview", offer_minutes=offer_minutes)
    await add(sm, cid, "13800000001")
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    phone, clock = FakeTelephony({"camp-a": ["1005"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    offered_at = clock.utc
    await d.tick()
    return cid, d, clock, seen, offered_at


async def test_the_card_is_told_when_the_offer_lapses_and_a_reload_gets_the_same_moment(sm, bus):  # noqa: F811
    _, d, clock, seen, offered_at = await _offered(sm, bus, offer_minutes=3)
    await bus.drain()
    [offer] = seen
    until = (offered_at + dt.timedelta(minutes=3)).timestamp()
    assert (offer.held_until, offer.offer_minutes) == (until, 3)

    # the agent's console reloads 100 s later: the offer it holds, counting to the same moment
    clock.advance(100)
    again = await d.current_offer("1005")
    assert again is not None
    assert (again["event"], again["contact_id"], again["held_until"]) == (
        "CampaignContactOffered",
        offer.contact_id,
        until,
    )
    assert (again["number"], again["campaign"]) == ("13800000001", "回访")
    assert await d.current_offer("1001") is None  # nobody else's

    # the wall clock jumps (NTP): the lapse is timed on the dialer's own clock, and so is the card
    clock.utc += dt.timedelta(seconds=30)
    assert (await d.current_offer("1005"))["held_until"] == until + 30

    # lapsed: withdrawn, and a reload finds no offer
    clock.mono += 80
    await d.tick()
    await bus.drain()
    assert [type(e).__name__ for e in seen] == ["CampaignContactOffered", "CampaignOfferWithdrawn"]
    assert await d.current_offer("1005") is None


async def test_an_edit_of_the_minutes_tells_the_card_its_new_moment(sm, bus):  # noqa: F811
    cid, d, clock, seen, offered_at = await _offered(sm, bus, offer_minutes=10)
    clock.advance(60)
    async with sm.begin() as s:
        campaign = await s.get(Campaign, cid)
        await store.update_campaign(s, campaign, {"offer_minutes": 2}, calendar=d.calendar)
    await d.tick()
    await bus.drain()
    # offered again with the new moment: 2 minutes after the offer, one of them gone
    assert [(type(e).__name__, e.offer_minutes) for e in seen] == [
        ("CampaignContactOffered", 10),
        ("CampaignContactOffered", 2),
    ]
    assert seen[1].contact_id == seen[0].contact_id
    assert seen[1].held_until == (offered_at + dt.timedelta(minutes=2)).timestamp()
    assert (await d.current_offer("1005"))["held_until"] == seen[1].held_until
    await d.tick()  # told once, not every tick
    await bus.drain()
    assert len(seen) == 2


async def test_a_dialled_or_skipped_offer_is_held_no_longer(sm, bus):  # noqa: F811
    cid = await new_campaign(sm, mode="preview")
    await add(sm, cid, "13800000001", "13800000002")
    phone, clock = FakeTelephony({"camp-a": ["1005"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    first = d.offered("1005")
    assert await d.preview_skip("1005", first)
    assert await d.current_offer("1005") is None
    await d.tick()
    second = d.offered("1005")
    assert (await d.current_offer("1005"))["contact_id"] == second
    ok, _ = await d.preview_dial("1005", second)
    assert ok
    assert await d.current_offer("1005") is None


def test_a_web_process_reaches_the_offer_through_the_command_channel(sm, bus):  # noqa: F811
    # the dialer runs in the cti process: the console's web process asks it there
    assert "current_offer" in DIALER_COMMANDS
    d = dialer_for(sm, FakeTelephony({}), bus, Clock())
    assert dialer_handlers(d)["current_offer"] == d.current_offer
