"""QA-20 on 审计日志 (admin 9001, Chromium): a seat forced 未就绪 read ``ready → not_ready``; an
outage notice was named by its hex key, its affected areas' kinds were codes (line), its two
place fields were labelled the other way round from the notice page, and an early end read
状态：变更后 → 发布中 as if the notice had gone back to being published. Now the states are the
wallboard's words, the notice is named by its 停电范围 (the key on hover), the areas' kinds are
线路 / 台区…, the labels are the notice page's (停电范围 the text, 影响区域 the list), and an
early end shows what changed: its 结束时间. In-process console on the demo's database."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]

AREA = "天河路100-200号、体育西路"


async def _seed(url: str) -> str:
    """A notice published and ended early, and a seat forced 未就绪: the notice's key."""
    from ticketing import audit
    from ticketing.knowledge import end_now, publish_notice

    async with demo_database(url, customers=1) as demo:
        now = dt.datetime.now(dt.UTC)
        notice = await publish_notice(
            demo.db,
            demo.users["9001"],
            site_id=demo.sites["440100"].id,
            area=AREA,
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=3),
            reason="线路检修",
            affected_areas=[{"kind": "line", "name": "10kV 体育线", "code": "TY01"}],
        )
        await end_now(demo.db, demo.users["9001"], notice.notice_key, {"remark": "已恢复送电", "version": 1})
        await audit.record(
            demo.db,
            demo.users["2001"],
            "seat.force_pause",
            "seat",
            "1001",
            before={"state": "ready"},
            after={"state": "not_ready", "reason": "小休"},
        )
        return notice.notice_key


@pytest.fixture
def notice_audit_console(tmp_path):
    with seeded_console(tmp_path / "audit_notice.db", _seed) as server:
        yield server


def test_notices_and_seats_read_in_the_words_of_their_pages(notice_audit_console, browser):
    server = notice_audit_console
    key = server.seeded
    with admin_on(browser, server, "/admin/audit") as page:
        rows = page.locator("#audit-rows tbody tr")
        seat = rows.filter(has_text="坐席").first
        expect(seat.locator("[data-field=state]")).to_have_text("状态：就绪 → 未就绪")

        published = rows.filter(has_text="发布停电信息").first
        name = published.locator("td").nth(3)
        expect(name).to_have_text(f"停电信息 {AREA}")
        expect(name.locator("span[title]")).to_have_attribute("title", f"#{key}")
        expect(published.locator("[data-field=area]")).to_have_text(f"停电范围：— → {AREA}")
        areas = published.locator("[data-field=affected_areas]")
        expect(areas).to_contain_text("影响区域")
        expect(areas).to_contain_text("线路")
        expect(areas).not_to_contain_text("line")

        ended = rows.filter(has_text=re.compile("结束停电信息|提前结束")).first
        expect(ended.locator("[data-field=ends_at]")).to_be_visible()
        expect(ended.locator("[data-field=state]")).to_have_count(0)  # 发布中 before and after
