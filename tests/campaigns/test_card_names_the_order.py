"""A visit-back call's card says which work order it is about (QA: the dialer's events carried no
order number): the preview offer and the placed call name the contact's order."""

import datetime as dt

from sqlalchemy import select

from campaigns import store
from campaigns.events import CampaignCallPlaced, CampaignContactOffered
from tests.campaigns.test_store_and_dialer import NOW, Clock, FakeTelephony, bus, collect, dialer_for  # noqa: F401
from ticketing.models import Campaign, WorkflowDefinition, WorkOrder
from ticketing.seed import seed_defaults


async def _campaign_with_an_order(sm, mode: str) -> int:
    async with sm.begin() as s:
        await seed_defaults(s)
        await store.ensure_dispositions(s)
        order = WorkOrder(
            number="GZ2026112600001",
            category="fault",
            status="closed",
            caller_number="13800000001",
            closed_at=NOW - dt.timedelta(hours=1),
            is_open=False,
            workflow_id=await s.scalar(select(WorkflowDefinition.id).limit(1)),
            workflow_key="fault",
            workflow_version=1,
            current_node="archive",
        )
        s.add(order)
        await s.flush()
        campaign = await store.create_campaign(
            s, name="回访名单", queue="camp-a", mode=mode, calls_per_second=10
        )
        await store.add_contact(
            s, campaign, "13800000001", source_key="o1", order_id=order.id, priority_at=NOW
        )
        await store.add_contact(
            s, campaign, "13900000002", source_key="x", priority_at=NOW + dt.timedelta(seconds=1)
        )
        await store.set_status(s, await s.get(Campaign, campaign.id), "start")
        return campaign.id


async def test_the_placed_call_names_its_order(sm, bus):  # noqa: F811
    await _campaign_with_an_order(sm, "progressive")
    seen = collect(bus, CampaignCallPlaced)
    await dialer_for(sm, FakeTelephony({"camp-a": ["1001", "1002"]}), bus, Clock()).tick()
    await bus.drain()
    by_number = {e.number: e for e in seen}
    assert by_number["13800000001"].order_number == "GZ2026112600001" and by_number["13800000001"].order_id
    assert (by_number["13900000002"].order_number, by_number["13900000002"].order_id) == ("", 0)


async def test_the_preview_offer_names_its_order(sm, bus):  # noqa: F811
    await _campaign_with_an_order(sm, "preview")
    seen = collect(bus, CampaignContactOffered)
    await dialer_for(sm, FakeTelephony({"camp-a": ["1001"]}), bus, Clock()).tick()
    await bus.drain()
    (offer,) = seen
    assert offer.order_number == "GZ2026112600001"
