"""QA-21: after another bureau's handler sent a misrouted fault back (退单), 处理过程 read as if
they had accepted it (「已受理 · 深圳抢修…」 and then 「退单 接收确认 · …」). The 退单 is one
entry: who, at which step (``node_name``), as the step names it (``action_name`` 退单), why
(``text``), the status it led to (``led_to`` 已受理) and the step it went back to (``back_to``
受理); its status change is not a second entry of its own."""

from __future__ import annotations

from tests.agent_ui.conftest import act, routed_order, sign_in

REASON = "地址在朝阳区，不属本局"


async def test_a_return_is_one_entry_naming_the_step_it_went_back_to(client, aiohttp_client):
    order = await routed_order(client)  # at 海淀's 接收确认
    view = await act(await sign_in(aiohttp_client, client, "2001"), order, "reject", {"opinion": REASON})
    [returned] = [e for e in view["timeline"] if e["kind"] == "comment" and e["action"] == "reject"]
    assert (returned["node_name"], returned["action_name"], returned["text"]) == ("接收确认", "退单", REASON)
    assert returned["user"]["staff_no"] == "2001"
    assert (returned["led_to"], returned["back_to"]) == ("已受理", "受理")
    # the change to 已受理 is the 退单's, said on its line: the page draws no second one
    [change] = [
        e for e in view["timeline"] if e["kind"] == "status" and e.get("comment_id") == returned["id"]
    ]
    assert change["status"] == "已受理" and change["action"] == "reject"
    # anything else carries no back_to
    assert all(e.get("back_to") is None for e in view["timeline"] if e is not returned)
