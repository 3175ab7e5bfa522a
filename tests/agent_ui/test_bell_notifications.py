"""提醒 in the header (QA: reminders, overrun alerts and 'new order for you' vanished with their
pop-up): each user's screen notifications are kept, listed newest first with their order, counted
while unread, marked read by their own user only (API and websocket), every tab told; the order's
timeline shows who was alerted on screen, and whether they read it."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from tests.agent_ui.conftest import login, next_message, overrun_alert, routed_order
from ticketing.models import Notification


async def test_kept_listed_and_read_by_their_own_user_only(client, aiohttp_client, world):
    order = await routed_order(client)
    await overrun_alert(world, order["id"], "2001", "3001")
    handler = await aiohttp_client(client.server)
    token = await login(handler, "2001")
    body = await (await handler.get("/api/notifications")).json()
    assert body["unread"] == 2
    kinds = [(i["kind"], i["number"], i["urgency"], i["sticky"], i["read_at"]) for i in body["items"]]
    assert kinds == [
        ("overrun", order["number"], "urgent", True, None),  # newest first
        ("routed", order["number"], "normal", False, None),
    ]
    assert body["items"][0]["order_id"] == order["id"] and body["items"][0]["message"] == "工单已超期"
    # the agent who created it was not told about their own order; 3001 has their overrun only
    assert (await (await client.get("/api/notifications")).json())["unread"] == 0
    async with world.services.sessionmaker() as db:
        leaders = list(
            await db.scalars(select(Notification.id).where(Notification.user_id == world.people["3001"]))
        )
    # 2001 names 3001's row: nothing of 3001's is marked
    resp = await handler.post(
        "/api/notifications/read", json={"ids": leaders}, headers={"X-CSRF-Token": token}
    )
    assert resp.status == 200 and await resp.json() == {"ids": [], "unread": 2}
    mine = body["items"][0]["id"]
    resp = await handler.post(
        "/api/notifications/read", json={"ids": [mine]}, headers={"X-CSRF-Token": token}
    )
    assert await resp.json() == {"ids": [mine], "unread": 1}
    resp = await handler.post("/api/notifications/read", json={"all": True}, headers={"X-CSRF-Token": token})
    assert (await resp.json())["unread"] == 0
    after = await (await handler.get("/api/notifications")).json()
    assert after["unread"] == 0 and all(i["read_at"] for i in after["items"])
    async with world.services.sessionmaker() as db:
        unread = await db.scalars(
            select(Notification.user_id).where(
                Notification.channel == "screen", Notification.read_at.is_(None)
            )
        )
        assert list(unread) == [world.people["3001"]]


async def test_bad_requests_and_strangers_are_refused(client):
    assert (await client.get("/api/notifications")).status == 401
    token = await login(client, "1001")
    for bad in ({}, {"ids": []}, {"ids": ["1"]}, {"ids": [0]}, {"all": "yes"}):
        resp = await client.post("/api/notifications/read", json=bad, headers={"X-CSRF-Token": token})
        assert resp.status == 400, bad
    resp = await client.post("/api/notifications/read", json={"all": True})  # no CSRF token
    assert resp.status == 403


async def test_every_tab_hears_of_a_read_and_the_socket_marks_only_mine(client, aiohttp_client, world):
    order = await routed_order(client)
    await overrun_alert(world, order["id"], "2001", "3001")
    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    items = (await (await handler.get("/api/notifications")).json())["items"]
    async with world.services.sessionmaker() as db:
        leaders = list(
            await db.scalars(select(Notification.id).where(Notification.user_id == world.people["3001"]))
        )
    async with handler.ws_connect("/ws") as one, handler.ws_connect("/ws") as two:
        await next_message(one, "snapshot")
        await next_message(two, "snapshot")
        await one.send_str(json.dumps({"id": 1, "cmd": "notifications_read", "args": {"ids": leaders}}))
        ack = await next_message(one, "ack")
        assert ack["result"] == {"ids": [], "unread": 2}
        await one.send_str(
            json.dumps({"id": 2, "cmd": "notifications_read", "args": {"ids": [items[0]["id"]]}})
        )
        ack = await next_message(one, "ack")
        assert ack["result"] == {"ids": [items[0]["id"]], "unread": 1}

        async def read_event(ws):
            while True:
                msg = await next_message(ws, "order")
                if msg["event"]["event"] == "ScreenAlertsRead" and msg["event"]["ids"]:
                    return msg["event"]

        event = await asyncio.wait_for(read_event(two), 3)
        assert event["staff_no"] == "2001" and event["ids"] == [items[0]["id"]] and event["unread"] == 1
        await one.send_str(json.dumps({"id": 3, "cmd": "notifications_read", "args": {"ids": "all"}}))
        refused = await next_message(one, "refused")
        assert refused["error_id"] == "request.invalid"
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, leaders[0])
        assert row.read_at is None


async def test_the_timeline_says_who_was_alerted_on_screen_and_whether_they_read_it(
    client, aiohttp_client, world
):
    order = await routed_order(client)
    await overrun_alert(world, order["id"], "2001")
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [alert] = [e for e in view["timeline"] if e["kind"] == "screen"]  # not the 有新工单 (its status says it)
    assert alert["internal"] is True and alert["alert_kind"] == "overrun" and alert["urgency"] == "urgent"
    assert alert["to_user"]["staff_no"] == "2001" and alert["content"] == "工单已超期"
    assert alert["read_at"] is None
    handler = await aiohttp_client(client.server)
    token = await login(handler, "2001")
    await handler.post("/api/notifications/read", json={"all": True}, headers={"X-CSRF-Token": token})
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [alert] = [e for e in view["timeline"] if e["kind"] == "screen"]
    assert alert["read_at"]


async def test_every_page_has_the_bell(client):
    await login(client, "2001")
    for page in ("/lists/mine", "/knowledge"):
        html = await (await client.get(page)).text()
        assert 'id="bell-count"' in html and 'id="bell-list"' in html and 'id="urgent-alerts"' in html
        # the urgent band is in the page's flow above its content, as served (no script moves it)
        assert html.index('id="urgent-alerts"') < html.index('<main id="main"')
