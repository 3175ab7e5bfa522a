"""处理过程 names the crew an order was dispatched to: 已派工 alone said not to whom. Each crew
picked is an opinion ``dispatch_crew`` (派工（抢修班组）) whose words are the crew as the order
keeps it, at 暂存 as at 提交, once per pick."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.agent_ui.conftest import (
    Session,
    act,
    new_crew,
    order_at_dispatch,
    site_ids,
)


async def test_the_timeline_names_the_crew_dispatched(aiohttp_client, client, world):
    admin = await Session.signed_in(client, "9001")
    crew = await new_crew(
        admin,
        "海淀抢修一班",
        (await site_ids(admin))["HD"],
        leader="赵强",
        phones="13800001111",
        vehicle="京A·12345",
    )
    handler, order = await order_at_dispatch(aiohttp_client, client)
    # picked on 暂存, then 提交 with the same crew: one pick, named once
    status, saved = await handler.call(
        "POST", f"/api/orders/{order['id']}/save", {"form": {"抢修班组": crew["id"]}}
    )
    assert status == 200, saved
    order = await act(handler, order, "submit", {"form": {"抢修班组": crew["id"], "派工时间": _now_wall()}})
    assert order["node"]["id"] == "onsite"
    picks = [e for e in order["timeline"] if e.get("action") == "dispatch_crew"]
    assert [(e["kind"], e["node"], e["text"]) for e in picks] == [
        ("comment", "dispatch", "海淀抢修一班（赵强 13800001111，京A·12345）")
    ]
    assert picks[0]["user"]["staff_no"] == "2001"
    # the status it led to is still there, beside it
    assert any(e["kind"] == "status" and e["status"] == "已派工" for e in order["timeline"])


def _now_wall() -> str:
    """派工时间 as the page fills it: the site's wall time now (not ahead of the clock)."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
