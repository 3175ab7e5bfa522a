"""The agent's console when the dialer restarts with a preview offer on their card (the cti
process crashed or was redeployed, its role moved): the new dialer takes the offer over, and the
agent's socket is told it again counting to the same moment, 拨打 works and a reconnect finds it;
or, the offer no longer holding, the socket is told it is withdrawn (the card's 外呼服务已重启…)
and a reconnect finds none, the contact back in the list as it was. QA: the card kept showing a
customer the new dialer had put back in the list, to be offered to a colleague.

Real ``Dialer.run`` tasks on the console's database and bus, the first cancelled as a dying
process loses its memory."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from sqlalchemy import select, update

from campaigns import store
from campaigns.dialer import Dialer
from tests.agent_ui.conftest import Session, next_message, sign_in
from tests.campaigns.test_store_and_dialer import Clock, FakeTelephony, dialer_for
from ticketing.models import CampaignContact

NUMBER = "13800001111"


async def _campaign_event(ws, name: str, within: float = 5.0) -> dict:
    """The next campaign event of that name the agent's socket receives (others skipped)."""

    async def wait() -> dict:
        while True:
            msg = await next_message(ws, "order", within)
            if msg["event"]["event"] == name:
                return msg["event"]

    return await asyncio.wait_for(wait(), within)


async def _running(dialer: Dialer) -> asyncio.Task:
    task = asyncio.create_task(dialer.run())
    for _ in range(500):
        if dialer.running:
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the dialer did not start")


async def _stopped(task: asyncio.Task) -> None:
    """The dialer's task ends as its process dies: what it held in memory is gone."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _offered_then_stopped(world, ws, clock: Clock) -> tuple[int, int, dict]:
    """A preview campaign (every day, 5 minutes' hold) whose one contact was tried once, offered
    to 1001 by a running dialer that then stops: (campaign id, contact id, the card 1001's socket
    got)."""
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)
        campaign = await store.create_campaign(
            db, name="停电回访", queue="service", mode="preview", every_day=True, offer_minutes=5
        )
        contact = await store.add_contact(db, campaign, NUMBER, name="张三", source_key="k1")
        await store.set_status(db, campaign, "start")
        assert contact is not None
        cid = campaign.id
        await db.execute(
            update(CampaignContact)
            .where(CampaignContact.id == contact.id)
            .values(attempts=1, last_outcome="no_answer", next_attempt_at=clock.utc - dt.timedelta(minutes=1))
        )
    first = dialer_for(world.services.sessionmaker, FakeTelephony({"service": ["1001"]}), world.bus, clock)
    world.services.dialer = first
    task = await _running(first)
    card = await _campaign_event(ws, "CampaignContactOffered")
    assert (card["staff_no"], card["number"], card["attempts"]) == ("1001", NUMBER, 1)
    await _stopped(task)
    world.services.dialer = None  # no dialer while the process is down
    return cid, card["contact_id"], card


async def _contact(world, contact_id: int) -> CampaignContact:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(CampaignContact).where(CampaignContact.id == contact_id))


async def test_the_offer_taken_over_is_told_again_and_dialled(client, world):
    clock = Clock()
    clock.utc = dt.datetime.now(dt.UTC)
    agent = await Session.signed_in(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await next_message(ws, "snapshot")
        _, contact_id, card = await _offered_then_stopped(world, ws, clock)

        clock.advance(90)  # the new process is up a minute and a half later
        second = dialer_for(
            world.services.sessionmaker, FakeTelephony({"service": ["1001"]}), world.bus, clock
        )
        world.services.dialer = second
        task = await _running(second)
        try:
            # the card is told the same offer, counting to the same moment: 3.5 minutes left
            again = await _campaign_event(ws, "CampaignContactOffered")
            assert (again["contact_id"], again["staff_no"], again["number"]) == (contact_id, "1001", NUMBER)
            assert abs(again["held_until"] - card["held_until"]) < 0.01
            status, found = await agent.call("GET", "/api/campaign-offer")  # a reconnect's snapshot asks
            assert status == 200, found
            assert found["offer"]["contact_id"] == contact_id
            assert abs(found["offer"]["held_until"] - card["held_until"]) < 0.01

            # 拨打 on it: the new dialer places the call, and the card becomes the call's
            status, dialled = await agent.call("POST", f"/api/campaign-contacts/{contact_id}/dial")
            assert status == 200, dialled
            placed = await _campaign_event(ws, "CampaignCallPlaced")
            assert (placed["contact_id"], placed["call_id"]) == (contact_id, dialled["call_id"])
        finally:
            await _stopped(task)
    contact = await _contact(world, contact_id)
    assert (contact.state, contact.agent_id, contact.attempts, contact.offered_at) == (
        "dialing",
        "1001",
        1,
        None,
    )


async def test_an_offer_no_longer_held_is_withdrawn_from_the_card(client, aiohttp_client, world):
    clock = Clock()
    clock.utc = dt.datetime.now(dt.UTC)
    agent = await Session.signed_in(client, "1001")
    leader = await sign_in(aiohttp_client, client, "3001")
    began = clock.utc
    async with client.ws_connect("/ws") as ws:
        await next_message(ws, "snapshot")
        cid, contact_id, _ = await _offered_then_stopped(world, ws, clock)
        # the team leader pauses the campaign while no dialer runs
        status, paused = await leader.call("POST", f"/api/campaigns/{cid}/pause")
        assert status == 200, paused

        clock.advance(60)
        second = dialer_for(
            world.services.sessionmaker, FakeTelephony({"service": ["1001"]}), world.bus, clock
        )
        world.services.dialer = second
        task = await _running(second)
        try:
            withdrawn = await _campaign_event(ws, "CampaignOfferWithdrawn")
            assert (withdrawn["contact_id"], withdrawn["staff_no"], withdrawn["reason"]) == (
                contact_id,
                "1001",
                "campaign.dialer_restarted",
            )
            status, found = await agent.call("GET", "/api/campaign-offer")  # a reconnect finds none
            assert (status, found["offer"]) == (200, None)
            contact = await _contact(world, contact_id)
            # back in the list as it was: its attempt, last outcome and retry time kept
            assert (contact.state, contact.attempts, contact.last_outcome, contact.offered_at) == (
                "pending",
                1,
                "no_answer",
                None,
            )
            assert contact.next_attempt_at == began - dt.timedelta(minutes=1)

            # resumed: the customer is offered again, their earlier attempt counted
            status, resumed = await leader.call("POST", f"/api/campaigns/{cid}/start")
            assert status == 200, resumed
            offered = await _campaign_event(ws, "CampaignContactOffered")
            assert (offered["contact_id"], offered["attempts"]) == (contact_id, 1)
        finally:
            await _stopped(task)
