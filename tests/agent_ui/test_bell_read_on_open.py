"""Opening an order reads the viewer's 提醒 about it (a helpdesk bell's usual way): before, only
clicking a row in the bell did, so a handler who went to the order from their list still had
its 有新工单 and overrun alerts counted unread. The order's page and its API (GET) mark the
viewer's own unread rows of that order read, nobody else's and no other order's, and every tab
of theirs hears ScreenAlertsRead, as from the bell."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import login, next_message, overrun_alert, routed_order
from ticketing.models import Notification


async def _unread(world, staff: str) -> list[tuple[int, int]]:
    async with world.services.sessionmaker() as db:
        rows = await db.execute(
            select(Notification.order_id, Notification.id).where(
                Notification.user_id == world.people[staff],
                Notification.channel == "screen",
                Notification.read_at.is_(None),
            )
        )
        return sorted(tuple(r) for r in rows)


async def _read_event(ws) -> dict:
    while True:
        msg = await next_message(ws, "order")
        if msg["event"]["event"] == "ScreenAlertsRead":
            return msg["event"]


@pytest.mark.parametrize("opened", ["/api/orders/{id}", "/orders/{id}", "/orders/{number}"])
async def test_opening_an_order_reads_my_alerts_about_it(client, aiohttp_client, world, opened):
    order = await routed_order(client)
    other = await routed_order(client)
    await overrun_alert(world, order["id"], "2001", "3001")
    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    before = await _unread(world, "2001")
    about = [i for o, i in before if o == order["id"]]
    assert len(about) == 2  # its 有新工单 and the overrun
    leader = await _unread(world, "3001")
    async with handler.ws_connect("/ws") as tab:
        await next_message(tab, "snapshot")
        resp = await handler.get(opened.format(**order))
        assert resp.status == 200
        event = await asyncio.wait_for(_read_event(tab), 3)
    assert event["staff_no"] == "2001" and sorted(event["ids"]) == sorted(about)
    assert event["every"] is False and event["unread"] == 1
    # the other order's row stays unread, and so do 3001's rows of this one
    assert await _unread(world, "2001") == [(other["id"], i) for o, i in before if o == other["id"]]
    assert await _unread(world, "3001") == leader
    bell = await (await handler.get("/api/notifications")).json()
    assert bell["unread"] == 1
    if opened.startswith("/api/"):
        # the view it answers already shows the alert read
        view = await resp.json()
        alerts = {e["to_user"]["staff_no"]: e for e in view["timeline"] if e["kind"] == "screen"}
        assert alerts["2001"]["read_at"] and alerts["3001"]["read_at"] is None


async def test_once_read_the_order_opens_as_before(client, aiohttp_client, world):
    order = await routed_order(client)
    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    assert [o for o, _ in await _unread(world, "2001")] == [order["id"]]  # its 有新工单
    assert (await handler.get(f"/api/orders/{order['id']}")).status == 200
    assert await _unread(world, "2001") == []
    # a second look finds nothing to read; the creator (no alerts) sees it as before
    assert (await handler.get(f"/api/orders/{order['id']}")).status == 200
    assert (await client.get(f"/api/orders/{order['id']}")).status == 200
