"""提醒 holds only what its user may open (QA: the bell listed, counted and popped up notices about
orders outside the user's data scope, e.g. one they sent back (退单) that went on to another
bureau, or an alert to someone outside the order's bureau, and clicking one ended on a 403). The
list, its unread count and the live pop-ups follow the check that opening an order makes; the
count is every such unread row, not only the newest 50 listed. And a 退单 tells the creator it
was sent back, from which step, by whom and why, not 有新工单."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from tests.agent_ui.conftest import (
    Session,
    act,
    chaoyang_bureau,
    next_message,
    overrun_alert,
    routed_order,
    sign_in,
)
from ticketing.events import TicketReminder, TicketRouted

TEXTS = Path(__file__).resolve().parents[2] / "agent_ui" / "texts"
REASON = "地址在朝阳区，不属本局"


async def _send_back(aiohttp_client, client, order: dict) -> None:
    """2001 sends the order back (退单) to 1001 (on ``client``), who corrects it to 朝阳."""
    await act(await sign_in(aiohttp_client, client, "2001"), order, "reject", {"opinion": REASON})
    agent = await Session.signed_in(client, "1001")
    # back on its create step without a 小类别 (the order named none): picked, as at intake
    body = {"form": {"所属供电局": "CY"}, "subcategory": "fault_lv", "opinion": "更正所属供电局"}
    await act(agent, order, "submit", body)


async def test_the_bell_lists_and_counts_only_the_orders_its_user_may_open(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    moved = await routed_order(client)
    kept = await routed_order(client)
    await _send_back(aiohttp_client, client, moved)  # 2001's 有新工单 of it: now 朝阳's order
    # more alerts than the list shows, and the same alerts to 朝阳's handler, outside 海淀
    await overrun_alert(world, kept["id"], "2001", "2101", times=55)

    handler = await sign_in(aiohttp_client, client, "2001")
    assert (await handler.client.get(f"/orders/{moved['number']}")).status == 403  # why it is left out
    for query in ("", "?unread=1"):
        status, bell = await handler.call("GET", f"/api/notifications{query}")
        assert len(bell["items"]) == 50 and {i["order_id"] for i in bell["items"]} == {kept["id"]}
        assert bell["unread"] == 56  # its 有新工单 and 55 overruns, not the moved order's row
    status, read = await handler.call("POST", "/api/notifications/read", {"ids": [bell["items"][0]["id"]]})
    assert read["unread"] == 55

    right = await sign_in(aiohttp_client, client, "2101")
    status, bell = await right.call("GET", "/api/notifications")
    assert [(i["kind"], i["order_id"]) for i in bell["items"]] == [("routed", moved["id"])]
    assert bell["unread"] == 1
    assert (await right.client.get(f"/orders/{moved['number']}")).status == 200  # what it lists opens
    assert (await right.call("GET", "/api/notifications"))[1]["unread"] == 0


async def _order_events(ws, until_order: int) -> list[dict]:
    """The tab's order events up to the one about ``until_order``, and any a moment after it."""
    seen: list[dict] = []
    while not any(e["order_id"] == until_order for e in seen):
        seen.append((await next_message(ws, "order"))["event"])
    with contextlib.suppress(TimeoutError):
        while True:
            seen.append((await next_message(ws, "order", within=0.5))["event"])
    return seen


async def test_a_pop_up_reaches_only_those_who_may_open_its_order(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    haidian = await routed_order(client)
    handler = await sign_in(aiohttp_client, client, "2001")
    right = await sign_in(aiohttp_client, client, "2101")
    async with handler.client.ws_connect("/ws") as mine, right.client.ws_connect("/ws") as theirs:
        await next_message(mine, "snapshot")
        await next_message(theirs, "snapshot")
        # a step or a reminder naming 朝阳's handler on 海淀's order, and 海淀's handler too
        common = {"order_id": haidian["id"], "number": haidian["number"]}
        await world.bus.publish(
            TicketRouted(**common, node="confirm", status="已流转", handlers=("2101", "2001"))
        )
        await world.bus.publish(TicketReminder(**common, staff_no="2101", kind="overrun", urgency="urgent"))
        chaoyang = await routed_order(client, "CY")  # 2101's own: its pop-up comes
        events = await _order_events(theirs, chaoyang["id"])
        assert [e["event"] for e in events if e["order_id"] == chaoyang["id"]] == ["TicketRouted"]
        assert [e for e in events if e["order_id"] == haidian["id"]] == []
        events = await _order_events(mine, haidian["id"])
        assert [e["event"] for e in events if e["order_id"] == haidian["id"]] == ["TicketRouted"]


async def test_a_returned_order_tells_its_creator_it_was_sent_back_by_whom_and_why(
    client, aiohttp_client, world
):
    order = await routed_order(client)
    handler = await sign_in(aiohttp_client, client, "2001")
    async with client.ws_connect("/ws") as tab:
        await next_message(tab, "snapshot")
        await act(handler, order, "reject", {"opinion": REASON})
        while (event := (await next_message(tab, "order"))["event"])["event"] != "TicketRouted":
            pass
    said = f"工单在接收确认被李抢修（2001）退单，意见：{REASON}"
    assert event["handlers"] == ["1001"] and event["kind"] == "returned" and event["message"] == said
    bell = await (await client.get("/api/notifications")).json()
    assert bell["unread"] == 1
    assert [(i["kind"], i["message"], i["number"]) for i in bell["items"]] == [
        ("returned", said, order["number"])
    ]
    # the bell and the pop-up name it; the order's timeline has the 退单 as its opinion already
    zh = json.loads((TEXTS / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((TEXTS / "en.json").read_text(encoding="utf-8"))
    assert zh["notice_kind.returned"] == "退单" and en["notice_kind.returned"]
    assert all("{number}" in t["alert.returned"] and "{message}" in t["alert.returned"] for t in (zh, en))
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert [e for e in view["timeline"] if e["kind"] == "screen"] == []
    assert (await (await client.get("/api/notifications")).json())["unread"] == 0  # opened: read
