"""Input limits, told in words: a campaign's name (text, at most 100 characters: QA stored a
10,000-character one and a JSON list as "['a', 'b']"), its script (at most 5,000 characters: QA
stored 44 KB) and a visit-back survey's remark (at most 1,000: QA stored 500 KB)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.agent_ui.conftest import login
from tests.agent_ui.test_lists import FAULT
from ticketing.models import Campaign, SurveyResult


async def _count(world, model) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def test_a_campaigns_name_and_script_are_checked_for_type_and_length(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    for fields, error_id, words in (
        ({"name": "回" * 10_000}, "campaign.name_too_long", "活动名称不能超过 100 字"),
        ({"name": ["a", "b"]}, "campaign.bad_name", "活动名称须为文字"),
        ({"name": 12}, "campaign.bad_name", "活动名称须为文字"),
        ({"queue": ["service"]}, "campaign.unknown_queue", None),
        ({"queue": "q" * 10_000}, "campaign.unknown_queue", None),
        ({"script": "您好" * 22_000}, "campaign.script_too_long", "话术不能超过 5000 字"),
    ):
        resp = await client.post(
            "/api/campaigns", json={"name": "回访", "queue": "service", **fields}, headers=h
        )
        body = await resp.json()
        assert (resp.status, body["error_id"]) == (422, error_id), (fields, body)
        if words:
            assert body["message"] == words
    assert await _count(world, Campaign) == 0

    # at the limits: saved as given
    resp = await client.post(
        "/api/campaigns", json={"name": "回" * 100, "queue": "service", "script": "话" * 5000}, headers=h
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert (len(created["name"]), len(created["script"])) == (100, 5000)

    # an edit of the script has the same limit
    resp = await client.patch(f"/api/campaigns/{created['id']}", json={"script": "话" * 5001}, headers=h)
    body = await resp.json()
    assert (resp.status, body["error_id"], body["message"]) == (
        422,
        "campaign.script_too_long",
        "话术不能超过 5000 字",
    )
    detail = await (await client.get(f"/api/campaigns/{created['id']}")).json()
    assert len(detail["script"]) == 5000


async def test_a_survey_remark_has_a_limit(client, world, aiohttp_client):
    token = await login(client, "1001")
    order = await (
        await client.post(
            "/api/orders",
            json={"workflow": "fault_repair", "subcategory": "fault_lv", "form": FAULT},
            headers={"X-CSRF-Token": token},
        )
    ).json()
    leader = await aiohttp_client(client.server)
    h = {"X-CSRF-Token": await login(leader, "3001")}
    survey = await (await leader.get(f"/api/orders/{order['id']}/survey")).json()
    answers = {d["name"]: d["options"][0]["label"] for d in survey["dimensions"]}
    url = f"/api/orders/{order['id']}/survey"
    resp = await leader.post(url, json={"answers": answers, "remark": "意" * 500_000}, headers=h)
    body = await resp.json()
    assert (resp.status, body["error_id"]) == (422, "survey_remark_too_long"), body
    assert body["message"] == "回访意见不能超过 1000 字"
    # 1,000 characters pass the limit (this order is refused for another reason: not repaired yet)
    resp = await leader.post(url, json={"answers": answers, "remark": "意" * 1000}, headers=h)
    assert (await resp.json())["error_id"] == "survey_not_due"
    assert await _count(world, SurveyResult) == 0


async def test_the_campaign_page_keeps_the_name_and_script_within_the_limits(client):
    await login(client, "3001")
    page = await (await client.get("/campaigns")).text()
    assert 'name="name" required maxlength="100"' in page
    assert page.count('<textarea name="script" rows="3" maxlength="5000">') == 2  # new and edit
