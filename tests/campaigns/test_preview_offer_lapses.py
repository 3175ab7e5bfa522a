"""QA (demo): a visit-back preview contact was offered to the bot 1002 (a seat signed in and ready
with no console to see the card) and sat in ``dialing`` with 0 attempts for good: an offer stayed
with its agent while they were signed in, so nobody else was ever offered that customer (and past
its 3 days it would never even expire). An offer nobody dials or skips within the campaign's
``offer_minutes`` (5 by default) goes back to the list, the card is withdrawn, and the agent who let
it lapse is offered nothing for a while (longer each time in a row), so a colleague gets it."""

import datetime as dt

from campaigns import dialer as dialer_module
from campaigns import rules, store
from campaigns.events import CampaignContactOffered, CampaignOfferWithdrawn
from tests.campaigns.test_store_and_dialer import (  # noqa: F401
    Clock,
    FakeTelephony,
    add,
    bus,
    collect,
    contacts,
    dialer_for,
    new_campaign,
)
from ticketing.models import Campaign

#: the lapse of a campaign that sets none
OFFER_SECONDS = rules.DEFAULT_OFFER_MINUTES * 60


async def test_an_offer_nobody_acts_on_goes_back_and_to_a_colleague(sm, bus):  # noqa: F811
    cid = await new_campaign(sm, mode="preview")
    await add(sm, cid, "13800000001", "13800000002")
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    phone, clock = FakeTelephony({"camp-a": ["1002"]}), Clock()  # the bot: ready, no console
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    await bus.drain()
    assert [(type(e).__name__, e.staff_no) for e in seen] == [("CampaignContactOffered", "1002")]
    contact_id = seen[0].contact_id

    # a while later, reading the script: still theirs
    clock.mono += OFFER_SECONDS - 1
    clock.utc += dt.timedelta(seconds=OFFER_SECONDS - 1)
    await d.tick()
    assert d.offered("1002") == contact_id and len(seen) == 1

    # nobody pressed 拨打 or 跳过: back to the list, no attempt spent, the card withdrawn
    clock.mono += 2
    clock.utc += dt.timedelta(seconds=2)
    phone.ready = {"camp-a": ["1002", "1001"]}  # a colleague is ready now
    await d.tick()
    await bus.drain()
    kinds = [(type(e).__name__, e.staff_no, e.contact_id) for e in seen[1:]]
    assert ("CampaignOfferWithdrawn", "1002", contact_id) in kinds
    assert d.offered("1002") is None
    # the colleague gets the customer (the same tick or the next), the lapsed agent does not
    await d.tick()
    await bus.drain()
    assert d.offered("1001") == contact_id
    got = (await contacts(sm, cid))["13800000001"]
    assert (got.state, got.agent_id, got.attempts) == ("dialing", "1001", 0)

    # the colleague skips it: the agent who let it lapse is still left alone for now
    assert await d.preview_skip("1001", contact_id)
    phone.ready = {"camp-a": ["1002"]}
    clock.mono += 5
    await d.tick()
    assert d.offered("1002") is None
    # …and offered again after the cool-down
    clock.mono += dialer_module.LAPSE_COOLDOWN
    await d.tick()
    assert d.offered("1002") is not None


async def test_a_second_lapse_in_a_row_cools_longer(sm, bus):  # noqa: F811
    cid = await new_campaign(sm, mode="preview")
    await add(sm, cid, "13800000001")
    phone, clock = FakeTelephony({"camp-a": ["1002"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    for lapse in (1, 2):
        await d.tick()
        assert d.offered("1002") is not None
        clock.mono += OFFER_SECONDS + 1
        await d.tick()  # lapsed: withdrawn
        assert d.offered("1002") is None
        clock.mono += dialer_module.LAPSE_COOLDOWN * lapse - 1
        await d.tick()
        assert d.offered("1002") is None  # still cooling
        clock.mono += 1
    await d.tick()
    assert d.offered("1002") is not None


async def test_the_lapse_is_the_campaigns_own_and_an_edit_applies_to_the_offer_out(sm, bus):  # noqa: F811
    # a visit-back script is read slowly: this campaign gives its agents 12 minutes, not 5
    cid = await new_campaign(sm, mode="preview", offer_minutes=12)
    await add(sm, cid, "13800000001")
    seen = collect(bus, CampaignOfferWithdrawn)
    phone, clock = FakeTelephony({"camp-a": ["1002"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    contact_id = d.offered("1002")
    assert contact_id is not None
    clock.mono += 11 * 60 + 59  # past the old constant's 5 minutes, within the campaign's 12
    await d.tick()
    await bus.drain()
    assert d.offered("1002") == contact_id and seen == []
    clock.mono += 1
    await d.tick()
    await bus.drain()
    assert d.offered("1002") is None
    assert [(e.reason, e.offer_minutes) for e in seen] == [("campaign.offer_lapsed", 12)]

    # the admin shortens it to 2 minutes: the next offer goes after 2
    async with sm.begin() as s:
        campaign = await s.get(Campaign, cid)
        await store.update_campaign(s, campaign, {"offer_minutes": 2}, calendar=d.calendar)
    clock.mono += dialer_module.LAPSE_COOLDOWN
    await d.tick()
    assert d.offered("1002") == contact_id
    clock.mono += 2 * 60 - 1
    await d.tick()
    assert d.offered("1002") == contact_id
    clock.mono += 1
    await d.tick()
    await bus.drain()
    assert d.offered("1002") is None
    assert [e.offer_minutes for e in seen] == [12, 2]


async def test_a_campaign_keeps_offers_5_minutes_unless_told(sm):
    cid = await new_campaign(sm, mode="preview")
    async with sm() as s:
        assert (await s.get(Campaign, cid)).offer_minutes == 5
