"""An outage notice whose end has passed reads 已结束 everywhere (QA: it stayed 发布中 on /notices,
was sent by SMS and revised as 发布中 minutes after the outage was over): not sent, not revised,
listed after the outages still on or to come, and, as before, not told by the IVR."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from agent_ui.texts import Texts
from hotline.selfservice import ticketing_hooks
from tests.agent_ui.conftest import login, posted_notice
from ticketing.models import Notification, OutageNotice, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def _publish(client, headers, site_id: int, area: str, starts: dt.datetime) -> dict:
    body = {
        "site_id": site_id,
        "area": area,
        "reason": "计划检修",
        "starts_at": _local(starts),
        "ends_at": _local(starts + dt.timedelta(hours=4)),
    }
    notice = await posted_notice(client, headers, body)
    return notice


async def test_a_notice_past_its_end_reads_ended_and_is_neither_sent_nor_revised(client, world):
    headers = {"X-CSRF-Token": await login(client, "3001")}
    async with world.services.sessionmaker() as db:
        hd = await db.scalar(select(Site.id).where(Site.code == "HD"))
    now = dt.datetime.now(dt.UTC)
    over = await _publish(client, headers, hd, "中关村QA测试路1号", now - dt.timedelta(hours=3))
    on = await _publish(client, headers, hd, "知春路", now - dt.timedelta(hours=1))
    # time passes: the first outage ended a minute ago (publishing one already over is refused)
    async with world.services.sessionmaker() as db:
        await db.execute(
            update(OutageNotice)
            .where(OutageNotice.notice_key == over["key"])
            .values(ends_at=now - dt.timedelta(minutes=1))
        )
        await db.commit()

    # the day's list: the one still on first, the ended one after it, read as 已结束
    listed = (await (await client.get("/api/notices")).json())["items"]
    assert [(n["key"], n["state"]) for n in listed] == [(on["key"], "发布中"), (over["key"], "已结束")]
    history = await (await client.get(f"/api/notices/{over['key']}")).json()
    assert history["current"]["version"] == 1 and history["current"]["state"] == "已结束"
    assert [v["state"] for v in history["versions"]] == ["已结束"]

    # not sent to a customer, by any channel, and said so in words
    zh = Texts()
    for channel, to in (("sms", "13800138001"), ("email", "zhang@example.com"), ("fax", "02088886666")):
        resp = await client.post(
            f"/api/notices/{over['key']}/send", json={"channel": channel, "to": to}, headers=headers
        )
        refused = await resp.json()
        assert resp.status == 409 and refused["error_id"] == "notice_ended_not_sent", refused
        assert refused["message"] == zh.get("zh-CN", "error.notice_ended_not_sent")
        assert "已结束" in refused["message"]
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count(Notification.id))) == 0

    # not revised: a new version would publish the outage again as 发布中
    resp = await client.patch(
        f"/api/notices/{over['key']}",
        json={"reason": "延后", "remark": "延后", "version": 1},
        headers=headers,
    )
    refused = await resp.json()
    assert resp.status == 409 and refused["error_id"] == "notice_ended_not_revised", refused
    assert refused["message"] == zh.get("zh-CN", "error.notice_ended_not_revised")
    history = await (await client.get(f"/api/notices/{over['key']}")).json()
    assert [(v["version"], v["state"]) for v in history["versions"]] == [(1, "已结束")]

    # the one still on is sent and revised as before; the IVR tells only it
    resp = await client.post(
        f"/api/notices/{on['key']}/send", json={"channel": "sms", "to": "13800138001"}, headers=headers
    )
    assert resp.status == 201, await resp.text()
    resp = await client.patch(
        f"/api/notices/{on['key']}",
        json={"reason": "抢修", "remark": "改原因", "version": 1},
        headers=headers,
    )
    assert resp.status == 200 and (await resp.json())["state"] == "发布中"
    told = await ticketing_hooks(world.services.sessionmaker).outage_lookup("HD")
    assert [o.area for o in told] == ["知春路"]
