"""停电信息's versions as a 95598 notice editor keeps them: a save that changes nothing is refused
(没有修改), and 撤销 is a version of its own, so the one before keeps why it was changed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import login, posted_notice
from ticketing import knowledge
from ticketing.models import AuditLog, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")
AREAS = [
    {"kind": "line", "name": "10kV 中关村线", "code": ""},
    {"kind": "transformer_area", "name": "中关村1号台区", "code": "TQ-0001"},
]


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def _published(client, world) -> tuple[dict[str, str], dict]:
    headers = {"X-CSRF-Token": await login(client, "3001")}
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    day = dt.datetime.now(SHANGHAI).replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    body = {
        "site_id": hd,
        "area": "中关村大街1-99号",
        "affected_areas": AREAS,
        "reason": "10kV线路检修",
        "starts_at": _local(day),
        "ends_at": _local(day + dt.timedelta(hours=8)),
    }
    notice = await posted_notice(client, headers, body)
    return headers, notice


async def _versions(world, key: str) -> list[tuple[int, str, str]]:
    async with world.services.sessionmaker() as db:
        return [(v.version, v.state, v.remark) for v in await knowledge.notice_history(db, key)]


async def test_a_save_that_changes_nothing_is_refused_and_no_version_is_made(client, world):
    headers, notice = await _published(client, world)
    key = notice["key"]
    # a remark alone, and the editor saving the very values it loaded (as 变更 sends them)
    editor = {
        name: notice[name] for name in ("site_id", "area", "affected_areas", "reason", "starts_at", "ends_at")
    }
    for body in ({"remark": "无变化"}, {**editor, "remark": "无变化", "version": 1}):
        resp = await client.patch(f"/api/notices/{key}", json=body, headers=headers)
        refused = await resp.json()
        assert resp.status == 409 and refused["error_id"] == "notice_unchanged", refused
        assert refused["message"] == Texts().get("zh-CN", "error.notice_unchanged")
    assert await _versions(world, key) == [(1, "发布中", "")]
    # one field changed in the same editor: a version, with its remark
    resp = await client.patch(
        f"/api/notices/{key}",
        json={**editor, "affected_areas": AREAS[:1], "remark": "台区不停电", "version": 1},
        headers=headers,
    )
    assert resp.status == 200 and (await resp.json())["version"] == 2
    assert await _versions(world, key) == [(1, "变更后", ""), (2, "发布中", "台区不停电")]


async def test_withdrawing_is_a_version_of_its_own_and_the_last_change_keeps_its_remark(client, world):
    headers, notice = await _published(client, world)
    key = notice["key"]
    later = dt.datetime.fromisoformat(notice["ends_at"]) + dt.timedelta(hours=1)
    for change in (
        {"ends_at": _local(later), "remark": "延长", "version": 1},
        {"affected_areas": [], "remark": "清空区域", "version": 2},
    ):
        resp = await client.patch(f"/api/notices/{key}", json=change, headers=headers)
        assert resp.status == 200, await resp.json()
    await client.delete("/api/session", headers=headers)
    headers = {"X-CSRF-Token": await login(client, "9001")}  # someone else withdraws it
    resp = await client.post(
        f"/api/notices/{key}/withdraw", json={"remark": "取消检修", "version": 3}, headers=headers
    )
    withdrawn = await resp.json()
    assert resp.status == 200, withdrawn
    assert (withdrawn["version"], withdrawn["state"], withdrawn["remark"]) == (4, "已删除", "取消检修")
    assert withdrawn["created_by"]["staff_no"] == "9001"
    history = await (await client.get(f"/api/notices/{key}")).json()
    assert [(v["version"], v["state"], v["remark"]) for v in history["versions"]] == [
        (1, "变更后", ""),
        (2, "变更后", "延长"),
        (3, "变更后", "清空区域"),  # why the areas were cleared, still in the history
        (4, "已删除", "取消检修"),
    ]
    # the withdrawn version shows what was withdrawn: v3's content, and who withdrew it
    last, before = history["versions"][3], history["versions"][2]
    for name in ("site_id", "area", "affected_areas", "reason", "starts_at", "ends_at"):
        assert last[name] == before[name], name
    assert (before["created_by"]["staff_no"], last["created_by"]["staff_no"]) == ("3001", "9001")
    assert history["current"] is None
    async with world.services.sessionmaker() as db:
        audit = list(
            await db.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "outage_notice", AuditLog.entity_id == key)
                .order_by(AuditLog.id)
            )
        )
    assert [a.action for a in audit][-1] == "notice.withdraw"
    assert (audit[-1].before["remark"], audit[-1].after["remark"]) == ("清空区域", "取消检修")
