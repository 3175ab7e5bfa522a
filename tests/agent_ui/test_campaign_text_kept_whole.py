"""A do-not-call reason and a disposition's notes are kept whole or refused in words, never cut
(QA: a 400-character DNC reason was stored as its first 255)."""

from sqlalchemy import func, select

from campaigns import store
from tests.agent_ui.conftest import login
from tests.agent_ui.test_campaigns import _list, _new
from ticketing.models import CampaignContact, DncNumber


async def test_an_over_long_dnc_reason_is_refused_not_cut(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    resp = await client.post(
        "/api/campaigns-dnc", json={"number": "13700000001", "reason": "原因" * 200}, headers=h
    )
    body = await resp.json()
    assert (resp.status, body["error_id"], body["message"]) == (
        422,
        "campaign.dnc_reason_too_long",
        "免打扰原因不能超过 255 字",
    )
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(DncNumber)) == 0
    listed = await client.post(
        "/api/campaigns-dnc", json={"number": "13700000001", "reason": ["x"]}, headers=h
    )
    assert listed.status == 400 and (await listed.json())["details"]["field"] == "reason"
    resp = await client.post(
        "/api/campaigns-dnc", json={"number": "13700000001", "reason": "因" * 255}, headers=h
    )
    assert resp.status == 201 and len((await resp.json())["reason"]) == 255


async def test_over_long_disposition_notes_are_refused_not_cut(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    cid = await _new(client, h)
    await client.post(f"/api/campaigns/{cid}/import", data=_list(cid, "电话\n13800000001\n"), headers=h)
    (contact,) = (await (await client.get(f"/api/campaigns/{cid}")).json())["contacts"]
    async with world.services.sessionmaker.begin() as db:
        await store.ensure_dispositions(db)
        (await db.get(CampaignContact, contact["id"])).attempts = 1
    url = f"/api/campaign-contacts/{contact['id']}/disposition"
    resp = await client.post(url, json={"code": "resolved", "notes": "记" * 2001}, headers=h)
    body = await resp.json()
    assert (resp.status, body["error_id"], body["message"]) == (
        422,
        "campaign.notes_too_long",
        "备注不能超过 2000 字",
    )
    resp = await client.post(url, json={"code": "resolved", "notes": "记" * 2000}, headers=h)
    assert resp.status == 200 and len((await resp.json())["notes"]) == 2000
