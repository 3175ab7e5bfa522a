"""A 结果代码 is what a call found (QA: a team leader recorded 满意 and 不满意 on contacts never
dialed; the report showed 拨打次数 0 with 满意 1 while the contacts stayed 待拨): a contact never
called takes no result, in words, from anyone; a final result on a contact waiting for a retry
ends its dialing."""

import datetime as dt

from sqlalchemy import select

from campaigns import store
from tests.agent_ui.conftest import login
from tests.agent_ui.test_campaigns import _list, _new
from ticketing.models import AuditLog, CampaignContact

URL = "/api/campaign-contacts/{}/disposition"


async def test_a_contact_never_called_takes_no_result(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}  # the team leader (in the test world)
    cid = await _new(client, h)
    await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, "电话\n13800000001\n"), headers=h)
    (contact,) = (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)  # the dialer's start adds them
    for code in ("satisfied", "dissatisfied", "wrong_number"):
        resp = await client.post(URL.format(contact["id"]), json={"code": code, "notes": "未拨打"}, headers=h)
        body = await resp.json()
        assert resp.status == 409 and body["error_id"] == "campaign.never_called", body
        assert body["message"].startswith("该联系人还没有拨打过")
    view = await (await client.get(f"/api/campaigns/{cid}")).json()
    assert view["progress"]["dispositions"] == {} and view["contacts"][0]["state"] == "pending"
    async with world.services.sessionmaker() as db:
        assert not list(await db.scalars(select(AuditLog).where(AuditLog.action == "campaign.disposition")))


async def test_a_final_result_after_an_unanswered_call_ends_the_contacts_dialing(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, "电话\n13800000001\n"), headers=h)
    (contact,) = (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]
    retry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with world.services.sessionmaker.begin() as db:  # rang once, nobody answered: a retry is due
        await store.ensure_dispositions(db)
        row = await db.get(CampaignContact, contact["id"])
        row.attempts, row.last_outcome, row.next_attempt_at = 1, "no_answer", retry
    resp = await client.post(URL.format(contact["id"]), json={"code": "wrong_number"}, headers=h)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["state"] == "failed"
    async with world.services.sessionmaker() as db:
        assert await store.due_contacts(db, cid, retry + dt.timedelta(days=7), 10) == []
        (audit,) = await db.scalars(select(AuditLog).where(AuditLog.action == "campaign.disposition"))
        assert (audit.actor, audit.before["state"], audit.after["state"]) == ("3001", "pending", "failed")
