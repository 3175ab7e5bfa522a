"""A time typed before the one it must follow is refused naming that time (QA): 抢修完成's
完成时间 before the recorded 到达时间 reads 完成时间（不能早于到达时间 2026-11-29 17:20）, not a
vague rule in nested brackets; the page's field gets the same words on hover."""

from __future__ import annotations

from tests.agent_ui.conftest import act, order_at_dispatch
from tests.agent_ui.test_orders import crew_time


async def test_a_completion_before_the_arrival_names_the_arrival_and_its_time(aiohttp_client, client):
    handler, order = await order_at_dispatch(aiohttp_client, client)
    await act(handler, order, body={"form": {"抢修人员": "张师傅", "派工时间": crew_time(0)}})
    arrived = crew_time(1)
    await act(handler, order, body={"form": {"到达时间": arrived, "产权": "供电公司"}})

    status, refused = await handler.call(
        "POST",
        f"/api/orders/{order['id']}/submit",
        {"form": {"完成时间": crew_time(0), "处理描述": "更换保险"}},
    )
    assert status == 422, refused
    shown = arrived.replace("T", " ")
    assert refused["message"] == f"表单有误：完成时间（不能早于到达时间 {shown}）"
    # the code stays the code; the values its words name come beside it, for the field's tooltip
    assert refused["details"]["problems"] == {"完成时间": "field_before_earlier"}
    assert refused["details"]["problem_values"] == {"完成时间": {"earlier": "到达时间", "at": shown}}
