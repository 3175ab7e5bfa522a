"""An outage notice whose end is already past is refused at 发布: an ended outage is history, not news."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import OutageNotice, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def test_a_notice_entirely_in_the_past_is_refused_in_words(client, world):
    headers = {"X-CSRF-Token": await login(client, "3001")}
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    now = dt.datetime.now(dt.UTC)
    for starts, ends in (
        ("2020-01-01T08:00", "2020-01-01T18:00"),  # QA's: years ago
        (_local(now - dt.timedelta(hours=5)), _local(now - dt.timedelta(hours=1))),  # ended this morning
    ):
        body = {"site_id": hd, "area": "中关村大街", "reason": "检修", "starts_at": starts, "ends_at": ends}
        resp = await client.post("/api/notices", json=body, headers=headers)
        refused = await resp.json()
        assert resp.status == 422, refused
        assert refused["error_id"] == "invalid_fields"
        assert refused["details"]["problems"] == {"ends_at": "field_notice_already_ended"}
        assert "结束时间" in refused["message"] and "停电已结束，不再发布" in refused["message"]
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(OutageNotice.id)) is None

    # one under way (begun an hour ago, ends in three) is news: published
    body["starts_at"], body["ends_at"] = (
        _local(now - dt.timedelta(hours=1)),
        _local(now + dt.timedelta(hours=3)),
    )
    resp = await client.post("/api/notices", json=body, headers=headers)
    assert resp.status == 201, await resp.text()

    # 变更 that moves the end into the past is refused the same way: the notice stayed 发布中
    # while telling callers of nothing (QA round 2: revised to 2020-01-01 and kept 发布中)
    notice = await resp.json()
    revise = {"starts_at": "2020-01-01T08:00", "ends_at": "2020-01-01T10:00", "remark": "改期", "version": 1}
    resp = await client.patch(f"/api/notices/{notice['key']}", json=revise, headers=headers)
    refused = await resp.json()
    assert resp.status == 422, refused
    assert refused["details"]["problems"] == {"ends_at": "field_notice_already_ended"}
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(OutageNotice.ends_at).order_by(OutageNotice.version.desc())) > now
