"""受理单: a 停用 site picked by id and a call the agent may not link are named with the form's
other problems, in one refusal (QA: the seat's route refused them before the engine gathered the
rest, so the agent fixed the site, resubmitted, and only then heard of the empty 故障地址 and the
bad 联系电话). Nothing is written."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.agent_ui.conftest import chaoyang_bureau, login, sign_in
from ticketing.models import CallLeg, Interaction, Site, WorkOrder, utcnow


async def _orders(world) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(func.count(WorkOrder.id)))


async def _refused(client, token: str, **body) -> dict:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "subcategory": "fault_lv", "submit": True, **body},
        headers={"X-CSRF-Token": token, "Accept-Language": "zh-CN"},
    )
    refused = await resp.json()
    assert (resp.status, refused["error_id"]) == (422, "invalid_fields"), refused
    return refused


async def test_a_disabled_site_and_an_unlinkable_call_come_with_the_forms_problems(
    client, aiohttp_client, world
):
    await chaoyang_bureau(world)
    async with world.services.sessionmaker.begin() as db:
        cy = await db.scalar(select(Site.id).where(Site.code == "CY"))
        others_call = Interaction(
            kind="call", external_id="1795772547.9", number="13100000483", agent_id="3001"
        )
        db.add(others_call)
        await db.flush()
        db.add(CallLeg(interaction_id=others_call.id, agent_id="3001", answered_at=utcnow()))
        call_id = others_call.id
    admin = await sign_in(aiohttp_client, client, "9001")
    status, _ = await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": False})
    assert status == 200
    token = await login(client, "1001")
    before = await _orders(world)

    # 停用 朝阳 by id, no 故障地址 nor 所属供电局, a bad number: all at once, the form's head first
    refused = await _refused(client, token, site_id=cy, form={"故障名称": "停电"}, caller_number="12ab")
    assert refused["details"]["problems"] == {
        "caller_number": "field_bad_phone",
        "site_id": "field_site_disabled",
        "故障地址": "field_required",
        "所属供电局": "field_required",
    }
    assert "故障地址（必填）" in refused["message"] and "联系电话（电话号码有误）" in refused["message"]

    # a colleague's call linked, a 所属供电局 that does not exist and no 故障地址: together too
    refused = await _refused(
        client, token, interaction_ids=[call_id], form={"故障名称": "停电", "所属供电局": "NOPE"}
    )
    assert refused["details"]["problems"] == {
        "interaction_ids": "field_interaction_not_yours",
        "故障地址": "field_required",
        "所属供电局": "field_unknown_site",
    }
    assert await _orders(world) == before  # nothing was written
