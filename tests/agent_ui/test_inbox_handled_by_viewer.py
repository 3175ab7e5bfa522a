"""显示已处理 lists what the viewer handled (QA-13): a supervisor works 未分派事件 and
colleagues' events, none of them ever assigned to them, so what they closed, linked or made an
order from vanished from every list — the close reason and the order it joined with it. Each
event they handled is listed with its outcome (已关闭（原因）/ the 工单号); a colleague's
handling is not theirs to see there."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_inbox_event_owner import _event, _order, _supervisor


async def test_a_supervisors_handled_waiting_events_are_listed_with_their_outcome(
    client, aiohttp_client, world
):
    await _supervisor(world)
    closed = await _event(world, "sms", "sms-closed", owner=None)
    linked = await _event(world, "email", "mail-linked", owner=None)
    made = await _event(world, "sms", "sms-made", owner=None)
    colleagues = await _event(world, "sms", "sms-colleague", owner="1001")
    order = await _order(world)
    headers = {"X-CSRF-Token": await login(client, "4001")}
    resp = await client.post(
        f"/api/inbox/{closed}/close", json={"reason": "已电话答复峰谷电价申请方式"}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    resp = await client.post(f"/api/inbox/{linked}/link", json={"order": order["number"]}, headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await client.post(
        f"/api/inbox/{made}/order",
        json={"workflow": "consult", "category": "consult", "form": {"答复内容": "已答复"}},
        headers=headers,
    )
    assert resp.status == 201, await resp.text()
    made_number = (await resp.json())["number"]

    # a colleague handles their own: not the supervisor's to list
    agent = await aiohttp_client(client.server)
    agent_headers = {"X-CSRF-Token": await login(agent, "1001")}
    resp = await agent.post(f"/api/inbox/{colleagues}/close", json={"reason": "重复"}, headers=agent_headers)
    assert resp.status == 200, await resp.text()

    assert (await (await client.get("/api/inbox")).json())["items"] == []  # nothing open
    listed = {e["id"]: e for e in (await (await client.get("/api/inbox?handled=1")).json())["items"]}
    assert set(listed) == {closed, linked, made}
    assert all(e["status"] == "handled" for e in listed.values())
    assert listed[closed]["closed"]["reason"] == "已电话答复峰谷电价申请方式"
    assert listed[closed]["closed"]["by"] == "4001" and listed[closed]["orders"] == []
    assert listed[linked]["orders"] == [order["number"]]
    assert listed[made]["orders"] == [made_number]

    mine = {e["id"]: e for e in (await (await agent.get("/api/inbox?handled=1")).json())["items"]}
    assert set(mine) == {colleagues} and mine[colleagues]["closed"]["reason"] == "重复"
