"""外呼拨打统计 on the reports page's API (/api/reports/campaign_attempts): every call the campaigns
placed, per campaign and the site's day, then each campaign's 合计, its headings and 合计 in the
reader's words, late answers in their own column. QA: the campaign report counted contacts by their
last outcome, so the calls made, the tries before an answer and the late answers showed nowhere."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.campaigns.test_campaign_attempts_view import calls_placed


async def test_the_report_shows_every_call_per_campaign_and_day_in_words(client, world):
    async with world.services.sessionmaker.begin() as db:
        await calls_placed(db)
    await login(client, "9001")
    period = {"from": "2026-11-10", "to": "2026-11-11"}
    found = await (await client.get("/api/reports/campaign_attempts", params=period)).json()
    assert found["title"] == "外呼拨打统计", found
    assert [c["label"] for c in found["columns"]] == [
        "活动",
        "日期",
        "拨打次数",
        "接通",
        "其中迟接",
        "无人接听",
        "忙",
        "呼叫失败",
        "接通后无坐席（放弃）",
        "坐席未接",
        "接通率",
    ]
    assert found["rows"] == [
        ["停电回呼", "2026-11-10", 4, 1, 1, 2, 1, 0, 0, 1, 0.25],
        ["停电回呼", "2026-11-11", 3, 1, 0, 0, 0, 0, 1, 0, 0.3333],
        ["回访", "2026-11-11", 1, 1, 0, 0, 0, 0, 0, 0, 1.0],
        ["停电回呼", "合计", 7, 2, 1, 2, 1, 0, 1, 1, 0.2857],
        ["回访", "合计", 1, 1, 0, 0, 0, 0, 0, 0, 1.0],
    ]
    assert (found["summary"]["attempts"], found["summary"]["late"], found["summary"]["reach_rate"]) == (
        8,
        1,
        0.375,
    )
    [chart] = found["charts"]
    assert chart["labels"] == ["2026-11-10", "2026-11-11"]
    assert {s["name"]: s["values"] for s in chart["series"]}["接通"] == [1, 2]

    # only the first day: the calls of 11-11 (from 00:00 in the site's time) are left out
    first = await (
        await client.get("/api/reports/campaign_attempts", params={"from": "2026-11-10", "to": "2026-11-10"})
    ).json()
    assert [row[:3] for row in first["rows"]] == [["停电回呼", "2026-11-10", 4], ["停电回呼", "合计", 4]]
