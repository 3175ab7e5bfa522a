"""Campaigns are audited like the rest: creating, starting, pausing, finishing and committing a
list import each write an audit row (who, what, before/after), as campaign.update and dnc.add do."""

from __future__ import annotations

from aiohttp import FormData
from sqlalchemy import select

from campaigns import importer
from tests.agent_ui.conftest import login
from ticketing.models import AuditLog


def _form(cid: int, text: str, commit: str) -> FormData:
    data = FormData()
    data.add_field("file", text.encode(), filename="list.csv", content_type="text/csv")
    data.add_field("mapping", '{"number": "电话"}')
    data.add_field("commit", commit)
    data.add_field("checked", importer.upload_token(cid, text.encode(), {"number": "电话"}))
    return data


async def test_a_campaigns_life_is_in_the_audit_log(client, world):
    h = {"X-CSRF-Token": await login(client, "3001")}
    resp = await client.post(
        "/api/campaigns",
        json={"name": "满意度回访", "queue": "service", "mode": "preview", "windows": ["09:00-20:00"]},
        headers=h,
    )
    assert resp.status == 201, await resp.text()
    cid = (await resp.json())["id"]
    text = "电话\n13800000001\n13800000002\n95598\n"
    check = await client.post(f"/api/campaigns/{cid}/import", data=_form(cid, text, "0"), headers=h)
    assert check.status == 200  # a check writes nothing, to the list or to the log
    committed = await client.post(f"/api/campaigns/{cid}/import", data=_form(cid, text, "1"), headers=h)
    assert committed.status == 200 and (await committed.json())["accepted"] == 2
    for action in ("start", "pause", "start", "finish"):
        resp = await client.post(f"/api/campaigns/{cid}/{action}", headers=h)
        assert resp.status == 200, await resp.text()
    refused = await client.post(f"/api/campaigns/{cid}/start", headers=h)
    assert refused.status != 200  # a refused change is not in the log

    async with world.services.sessionmaker() as db:
        rows = list(
            await db.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "campaign", AuditLog.entity_id == str(cid))
                .order_by(AuditLog.id)
            )
        )
    assert [(r.action, r.actor, r.user_id) for r in rows] == [
        (action, "3001", world.people["3001"])
        for action in (
            "campaign.create",
            "campaign.import",
            "campaign.start",
            "campaign.pause",
            "campaign.start",
            "campaign.finish",
        )
    ]
    created, imported, *moves = rows
    assert created.before is None
    assert {k: created.after[k] for k in ("name", "queue", "mode", "status", "windows")} == {
        "name": "满意度回访",
        "queue": "service",
        "mode": "preview",
        "status": "draft",
        "windows": ["09:00-20:00"],
    }
    assert imported.after == {
        "filename": "list.csv",
        "mapping": {"number": "电话"},
        "total": 3,
        "accepted": 2,
        "rejected": 1,
        "reasons": {"service_number": 1},
        "added": 2,
    }
    assert [(m.before, m.after) for m in moves] == [
        ({"status": "draft"}, {"status": "running"}),
        ({"status": "running"}, {"status": "paused"}),
        ({"status": "paused"}, {"status": "running"}),
        ({"status": "running"}, {"status": "finished"}),
    ]
