"""A visit-back campaign is the whole hotline's: its contacts go to whoever of the queue is ready,
an agent of another bureau too. QA: an agent of 朝阳 (CY) offered the visit-back of a 海淀 (HD)
order dialled the customer, but the card's survey was refused (forbidden: the order's site is
outside their data scope), so the customer's answers went nowhere. The contact assigned to the
agent grants that order's survey, and the complaint a dissatisfied answer opens, and nothing else:
the order page, the order's own survey route and other contacts stay refused. The complaint goes on
to the team leaders' 报事审核 (DOMAIN: the team leader handles what a visit-back raises), not to the
agent's 登记."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, add_user, chaoyang_bureau
from tests.agent_ui.visit_back_setup import visit_back_dialled
from ticketing.models import Assignment, SurveyResult, WorkOrder


async def test_an_agent_of_another_bureau_records_the_survey_of_the_contact_assigned(
    client, aiohttp_client, world
):
    await chaoyang_bureau(world)
    await add_user(world, "5301", "朝阳坐席", ["agent"], "CY")
    await add_user(world, "5302", "朝阳坐席二", ["agent"], "CY")
    order, contact_id = await visit_back_dialled(client, aiohttp_client, world, "5301")
    agent = await Session.signed_in(client, "5301")

    # the card's survey: the order's questions, though HD is outside the agent's scope
    status, survey = await agent.call("GET", f"/api/campaign-contacts/{contact_id}/survey")
    assert status == 200, survey
    assert survey["due"] is True and survey["order_number"] == order["number"]
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, saved = await agent.call(
        "POST", f"/api/campaign-contacts/{contact_id}/survey", {"answers": unhappy, "remark": "等了一天"}
    )
    assert status == 201, saved
    (result,) = saved["results"]
    assert result["satisfied"] is False and result["follow_up"]
    assert saved["contact"]["disposition"] == "dissatisfied"

    # nothing else widened: the order page, the order's own survey, the complaint, another contact
    status, refused = await agent.call("GET", f"/api/orders/{order['id']}")
    assert status == 403, refused
    status, refused = await agent.call("GET", f"/api/orders/{order['id']}/survey")
    assert status == 403, refused
    status, refused = await agent.call("GET", f"/api/orders/{result['follow_up']}")
    assert status == 403, refused
    colleague = await Session.signed_in(await aiohttp_client(client.server), "5302")
    status, refused = await colleague.call("GET", f"/api/campaign-contacts/{contact_id}/survey")
    assert (status, refused["error_id"]) == (403, "campaign.contact_not_yours"), refused

    async with world.services.sessionmaker() as db:
        (row,) = await db.scalars(select(SurveyResult))
        assert row.user_id == world.people["5301"] and row.remark == "等了一天"
        complaint = await db.scalar(select(WorkOrder).where(WorkOrder.number == result["follow_up"]))
        # at the HD order's site, sent on to the team leader's 报事审核, not waiting for the agent
        assert complaint.site_id == (await db.get(WorkOrder, order["id"])).site_id
        assert complaint.current_node == "review" and complaint.form["所属区域"] == "HD"
        assert "等了一天" in complaint.form["投诉内容"]
        pending = await db.scalars(
            select(Assignment.user_id).where(
                Assignment.order_id == complaint.id, Assignment.state == "pending"
            )
        )
        assert set(pending) == {world.people["3001"]}


async def test_an_agents_dissatisfied_visit_back_goes_to_the_team_leader(client, aiohttp_client, world):
    order, contact_id = await visit_back_dialled(client, aiohttp_client, world, "1001")
    agent = await Session.signed_in(client, "1001")
    status, survey = await agent.call("GET", f"/api/campaign-contacts/{contact_id}/survey")
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, saved = await agent.call(
        "POST", f"/api/campaign-contacts/{contact_id}/survey", {"answers": unhappy}
    )
    assert status == 201, saved
    number = saved["results"][0]["follow_up"]

    # the team leader has it to review; the agent has nothing to do on it
    leader = await Session.signed_in(await aiohttp_client(client.server), "3001")
    status, view = await leader.call("GET", f"/api/orders/{number}")
    assert status == 200, view
    assert view["node"]["id"] == "review" and view["status"] == "待审核"
    async with world.services.sessionmaker() as db:
        complaint = await db.scalar(select(WorkOrder).where(WorkOrder.number == number))
        rows = (
            await db.execute(
                select(Assignment.node, Assignment.user_id, Assignment.state)
                .where(Assignment.order_id == complaint.id)
                .order_by(Assignment.id)
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            ("register", world.people["1001"], "done"),
            ("review", world.people["3001"], "pending"),
        ]
        # the survey's answers are in the complaint's form, which its reviewer reads
        assert all(f"{name}：不满意" in complaint.form["投诉内容"] for name in unhappy)
