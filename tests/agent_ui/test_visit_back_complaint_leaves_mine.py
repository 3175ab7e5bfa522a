"""A dissatisfied visit-back opens a complaint that goes on to 报事审核, its reviewer's to-do
(DOMAIN §3: 我未完成任务 holds what is assigned to me and what I received at intake, open). The
campaign's agent who recorded the visit-back has nothing left to do on it, so it is not in their
我未完成任务 (it stayed there, as if they still had to act, because they created it), while they
still find it among the orders they received (search by 受理人) and the reviewer has it to do."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, sign_in
from tests.agent_ui.visit_back_setup import visit_back_dialled


async def _numbers(who: Session, **params: str) -> set[str]:
    status, found = await who.call("GET", "/api/orders?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert status == 200, found
    return {o["number"] for o in found["items"]}


async def _count_mine(who: Session) -> int:
    async with who.client.ws_connect("/ws") as ws:
        return (await ws.receive_json())["work"]["mine"]


async def test_the_visit_back_complaint_leaves_the_agents_open_work_for_the_reviewers(
    client, aiohttp_client, world
):
    order, contact_id = await visit_back_dialled(client, aiohttp_client, world, "1001")
    agent = await Session.signed_in(client, "1001")
    leader = await sign_in(aiohttp_client, client, "3001")  # this world's 班长
    before = await _count_mine(agent)

    status, survey = await agent.call("GET", f"/api/campaign-contacts/{contact_id}/survey")
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, saved = await agent.call(
        "POST", f"/api/campaign-contacts/{contact_id}/survey", {"answers": unhappy, "remark": "抢修太慢"}
    )
    assert status == 201, saved
    (result,) = saved["results"]
    complaint = result["follow_up"]
    assert result["satisfied"] is False and complaint

    status, found = await leader.call("GET", f"/api/orders?list=search&number={complaint}")
    assert [o["status"] for o in found["items"]] == ["待审核"]  # at 报事审核, the 班长's
    assert complaint in await _numbers(leader, list="mine")
    # the agent: nothing to do on it, but it is theirs to find
    assert complaint not in await _numbers(agent, list="mine")
    assert await _count_mine(agent) == before
    assert complaint in await _numbers(agent, list="search", receiver="1001")
    # an order the agent received at intake and routed on stays theirs until it is done
    assert order["number"] in await _numbers(agent, list="mine")
