"""回呼 from the console on the real Asterisk: the seat pops whom the agent is calling (the customer
matched by the number, marked outbound) as soon as the agent's own phone rings, and the pop follows
the call: answered, or over when the customer does not answer."""

from __future__ import annotations

import asyncio

import pytest

from tests.agent_ui.test_seat_asterisk import Tab, seat  # noqa: F401 (the fixture)
from ticketing.customers import create_customer

pytestmark = pytest.mark.asterisk


async def test_click_to_dial_pops_the_customer_while_the_agents_phone_rings(client, seat, world):  # noqa: F811
    staff_no, net, bridge = seat
    async with world.services.sessionmaker.begin() as db:
        customer = await create_customer(db, "8800000001", "回呼客户", phones=["13900139001"])
    await net.action("DBPut", Family="hotline-sim", Key=f"ring-{staff_no}", Val="1")
    await net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
    async with client.ws_connect("/ws") as ws:
        tab = Tab(ws)
        await tab.next("snapshot")
        assert (await tab.command("pause", reason="小休"))["type"] == "ack"
        ack = await tab.command("dial", number="13900139001")
        assert ack["type"] == "ack", ack
        call_id = ack["result"]["call_id"]
        await tab.next("agent_state", state="ringing", call_id=call_id)
        pop = await tab.next("screen_pop", call_id=call_id, within=5)
        # the agent's phone rings for a second before the customer is dialled
        assert bridge.agent(staff_no)["state"] == "ringing"
        assert pop["event"]["direction"] == "outbound"
        assert pop["event"]["caller"] == pop["event"]["dnis"] == "13900139001"
        assert [m["id"] for m in pop["pop"]["matches"]] == [customer.id]
        # a reload while it rings pops the same call, outbound
        async with client.ws_connect("/ws") as again:
            snap = await Tab(again).next("snapshot")
            assert [(c["call_id"], c["direction"]) for c in snap["calls"]] == [(call_id, "outbound")]
        answered = await tab.next("call", event="CallAnswered", call_id=call_id, within=10)
        assert answered["event"]["direction"] == "outbound"
        await tab.next("call", event="CallEnded", call_id=call_id, within=10)

        # nobody answers: the pop comes, and the seat leaves ringing when the dial gives up
        ack = await tab.command("dial", number="13900139000")
        call_id = ack["result"]["call_id"]
        pop = await tab.next("screen_pop", call_id=call_id, within=5)
        assert pop["event"]["direction"] == "outbound" and pop["pop"]["matches"] == []
        assert (await tab.command("hangup"))["type"] == "ack"
        over = await tab.next("agent_state", previous="ringing", state="not_ready", within=10)
        assert over["event"]["reason"] == "小休"  # back on the break it dialled from
        # as the page clears the pop (agent_state), a reload shows none
        for _ in range(50):
            if all(c["call_id"] != call_id for c in bridge.calls()):
                break
            await asyncio.sleep(0.1)
        async with client.ws_connect("/ws") as again:
            assert (await Tab(again).next("snapshot"))["calls"] == []
