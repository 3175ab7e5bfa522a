"""处理过程 tells the customer's call in from a 回呼 (QA 2026-11-29 #14: both read 通话 13200000012):
each call on the order's timeline keeps its direction, and a call out names who placed it
(``placed_by``, 名字 and 工号, as the timeline names a person), nobody when its agent is unknown."""

from __future__ import annotations

from sqlalchemy import insert

from tests.agent_ui.conftest import Session, new_order
from ticketing.models import Interaction, order_interactions


async def test_a_call_out_names_who_placed_it_and_a_call_in_nobody(client, world):
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, caller_number="13200000012")
    async with world.services.sessionmaker.begin() as db:
        for call_id, direction, staff_no in (
            ("in.1", "inbound", "1001"),
            ("out.1", "outbound", "1001"),
            ("out.2", "outbound", ""),
        ):
            call = Interaction(
                kind="call", external_id=call_id, direction=direction, number="13200000012", agent_id=staff_no
            )
            db.add(call)
            await db.flush()
            await db.execute(insert(order_interactions).values(order_id=order["id"], interaction_id=call.id))
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    calls = {e["direction"] + (e["agent_id"] or ""): e for e in view["timeline"] if e["kind"] == "call"}
    assert calls["outbound1001"]["placed_by"] == {"staff_no": "1001", "name": "王坐席"}
    assert calls["outbound"]["placed_by"] is None
    assert calls["inbound1001"]["placed_by"] is None
