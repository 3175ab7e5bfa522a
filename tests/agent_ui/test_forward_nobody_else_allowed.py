"""转派 where the step's rules name nobody but its holder: at 故障报修's 派工 of a bureau with one
handler (whoever did 接收确认, or a handler of 所属供电局: both 2001), the order page offered 转派
with an empty 交给 list, and any pick was refused ``target_not_operator``. The order view now says
so (``manage_blocked``: ``forward`` → ``no_other_operator``) from the same rule as the candidates
list (``actions.forward_targets`` and ``may_receive``), and the page shows the button disabled with
why; once the bureau has a second handler the flag is gone and the list offers them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agent_ui.conftest import Session, act, add_user, new_order, sign_in

TEXTS = Path(__file__).resolve().parents[2] / "agent_ui" / "texts"


async def test_forward_is_blocked_while_the_steps_rules_name_nobody_else(client, aiohttp_client, world):
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent)
    key = f"/api/orders/{order['id']}"
    holder = await sign_in(aiohttp_client, client, "2001")
    view = await act(holder, order, "approve", {"opinion": "收到"})
    assert view["node"]["id"] == "dispatch" and [h["staff_no"] for h in view["handlers"]] == ["2001"]

    # the holder keeps 转派 among their actions, but the server says it has nobody to go to
    assert view["manage"] == ["forward"]
    assert view["manage_blocked"] == {"forward": "no_other_operator"}
    for lang in ("zh-CN", "en"):  # the page's words for why, on the disabled button
        texts = json.loads((TEXTS / f"{lang}.json").read_text(encoding="utf-8"))
        assert texts["order.manage.blocked.no_other_operator"], lang
    status, listed = await holder.call("GET", f"{key}/candidates")
    assert status == 200 and listed["items"] == []
    status, refused = await holder.call("POST", f"{key}/forward", {"to": world.people["1001"]})
    assert status == 409 and refused["error_id"] == "target_not_operator", refused

    # a team leader viewing it is not the holder: nothing of theirs is blocked (改派 is theirs)
    leader = await sign_in(aiohttp_client, client, "3001")
    status, seen = await leader.call("GET", key)
    assert "reassign" in seen["manage"] and seen["manage_blocked"] == {}

    # a disabled colleague of the bureau is nobody to forward to either
    await add_user(world, "2003", "陈抢修", ["handler"], "HD")
    admin = await sign_in(aiohttp_client, client, "9001")
    status, body = await admin.call("PATCH", "/api/users/2003", {"active": False})
    assert status == 200, body
    status, view = await holder.call("GET", key)
    assert view["manage_blocked"] == {"forward": "no_other_operator"}

    # a second active handler of the bureau: 转派 is offered, to them
    status, body = await admin.call("PATCH", "/api/users/2003", {"active": True})
    assert status == 200, body
    status, view = await holder.call("GET", key)
    assert view["manage"] == ["forward"] and view["manage_blocked"] == {}
    status, listed = await holder.call("GET", f"{key}/candidates")
    assert [p["staff_no"] for p in listed["items"]] == ["2003"]
    view = await act(holder, order, "forward", {"to": world.people["2003"], "opinion": "你熟悉这条线"})
    assert [h["staff_no"] for h in view["handlers"]] == ["2003"]


async def test_only_the_steps_holder_is_told(client, aiohttp_client, world):
    """The agent who raised the order holds no step of it: no 转派, nothing blocked."""
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent)
    status, view = await agent.call("GET", f"/api/orders/{order['id']}")
    assert view["my_step"] is False and view["manage"] == [] and view["manage_blocked"] == {}
