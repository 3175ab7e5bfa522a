"""提前结束 pressed on the wrong outage is put right on the page (QA-30): 撤销提前结束 gives the
notice back the end it had, as a new version told to callers again, the ended version kept in the
history and both steps in the audit. Only the version an early end made, and only while that end
is still to come; the refusal of a 变更 of an ended notice points to it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from agent_ui.texts import Texts
from hotline.selfservice import ticketing_hooks
from tests.agent_ui.conftest import login, posted_notice
from ticketing.models import AuditLog, OutageNotice, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def _on_now(client, headers, site_id: int, area: str, code: str) -> dict:
    now = dt.datetime.now(dt.UTC)
    return await posted_notice(
        client,
        headers,
        {
            "site_id": site_id,
            "area": area,
            "reason": "线路故障",
            "starts_at": _local(now - dt.timedelta(hours=1)),
            "ends_at": _local(now + dt.timedelta(hours=5)),
            "affected_areas": [{"kind": "transformer_area", "name": f"{area}台区", "code": code}],
        },
    )


async def test_an_outage_ended_by_mistake_is_told_to_callers_again(client, world):
    headers = {"X-CSRF-Token": await login(client, "3001")}
    zh = Texts()
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    wrong = await _on_now(client, headers, hd, "知春路东段", "T901")
    right = await _on_now(client, headers, hd, "知春路西段", "T902")
    planned_end = wrong["ends_at"]
    lookup = ticketing_hooks(world.services.sessionmaker).outage_lookup

    # the dispatcher ends the wrong row: callers are no longer told of it, the row reads 已结束
    resp = await client.post(
        f"/api/notices/{wrong['key']}/end", json={"remark": "已恢复送电", "version": 1}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    assert await lookup("T901") == []
    listed = {n["key"]: n for n in (await (await client.get("/api/notices")).json())["items"]}
    assert listed[wrong["key"]]["state"] == "已结束"
    assert listed[wrong["key"]]["ended_early_from"] == planned_end  # the row offers 撤销提前结束
    assert listed[right["key"]]["ended_early_from"] is None

    # a 变更 is refused, in words that point to the way out the row offers
    resp = await client.patch(
        f"/api/notices/{wrong['key']}", json={"ends_at": _local(dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)),
                                               "remark": "误点", "version": 2}, headers=headers,
    )  # fmt: skip
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "notice_ended_not_revised"
    assert "撤销提前结束" in refused["message"]

    # a reason is required, as for every change of a notice
    resp = await client.post(
        f"/api/notices/{wrong['key']}/undo-end", json={"remark": " ", "version": 2}, headers=headers
    )
    assert resp.status == 422 and (await resp.json())["details"]["problems"] == {"remark": "field_required"}

    # 撤销提前结束: version 3, published, with the end it had; callers hear it again
    resp = await client.post(
        f"/api/notices/{wrong['key']}/undo-end",
        json={"remark": "误点提前结束", "version": 2},
        headers=headers,
    )
    restored = await resp.json()
    assert resp.status == 200, restored
    assert (restored["version"], restored["state"], restored["ends_at"]) == (3, "发布中", planned_end)
    assert restored["ended_early_from"] is None
    assert [o.area for o in await lookup("T901")] == ["知春路东段"]
    history = await (await client.get(f"/api/notices/{wrong['key']}")).json()
    assert [(v["version"], v["state"], v["remark"]) for v in history["versions"]] == [
        (1, "变更后", ""),
        (2, "变更后", "已恢复送电"),
        (3, "发布中", "误点提前结束"),
    ]
    async with world.services.sessionmaker() as db:
        audit = (
            await db.execute(
                select(AuditLog.action, AuditLog.before, AuditLog.after)
                .where(AuditLog.entity == "outage_notice", AuditLog.entity_id == wrong["key"])
                .order_by(AuditLog.id)
            )
        ).all()
    assert [a.action for a in audit] == ["notice.publish", "notice.end", "notice.undo_end"]
    undo = audit[-1]
    assert (undo.before["version"], undo.after["version"]) == (2, 3)
    assert dt.datetime.fromisoformat(undo.after["ends_at"]) == dt.datetime.fromisoformat(planned_end)

    # once undone it is a published notice again: nothing more to undo
    resp = await client.post(
        f"/api/notices/{wrong['key']}/undo-end", json={"remark": "再点", "version": 3}, headers=headers
    )
    assert (await resp.json())["error_id"] == "notice_not_ended_early"

    # an outage that was not ended early has no early end to undo
    resp = await client.post(
        f"/api/notices/{right['key']}/undo-end", json={"remark": "误点", "version": 1}, headers=headers
    )
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "notice_not_ended_early"
    assert refused["message"] == zh.get("zh-CN", "error.notice_not_ended_early")


async def test_no_undo_once_the_end_it_had_has_passed(client, world):
    headers = {"X-CSRF-Token": await login(client, "3001")}
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    notice = await _on_now(client, headers, hd, "学院路", "T903")
    resp = await client.post(
        f"/api/notices/{notice['key']}/end", json={"remark": "已恢复送电"}, headers=headers
    )
    assert resp.status == 200
    # time passes: the end it had before the early end is over too (its version 1)
    async with world.services.sessionmaker() as db:
        await db.execute(
            update(AuditLog)
            .where(AuditLog.action == "notice.end", AuditLog.entity_id == notice["key"])
            .values(
                before={
                    "version": 1,
                    "ends_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(),
                }
            )
        )
        await db.commit()
    listed = {n["key"]: n for n in (await (await client.get("/api/notices")).json())["items"]}
    assert listed[notice["key"]]["ended_early_from"] is None
    resp = await client.post(
        f"/api/notices/{notice['key']}/undo-end", json={"remark": "误点"}, headers=headers
    )
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "notice_end_passed", refused
    async with world.services.sessionmaker() as db:
        versions = list(
            await db.scalars(select(OutageNotice.version).where(OutageNotice.notice_key == notice["key"]))
        )
    assert sorted(versions) == [1, 2]
