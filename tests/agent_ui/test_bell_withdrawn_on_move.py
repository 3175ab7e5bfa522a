"""提醒 already on a screen follow the order's data scope too (the rest of the bell's scoping, QA:
a handler's bell kept showing, counting and popping up 有新工单 and an urgent overrun about an
order that had moved on to another bureau, which they could no longer open: a click ended on a
403). The move (所属供电局 corrected) withdraws them from the tabs of those it leaves
(``ScreenAlertsWithdrawn``, their 工号 only), and the list and count they read again hold
neither."""

from __future__ import annotations

import contextlib

from tests.agent_ui.conftest import (
    Session,
    act,
    chaoyang_bureau,
    next_message,
    overrun_alert,
    routed_order,
    sign_in,
)


async def _withdrawn(ws, within: float = 3.0) -> list[dict]:
    """The tab's ScreenAlertsWithdrawn events arriving within ``within`` seconds."""
    seen: list[dict] = []
    with contextlib.suppress(TimeoutError):
        while True:
            event = (await next_message(ws, "order", within=within))["event"]
            if event["event"] == "ScreenAlertsWithdrawn":
                seen.append(event)
                within = 0.5  # and any straggler right after it
    return seen


async def test_an_order_moved_away_takes_its_alerts_off_the_screens_it_left(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    moved = await routed_order(client)  # 2001's 有新工单
    kept = await routed_order(client)
    await overrun_alert(world, moved["id"], "2001")  # urgent: on 2001's screen until acknowledged
    await overrun_alert(world, kept["id"], "2001")
    handler = await sign_in(aiohttp_client, client, "2001")
    right = await sign_in(aiohttp_client, client, "2101")
    status, bell = await handler.call("GET", "/api/notifications")
    assert bell["unread"] == 4 and moved["id"] in {i["order_id"] for i in bell["items"]}

    async with handler.client.ws_connect("/ws") as mine, right.client.ws_connect("/ws") as theirs:
        await next_message(mine, "snapshot")
        await next_message(theirs, "snapshot")
        # 2001 sends it back (退单); its creator corrects it to 朝阳 and submits: it leaves 海淀
        await act(handler, moved, "reject", {"opinion": "地址在朝阳区，不属本局"})
        agent = await Session.signed_in(client, "1001")
        await act(
            agent,
            moved,
            "submit",
            {"form": {"所属供电局": "CY"}, "subcategory": "fault_lv", "opinion": "更正所属供电局"},
        )
        withdrawn = await _withdrawn(mine)
        assert [(e["order_id"], e["number"], e["staff_nos"]) for e in withdrawn] == [
            (moved["id"], moved["number"], ["2001"])
        ]
        # 朝阳's handler, who may open it now, loses nothing
        assert await _withdrawn(theirs, within=0.5) == []

    assert (await handler.client.get(f"/orders/{moved['number']}")).status == 403  # why they go
    status, bell = await handler.call("GET", "/api/notifications")
    assert {i["order_id"] for i in bell["items"]} == {kept["id"]}
    assert bell["unread"] == 2  # the kept order's 有新工单 and overrun


async def test_a_move_within_the_scope_withdraws_nothing(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    order = await routed_order(client)
    await overrun_alert(world, order["id"], "1001", "2001")
    agent = await Session.signed_in(client, "1001")
    handler = await sign_in(aiohttp_client, client, "2001")
    async with client.ws_connect("/ws") as ws:  # 1001 at 总部 (HQ) sees every bureau's orders
        await next_message(ws, "snapshot")
        await act(handler, order, "reject", {"opinion": "地址在朝阳区，不属本局"})
        await act(
            agent,
            order,
            "submit",
            {"form": {"所属供电局": "CY"}, "subcategory": "fault_lv", "opinion": "更正所属供电局"},
        )
        assert await _withdrawn(ws, within=1.0) == []
    status, bell = await agent.call("GET", "/api/notifications")
    assert order["id"] in {i["order_id"] for i in bell["items"]}
