"""QA: a visit-back campaign worked by agents recorded nothing usable. The agent's card offered
only a 结果代码, the order's survey was refused to them (order.visit_back), and a 不满意 code opened
no complaint and recorded no survey. Now the agent whose call the contact is records the order's
survey from the card (the order page's dimensions and path: a dissatisfied answer opens the linked
complaint), the contact's 结果代码 follows it, and a bare 满意 / 不满意 code is refused for it."""

from __future__ import annotations

from sqlalchemy import select

from campaigns import store
from tests.agent_ui.conftest import Session, sign_in
from tests.agent_ui.visit_back_setup import (
    dialer_of,
    order_at_visit_back,
    start_visit_back_campaign,
    visit_back_dialled,
)
from ticketing.models import AuditLog, CampaignContact, SurveyResult


async def test_the_agent_records_the_visit_back_survey_from_the_card(client, aiohttp_client, world):
    # the dialer offers the order's contact to the agent, who dials it
    order, contact_id = await visit_back_dialled(client, aiohttp_client, world, "1001")
    agent = await Session.signed_in(client, "1001")
    leader = await sign_in(aiohttp_client, client, "3001")  # this world's 班长

    # the card asks the order page's questions
    status, survey = await agent.call("GET", f"/api/campaign-contacts/{contact_id}/survey")
    assert status == 200, survey
    assert survey["due"] is True and survey["order_number"] == order["number"]
    status, page = await leader.call("GET", f"/api/orders/{order['id']}/survey")
    assert survey["dimensions"] == page["dimensions"] and survey["dimensions"]

    # a bare 不满意 code would open no complaint: refused, the survey is the way
    status, refused = await agent.call(
        "POST", f"/api/campaign-contacts/{contact_id}/disposition", {"code": "dissatisfied"}
    )
    assert status == 409 and refused["error_id"] == "campaign.survey_instead", refused
    # another agent may not record it
    other = await Session.signed_in(await aiohttp_client(client.server), "3001")
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, refused = await other.call(
        "POST", f"/api/campaign-contacts/{contact_id}/survey", {"answers": unhappy}
    )
    assert status == 403 and refused["error_id"] == "campaign.contact_not_yours", refused

    status, saved = await agent.call(
        "POST",
        f"/api/campaign-contacts/{contact_id}/survey",
        {"answers": unhappy, "remark": "抢修太慢"},
    )
    assert status == 201, saved
    (result,) = saved["results"]
    assert result["satisfied"] is False and result["follow_up"]  # the linked complaint
    assert saved["contact"]["disposition"] == "dissatisfied" and saved["due"] is False
    status, view = await leader.call("GET", f"/api/orders/{order['id']}")
    assert [link["number"] for link in view["links"]] == [result["follow_up"]]

    async with world.services.sessionmaker() as db:
        (row,) = await db.scalars(select(SurveyResult))
        assert row.user_id == world.people["1001"] and row.remark == "抢修太慢"
        contact = await db.get(CampaignContact, contact_id)
        assert (contact.disposition, contact.notes) == ("dissatisfied", "抢修太慢")
        actions = [a.action for a in await db.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert "survey.record" in actions and "campaign.disposition" in actions

    # once recorded, not again (from the card or the order page)
    status, again = await agent.call(
        "POST", f"/api/campaign-contacts/{contact_id}/survey", {"answers": unhappy}
    )
    assert status == 409 and again["error_id"] == "survey_recorded", again


async def test_no_survey_before_the_customer_answers_nor_on_a_list(client, aiohttp_client, world):
    await order_at_visit_back(client, aiohttp_client)
    agent = await Session.signed_in(client, "1001")
    await start_visit_back_campaign(await sign_in(aiohttp_client, client, "3001"), "progressive", "回访")
    dialer, phone = dialer_of(world, "1001")
    await dialer.tick()
    [(_, _, call_id)] = phone.placed
    await dialer.on_outcome(call_id, "no_answer")
    async with world.services.sessionmaker() as db:
        (contact,) = await db.scalars(select(CampaignContact))
    status, survey = await agent.call("GET", f"/api/campaign-contacts/{contact.id}/survey")
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, refused = await agent.call(
        "POST", f"/api/campaign-contacts/{contact.id}/survey", {"answers": unhappy}
    )
    assert status == 409 and refused["error_id"] == "campaign.not_answered", refused
    async with world.services.sessionmaker() as db:
        assert not list(await db.scalars(select(SurveyResult)))
        assert await store.last_caller(db, await db.get(CampaignContact, contact.id)) == "1001"


async def test_the_card_survey_is_documented_for_agents(client):
    agent = await Session.signed_in(client, "1001")
    status, spec = await agent.call("GET", "/api/openapi.json")
    post = spec["paths"]["/api/campaign-contacts/{contact_id}/survey"]["post"]
    assert post["x-permission"] == "call.control" and "agent" in post["x-roles"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["answers"] and body["properties"]["remark"]["maxLength"] == 1000
