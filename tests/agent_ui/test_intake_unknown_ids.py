"""Intake (POST /api/orders) names the customer, site and interactions of the new order by id:
an id that does not exist is a field error naming the field, in Chinese (it was a 500 from the
database's foreign key), and an interaction the agent may not link is refused the same way
(linking a call or recording opens its recording to whoever may read the order)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.agent_ui.conftest import login
from ticketing.intake import Intake, assign_to
from ticketing.models import CallLeg, Interaction, User, WorkOrder, utcnow

FORM = {"故障名称": "QA", "故障地址": "天河路1号", "所属供电局": "HD"}


async def _take(client, token, **extra):
    return await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "form": FORM, "submit": False, **extra},
        headers={"X-CSRF-Token": token, "Accept-Language": "zh-CN"},
    )


async def _orders(world) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(func.count(WorkOrder.id)))


async def test_unknown_customer_site_or_interaction_is_a_field_error(client, world):
    token = await login(client, "1001")
    before = await _orders(world)
    cases = (
        ({"customer_id": 999999}, "customer_id", "field_unknown_customer", "客户"),
        ({"interaction_ids": [999999]}, "interaction_ids", "field_unknown_interaction", "来电或事件不存在"),
        ({"site_id": 999999, "form": {"故障地址": "x"}}, "site_id", "field_unknown_site", "区域不存在"),
    )
    for extra, field, problem, words in cases:
        response = await _take(client, token, **extra)
        body = await response.json()
        assert response.status == 422, (extra, body)
        assert body["error_id"] == "invalid_fields"
        assert body["details"]["problems"] == {field: problem}
        assert words in body["message"], body["message"]
    assert await _orders(world) == before  # nothing was written


async def test_only_interactions_the_agent_may_link(client, aiohttp_client, world):
    async with world.services.sessionmaker.begin() as db:
        theirs = await Intake().receive(
            db, "voicemail", "1795772600.301", sender="13100000481", content="请回电"
        )
        await assign_to(db, None, theirs, await db.get(User, world.people["3001"]))
        mine = await Intake().receive(
            db, "voicemail", "1795772600.302", sender="13100000482", content="请回电"
        )
        await assign_to(db, None, mine, await db.get(User, world.people["1001"]))
        others_call = Interaction(
            kind="call", external_id="1795772547.1", number="13100000483", agent_id="3001"
        )
        my_call = Interaction(kind="call", external_id="1795772547.2", number="13100000484", agent_id="1001")
        db.add_all([others_call, my_call])
        await db.flush()
        db.add(CallLeg(interaction_id=others_call.id, agent_id="3001", answered_at=utcnow()))
        db.add(CallLeg(interaction_id=my_call.id, agent_id="1001", answered_at=utcnow()))
        recording = Interaction(kind="recording", external_id="1795772547.2", parent_id=my_call.id)
        db.add(recording)
        await db.flush()
        ids = {
            k: v.id
            for k, v in (
                ("theirs", theirs),
                ("mine", mine),
                ("others_call", others_call),
                ("my_call", my_call),
                ("recording", recording),
            )
        }
    token = await login(client, "1001")
    for name in ("theirs", "others_call", "recording"):
        response = await _take(client, token, interaction_ids=[ids["mine"], ids[name]])
        body = await response.json()
        assert response.status == 422, (name, body)
        assert body["details"]["problems"] == {"interaction_ids": "field_interaction_not_yours"}
    response = await _take(client, token, interaction_ids=[ids["mine"], ids["my_call"]])
    assert response.status == 201, await response.json()
