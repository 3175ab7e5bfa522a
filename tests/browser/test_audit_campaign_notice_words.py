"""QA #7 and #8 on 审计日志 (admin 9001, Chromium). 记录外呼结果 read 结果代码：— → satisfied;
修改外呼活动 listed every retry delay by its English key (busy, no_answer …), those not changed
as — → value; 撤销 of an outage notice read 删除停电信息, 状态 发布中 → 已删除. Now the rows speak
the pages' words: the result code by its name (满意), a delay as the 外呼活动 form labels it
(无人接听后重拨（分钟）), only the one changed, with the value before; 撤销停电信息 and 已撤销, for
the rows written before too (notice.delete, retry_minutes {} for the defaults)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> None:
    from campaigns import store
    from cti.calendar import WorkCalendar
    from ticketing import knowledge
    from ticketing.audit import record

    async with demo_database(url, customers=1) as demo:
        leader, agent = demo.users["2001"], demo.users["1001"]
        campaign = await store.create_campaign(demo.db, name="QA测试回访", queue="complaint", actor=leader)
        # 无人接听后重拨 30 → 1 minute, the form sending every delay it shows
        retry = {"busy": 5, "no_answer": 1, "failed": 60, "abandoned": 10}
        await store.update_campaign(
            demo.db, campaign, {"retry_minutes": retry}, calendar=WorkCalendar.china(), actor=leader
        )
        # as set_disposition writes it (after a call: here without one)
        await record(
            demo.db, agent, "campaign.disposition", "campaign_contact", 1, after={"disposition": "satisfied"}
        )
        # rows written before: the delays as the campaign stored them ({}: the defaults), and
        # a withdrawal as notice.delete
        await record(
            demo.db,
            leader,
            "campaign.update",
            "campaign",
            campaign.id,
            before={"retry_minutes": {}},
            after={"retry_minutes": {"busy": 5, "no_answer": 2, "failed": 60, "abandoned": 10}},
        )
        now = dt.datetime.now(dt.UTC)
        notice = await knowledge.publish_notice(
            demo.db,
            demo.users["3001"],
            site_id=demo.sites["440100"].id,
            area="越秀区人民路全线",
            starts_at=now,
            ends_at=now + dt.timedelta(hours=6),
        )
        await knowledge.delete_notice(demo.db, demo.users["3001"], notice.notice_key, remark="线路已恢复")
        await record(
            demo.db,
            demo.users["3001"],
            "notice.delete",
            "outage_notice",
            notice.notice_key,
            before={"state": "发布中"},
            after={"state": "已删除"},
        )


@pytest.fixture
def audit_console(tmp_path):
    with seeded_console(tmp_path / "audit_campaign_notice.db", _seed) as server:
        yield server


def test_campaign_and_notice_rows_read_in_the_pages_words(audit_console, browser):
    with admin_on(browser, audit_console, "/admin/audit") as page:
        rows = page.locator("#audit-rows tbody tr")
        expect(rows.first).to_be_visible()

        result = page.locator("tr[data-action='campaign.disposition']")
        expect(result.locator("td").nth(2)).to_have_text("记录外呼结果")
        expect(result.locator("[data-field=disposition]")).to_have_text("结果代码：— → 满意")

        edits = page.locator("tr[data-action='campaign.update']")
        expect(edits).to_have_count(2)
        for edit, minutes in zip((edits.nth(0), edits.nth(1)), ("2", "1"), strict=True):
            delays = edit.locator("[data-field=retry_minutes] .audit-inner")
            expect(delays).to_have_count(1)  # busy, failed, abandoned kept their 5, 60, 10
            expect(delays).to_have_text(f"无人接听后重拨（分钟）：30 → {minutes}")
            expect(edit).not_to_contain_text("no_answer")
            expect(edit).not_to_contain_text("rescheduled")

        withdrawals = page.locator("tr[data-action^='notice.']").filter(has_text="撤销停电信息")
        expect(withdrawals).to_have_count(2)  # notice.withdraw, and the row written as notice.delete
        for n in range(2):
            expect(withdrawals.nth(n).locator("[data-field=state]")).to_have_text("状态：发布中 → 已撤销")
        expect(page.locator("#audit-rows")).not_to_contain_text("删除停电信息")
        expect(page.locator("#audit-rows")).not_to_contain_text("已删除")
