"""GET /api/campaign-offer: the preview offer the dialer holds for the signed-in agent, which the
seat's campaign card shows again after a reload or a reconnect, counting down to the dialer's
moment (``held_until``) from the server's time. QA: a reload lost the card while the customer
stayed held for the agent until the offer lapsed."""

from __future__ import annotations

import time

from campaigns import store
from campaigns.dialer import Dialer
from tests.agent_ui.conftest import Session
from tests.agent_ui.visit_back_setup import dialer_of


async def _offered_to_1001(world, name: str, **campaign: object) -> tuple[Dialer, int | None]:
    """A preview campaign ``name`` (``campaign``: create_campaign's further settings) started with
    张三 (13800001111) to call, and the seat's dialer's first tick, which offers them to 1001:
    (the dialer, now the world's; the contact offered)."""
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)
        started = await store.create_campaign(
            db, name=name, queue="service", mode="preview", every_day=True, **campaign
        )
        await store.add_contact(db, started, "13800001111", name="张三", source_key="k1")
        await store.set_status(db, started, "start")
    dialer, _ = dialer_of(world, "1001")
    world.services.dialer = dialer
    await dialer.tick()
    return dialer, dialer.offered("1001")


async def test_the_agent_gets_the_offer_held_for_them_until_it_is_skipped(client, world):
    dialer, contact_id = await _offered_to_1001(world, "停电回访", offer_minutes=4)
    assert contact_id

    agent = await Session.signed_in(client, "1001")
    before = time.time()
    status, found = await agent.call("GET", "/api/campaign-offer")
    assert status == 200, found
    offer = found["offer"]
    assert (offer["event"], offer["contact_id"], offer["number"], offer["campaign"]) == (
        "CampaignContactOffered",
        contact_id,
        "13800001111",
        "停电回访",
    )
    assert offer["offer_minutes"] == 4
    # the time left, as the server counts it: the card runs it down from server_time
    left = offer["held_until"] - found["server_time"]
    assert 4 * 60 - 5 < left <= 4 * 60 and found["server_time"] >= before

    # skipped: held no longer, and the card of a reload shows nothing
    assert await dialer.preview_skip("1001", contact_id)
    status, found = await agent.call("GET", "/api/campaign-offer")
    assert (status, found["offer"]) == (200, None)


async def test_a_seat_with_no_dialer_has_no_offer(client, world):
    world.services.dialer = None
    agent = await Session.signed_in(client, "1001")
    status, found = await agent.call("GET", "/api/campaign-offer")
    assert status == 200, found
    assert found["offer"] is None


async def test_the_agents_answered_call_comes_back_until_its_result_is_saved(client, world):
    """QA 2026-11-29 #22: a reload after a campaign call lost its card for good, the answered
    contact left with no 结果代码. The call owing its result comes back with the offer."""
    dialer, contact_id = await _offered_to_1001(world, "队列回呼")
    ok, call_id = await dialer.preview_dial("1001", contact_id)
    assert ok, call_id

    agent = await Session.signed_in(client, "1001")
    status, found = await agent.call("GET", "/api/campaign-offer")
    assert status == 200, found
    call = found["call"]  # on the line: the call's card, not an offer
    assert found["offer"] is None
    assert (call["event"], call["contact_id"], call["call_id"], call["number"], call["outcome"]) == (
        "CampaignCallPlaced",
        contact_id,
        call_id,
        "13800001111",
        "",
    )

    await dialer.on_outcome(call_id, "answered")  # the customer hung up: 话后处理, no result yet
    _, found = await agent.call("GET", "/api/campaign-offer")
    assert (found["call"]["contact_id"], found["call"]["outcome"]) == (contact_id, "answered")
    status, saved = await agent.call(
        "POST", f"/api/campaign-contacts/{contact_id}/disposition", {"code": "satisfied", "notes": ""}
    )
    assert status == 200, saved
    _, found = await agent.call("GET", "/api/campaign-offer")
    assert found["call"] is None  # the result is in: no card comes back


async def test_an_unanswered_call_owes_no_result(client, world):
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)
        campaign = await store.create_campaign(
            db, name="队列回呼", queue="service", mode="preview", every_day=True
        )
        await store.add_contact(db, campaign, "13800001111", source_key="k1")
        await store.set_status(db, campaign, "start")
    dialer, _ = dialer_of(world, "1001")
    world.services.dialer = dialer
    await dialer.tick()
    ok, call_id = await dialer.preview_dial("1001", dialer.offered("1001"))
    assert ok, call_id
    await dialer.on_outcome(call_id, "no_answer")
    agent = await Session.signed_in(client, "1001")
    _, found = await agent.call("GET", "/api/campaign-offer")
    assert found["call"] is None
