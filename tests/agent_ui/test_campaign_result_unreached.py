"""The campaign API after QA 2026-11-29 #5 and #9.

#5: a contact whose call nobody answered took 结果代码 满意 from the agent's card and counted as
satisfied. The card's codes say which need an answered call (``needs_answer``), and the agent's
满意 after 无人接听 is refused in words, while 号码错误 is recorded.
#9: a supervisor (campaigns.read only) was offered 暂停 / 结束 / 开始 and refused on pressing: the
campaign's ``actions`` are the status changes the viewer may make, none for them."""

from __future__ import annotations

from sqlalchemy import select

from campaigns import store
from tests.agent_ui.conftest import Session, add_user, sign_in
from tests.agent_ui.test_campaigns import _list
from tests.agent_ui.visit_back_setup import dialer_of
from ticketing.models import CampaignContact


async def _list_campaign(leader: Session, name: str = "回访名单") -> int:
    status, campaign = await leader.call(
        "POST", "/api/campaigns", {"name": name, "queue": "service", "mode": "progressive", "every_day": True}
    )
    assert status == 201, campaign
    cid = campaign["id"]
    resp = await leader.client.post(
        f"/api/campaigns/{cid}/import",
        data=_list(cid, "电话\n13800138000\n"),
        headers={"X-CSRF-Token": leader.token},
    )
    assert resp.status == 200, await resp.text()
    return cid


async def test_the_agent_cannot_record_satisfied_for_a_customer_who_never_answered(
    client, aiohttp_client, world
):
    leader = await sign_in(aiohttp_client, client, "3001")  # this world's 班长
    cid = await _list_campaign(leader)
    status, started = await leader.call("POST", f"/api/campaigns/{cid}/start")
    assert status == 200, started
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)  # the dialer's start adds them
    dialer, phone = dialer_of(world, "1001")
    await dialer.tick()
    [(_, _, call_id)] = phone.placed
    await dialer.on_outcome(call_id, "no_answer")
    async with world.services.sessionmaker() as db:
        (contact_id,) = await db.scalars(select(CampaignContact.id))

    agent = await Session.signed_in(client, "1001")
    status, listed = await agent.call("GET", "/api/campaign-dispositions")
    assert status == 200
    needs = {d["code"]: d["needs_answer"] for d in listed["dispositions"]}
    assert needs["satisfied"] and needs["resolved"] and not needs["wrong_number"] and not needs["call_later"]

    url = f"/api/campaign-contacts/{contact_id}/disposition"
    status, refused = await agent.call("POST", url, {"code": "satisfied", "notes": "无人接听"})
    assert status == 409 and refused["error_id"] == "campaign.needs_answer", refused
    assert refused["message"].startswith("客户未接通，不能记录该结果代码"), refused
    status, view = await leader.call("GET", f"/api/campaigns/{cid}")
    assert view["progress"]["dispositions"] == {} and view["contacts"][0]["disposition"] == ""

    status, saved = await agent.call("POST", url, {"code": "wrong_number"})
    assert status == 200 and (saved["disposition"], saved["state"]) == ("wrong_number", "failed"), saved


async def test_a_supervisor_is_offered_no_status_change(client, aiohttp_client, world):
    await add_user(world, "3101", "质检潘桂", ["supervisor"])
    leader = await sign_in(aiohttp_client, client, "3001")
    cid = await _list_campaign(leader)
    status, listed = await leader.call("GET", "/api/campaigns")
    assert [c["actions"] for c in listed["campaigns"]] == [["start", "finish"]]

    supervisor = await sign_in(aiohttp_client, client, "3101")
    status, listed = await supervisor.call("GET", "/api/campaigns")
    assert status == 200 and [c["actions"] for c in listed["campaigns"]] == [[]]
    status, one = await supervisor.call("GET", f"/api/campaigns/{cid}")
    assert status == 200 and one["actions"] == [] and one["editable"] is True
    # and refused all the same, if sent by hand
    status, refused = await supervisor.call("POST", f"/api/campaigns/{cid}/start")
    assert status == 403, refused
