"""The set-ups of the visit-back stories on the console API: a fault order brought to its
满意度回访 step, and a visit-back campaign whose contact for it an agent has dialled."""

from __future__ import annotations

import datetime as dt

from campaigns import store
from campaigns.dialer import Dialer
from tests.agent_ui.conftest import Session, new_order, sign_in
from tests.agent_ui.test_orders import FAULT, to_visit_back
from tests.campaigns.test_store_and_dialer import Clock, FakeTelephony, dialer_for

CALLER = "13800000001"


async def order_at_visit_back(client, aiohttp_client) -> dict:
    """An HD fault order (``FAULT``, called in from ``CALLER``) 1001 took, HD's handler 2001
    repaired and 1001 replied to: at the team leader's 满意度回访 step. Each on a browser of their
    own, so ``client`` stays signed out."""
    order = await new_order(await sign_in(aiohttp_client, client, "1001"), form=FAULT, caller_number=CALLER)
    await to_visit_back(
        await sign_in(aiohttp_client, client, "1001"), await sign_in(aiohttp_client, client, "2001"), order
    )
    return order


async def start_visit_back_campaign(leader: Session, mode: str = "preview", name: str = "满意度回访") -> dict:
    """A visit-back campaign on the service queue, every day, started by ``leader`` (a team
    leader): both answers asserted."""
    status, campaign = await leader.call(
        "POST",
        "/api/campaigns",
        {"name": name, "queue": "service", "kind": "visit_back", "mode": mode, "every_day": True},
    )
    assert status == 201, campaign
    status, started = await leader.call("POST", f"/api/campaigns/{campaign['id']}/start")
    assert status == 200, started
    return campaign


def dialer_of(world, agent: str) -> tuple[Dialer, FakeTelephony]:
    """The dialer on the console's database and bus, its clock now, ``agent`` the one ready
    member of the service queue; and the telephony it places calls on."""
    phone, clock = FakeTelephony({"service": [agent]}), Clock()
    clock.utc = dt.datetime.now(dt.UTC)
    return dialer_for(world.services.sessionmaker, phone, world.bus, clock), phone


async def visit_back_dialled(client, aiohttp_client, world, agent: str = "1001") -> tuple[dict, int]:
    """``order_at_visit_back``'s order, its contact in a started preview visit-back campaign
    offered to ``agent`` and dialled: (the order, the contact's id)."""
    order = await order_at_visit_back(client, aiohttp_client)
    await start_visit_back_campaign(await sign_in(aiohttp_client, client, "3001"))  # this world's 班长
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)  # the dialer's start adds them
    dialer, _ = dialer_of(world, agent)
    await dialer.tick()
    contact_id = dialer.offered(agent)
    assert contact_id
    ok, detail = await dialer.preview_dial(agent, contact_id)
    assert ok, detail
    return order, contact_id
