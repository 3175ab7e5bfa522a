"""What a customer's phone shows of an outage notice or a 知识库 item (QA-8): signed 【95598】 as the
order SMS are, the start time once, and never the 变更 remark (an internal note on why a notice
was changed); the email's subject and body the same words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.agent_ui.conftest import login, posted_notice
from ticketing.models import KbArticle, Notification, Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


async def test_a_revised_notice_reaches_the_customer_signed_without_its_remark(client, world):
    headers = {"X-CSRF-Token": await login(client, "3001")}
    async with world.services.sessionmaker() as db:
        hd, site_name = (await db.execute(select(Site.id, Site.name).where(Site.code == "HD"))).one()
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    notice = await posted_notice(
        client,
        headers,
        {
            "site_id": hd,
            "area": "中关村一带",
            "reason": "10kV线路计划检修",
            "starts_at": _local(starts),
            "ends_at": _local(starts + dt.timedelta(hours=4)),
            "remark": "调度中心电话通知",
        },
    )
    resp = await client.patch(
        f"/api/notices/{notice['key']}",
        json={
            "ends_at": _local(starts + dt.timedelta(hours=7)),
            "remark": "录入错误，更正时间",
            "version": 1,
        },
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    sent = []
    for channel, to in (("sms", "13800138000"), ("email", "zhang@example.com")):
        resp = await client.post(
            f"/api/notices/{notice['key']}/send", json={"channel": channel, "to": to}, headers=headers
        )
        assert resp.status == 201, await resp.text()
        sent.append((await resp.json())["id"])
    async with world.services.sessionmaker() as db:
        sms, email = [await db.get(Notification, i) for i in sent]
    start_text = starts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    end_text = (starts + dt.timedelta(hours=7)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert sms.body == (
        f"【95598】停电通知：{start_text} 至 {end_text}；停电范围：中关村一带；原因：10kV线路计划检修；{site_name}"
    )
    assert sms.body.count(start_text) == 1
    for row in (sms, email):
        assert "录入错误" not in row.body and "调度中心" not in row.body
    assert email.subject == "停电通知" and email.body.startswith(f"{start_text} 至 {end_text}")
    assert not email.body.startswith("【")  # an email is signed by its sender, not a 【】 tag


async def test_a_knowledge_item_by_sms_is_signed(client, world):
    headers = {"X-CSRF-Token": await login(client, "1001")}
    async with world.services.sessionmaker() as db:
        article = KbArticle(
            title="电费缴纳方式", body="可通过网上国网App、银行代扣或营业厅缴纳。", kind="text"
        )
        db.add(article)
        await db.commit()
        article_id = article.id
    resp = await client.post(
        f"/api/knowledge/{article_id}/send", json={"channel": "sms", "to": "13800138000"}, headers=headers
    )
    assert resp.status == 201, await resp.text()
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, (await resp.json())["id"])
    assert row.body == "【95598】电费缴纳方式：可通过网上国网App、银行代扣或营业厅缴纳。"
