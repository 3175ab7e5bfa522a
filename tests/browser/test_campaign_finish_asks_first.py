"""QA: 外呼活动's 结束, next to 开始, finished a campaign at once and for good. In Chromium it now
asks first, naming the campaign and saying it cannot be undone; 取消 changes nothing. A
campaign without contacts no longer shows empty labels (进度, 联系人状态, 外呼结果, 结果代码 say
无), and its 呼叫时段 are joined by 、. In-process console on a seeded SQLite database, no
Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_account_disable_asks_first import Dialogs
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]
LEADER = "2001"  # the demo's 班长


def test_finishing_a_campaign_asks_first_and_its_detail_has_no_empty_labels(users_console, browser):  # noqa: F811
    with signed_in(browser, users_console, LEADER) as page:
        dialogs = Dialogs(page)
        page.goto(f"{users_console.url}/campaigns")
        # none yet: said so across the table, not a bare header (QA-22)
        expect(page.locator("#camp-list tbody tr.empty")).to_have_text("暂无外呼活动")
        new = page.locator("#camp-new")
        new.locator("input[name=name]").fill("停电回访")
        new.locator("input[name=windows]").fill("09:00-12:00, 14:00-20:00")
        new.locator("button[type=submit]").click()
        row = page.locator("#camp-list tbody tr", has_text="停电回访")
        expect(row).to_contain_text("草稿")
        expect(row.locator("td").nth(5)).to_have_text("无")  # 进度: no contacts yet

        row.locator("a", has_text="停电回访").click()
        expect(page.locator("#camp-settings")).to_contain_text("呼叫时段：09:00-12:00、14:00-20:00")
        counts = page.locator("#camp-counts")
        expect(counts).to_contain_text("联系人状态：无")
        expect(counts).to_contain_text("外呼结果：无")
        expect(counts).to_contain_text("结果代码：无")
        expect(page.locator("#camp-contacts tbody tr.empty")).to_have_text("暂无联系人，请先导入名单")

        # 取消: still a draft, still editable
        dialogs.answers.append(False)
        row.get_by_role("button", name="结束").click()
        dialogs.wait(page, 1)
        assert dialogs.messages[0].startswith("结束外呼活动“停电回访”？")
        assert "不可撤销" in dialogs.messages[0]
        expect(row).to_contain_text("草稿")
        expect(page.locator("#camp-edit")).to_be_visible()

        # 确定: finished
        dialogs.answers.append(True)
        row.get_by_role("button", name="结束").click()
        expect(row).to_contain_text("已结束")
        expect(page.locator("#camp-finished")).to_be_visible()
        assert len(dialogs.messages) == 2
