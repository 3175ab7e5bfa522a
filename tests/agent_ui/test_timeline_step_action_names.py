"""处理过程 names what was done at a step as the step's own button does (QA): 故障报修's 接收确认
read 批准 接收确认 on the timeline although the handler pressed 接收确认 (the button, the print
and the audit log all say so); its 退回 is 退单. Other steps keep the action's word."""

from __future__ import annotations

from tests.agent_ui.conftest import FAULT, act, new_order, sign_in
from tests.agent_ui.test_orders import crew_time


def opinions(view: dict) -> list[tuple[str, str, str]]:
    return [
        (e["action"], e["action_name"], e["node_name"]) for e in view["timeline"] if e["kind"] == "comment"
    ]


async def test_the_receipt_step_is_named_by_its_buttons_on_the_timeline(aiohttp_client, client):
    agent = await sign_in(aiohttp_client, client, "1001")
    handler = await sign_in(aiohttp_client, client, "2001")

    accepted = await new_order(agent, form=FAULT)
    view = await act(handler, accepted, "approve", {"opinion": "收到"})
    view = await act(
        handler,
        accepted,
        "submit",
        {"form": {"抢修人员": "张师傅", "派工时间": crew_time(0)}, "opinion": "已派张师傅"},
    )
    assert opinions(view) == [("approve", "接收确认", "接收确认"), ("submit", "", "派工")]

    returned = await new_order(agent, form=FAULT)
    view = await act(handler, returned, "reject", {"opinion": "不是本局的地址"})
    assert opinions(view) == [("reject", "退单", "接收确认")]
