"""QA 2026-11-29 #13 on the real Asterisk: the 95598 shift starts signed in 未就绪, every 待回复工单
called back before 就绪. 回呼 from a signed-out seat (未登录队列) was refused 坐席未登录队列，请先
就绪。; now it signs the seat into its queues paused with the login reason (签入未就绪: Asterisk
offers it no caller) and rings the agent's phone, then the customer, the call on the order."""

from __future__ import annotations

import pytest

from cti.agents import LOGIN_REASON
from tests.agent_ui.test_seat_asterisk import QUEUE, Tab, order_to_call_back, seat  # noqa: F401 (the fixture)

pytestmark = pytest.mark.asterisk


async def test_a_call_back_from_a_signed_out_seat_signs_it_in_not_ready(client, seat):  # noqa: F811
    staff_no, net, bridge = seat
    order = await order_to_call_back(client, net, staff_no)
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        assert bridge.agent(staff_no) is None  # not signed in since the bridge started
        ack = await tab.command("dial", number="13800138000", order_id=order["id"])
        assert ack["type"] == "ack", ack
        signed_in = await tab.next("agent_state", state="not_ready")
        assert signed_in["event"]["reason"] == LOGIN_REASON
        # in the queue, paused: no caller is offered while the agent calls customers back
        [member] = [
            f
            for f in await net.action_list("QueueStatus", Queue=QUEUE)
            if f.get("Event") == "QueueMember" and staff_no in (f.get("Location") or "")
        ]
        assert member.get("Paused") == "1", member
        # and the agent's phone rings for the call-back
        await tab.next("agent_state", state="ringing", call_id=ack["result"]["call_id"], within=10)
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    calls = [e for e in view["timeline"] if e["kind"] == "call"]
    assert [(c["direction"], c["number"]) for c in calls] == [("outbound", "13800138000")]
