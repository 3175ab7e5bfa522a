"""A tab watches the orders it shows (their events reach it) only within its user's data scope:
a 广州 handler asking to watch a 海淀 order read its 督办 opinions live over the websocket,
though the order's page and API refuse them (QA 2026-11-27 #1)."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.events import TicketReminder
from ticketing.models import Site, User
from ticketing.sites import create_site
from ticketing.workflow.engine import create_order


async def _orders(world) -> dict[str, int]:
    """An order in 海淀 (the world's bureau, handler 2001) and one in 广州 (handler 5101)."""
    async with world.services.sessionmaker.begin() as db:
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        gz = await create_site(db, "440100", "广州市供电局", parent=hq, kind="bureau")
        await users.create_user(
            db, "5101", "广州抢修", PASSWORD, roles=["handler"], site_id=gz.id, must_change_password=False
        )
        agent = await db.get(User, world.people["1001"])
        orders = {}
        for name, site in (("hd", hd), ("gz", gz)):
            order = await create_order(
                db,
                agent,
                workflow="fault_repair",
                site_id=site.id,
                form={"故障名称": "电表故障", "故障地址": "解放路180号", "所属供电局": site.code},
                caller_number="13800138006",
                link_call=False,
            )
            orders[name] = order.id
        return orders


async def _order_messages(ws, within: float) -> list[dict]:
    seen = []
    try:
        async with asyncio.timeout(within):
            while True:
                message = json.loads((await ws.receive()).data)
                if message["type"] == "order":
                    seen.append(message["event"])
    except TimeoutError:
        return seen


async def test_a_tab_cannot_watch_an_order_outside_its_scope(aiohttp_client, client, world):
    orders = await _orders(world)
    await login(client, "5101")  # 广州
    hq_agent = await aiohttp_client(client.server)
    await login(hq_agent, "1001")  # the hotline's agent at HQ: every bureau's orders

    async with client.ws_connect("/ws") as gz_tab, hq_agent.ws_connect("/ws") as hq_tab:
        await gz_tab.send_json(
            {"id": 1, "cmd": "watch", "args": {"orders": [orders["hd"], orders["gz"], 999999]}}
        )
        await hq_tab.send_json({"id": 1, "cmd": "watch", "args": {"orders": [orders["hd"]]}})
        acks = {}
        for name, ws in (("gz", gz_tab), ("hq", hq_tab)):
            while True:
                message = json.loads((await ws.receive()).data)
                if message["type"] == "ack":
                    acks[name] = message["result"]
                    break

        # a 督办 of the 海淀 order, for 2001's screen: its opinion is 海淀's business
        secret = TicketReminder(
            order_id=orders["hd"],
            number="HD-1",
            staff_no="2001",
            kind="supervise",
            message="督办: 客户张三 138xxxx",
        )
        await world.bus.publish(secret)
        own = TicketReminder(
            order_id=orders["gz"], number="GZ-1", staff_no="2001", kind="supervise", message="督办"
        )
        await world.bus.publish(own)
        gz_seen, hq_seen = await asyncio.gather(_order_messages(gz_tab, 1.0), _order_messages(hq_tab, 1.0))
    assert [e["order_id"] for e in gz_seen] == [orders["gz"]]
    assert [e["order_id"] for e in hq_seen] == [orders["hd"]]
    # the ack says which orders the tab watches
    assert acks == {"gz": {"orders": [orders["gz"]]}, "hq": {"orders": [orders["hd"]]}}
