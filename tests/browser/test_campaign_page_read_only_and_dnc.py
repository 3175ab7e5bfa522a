"""The campaigns page in Chromium at 1366×768 (QA 2026-11-29 #6 and #9). In-process console on the
demo's seeded SQLite database, no Asterisk.

#6: a 免打扰 reason of 255 characters sat on one line: the table grew thousands of pixels wide and
加入时间 and 移除 of every row were off the screen. The reason wraps in its cell now.
#9: a supervisor (campaigns.read only: no 新建活动, no 免打扰名单) was still offered 暂停 and 结束 on a
running campaign, and refused on pressing. The row offers them no button; the team leader keeps his."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT, signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]
LEADER, SUPERVISOR = "2001", "3001"  # the demo's 班长 and 质检
#: 255 characters (the field's limit): words, then a run with no space to break at
LONG_REASON = ("客户多次来电投诉外呼过于频繁，要求今后任何回访、催费、通知类电话均不再拨打此号码。" * 4)[
    :150
] + "x" * 105


def test_a_long_do_not_call_reason_wraps_and_remove_stays_on_screen(tmp_path, browser):
    assert len(LONG_REASON) == 255
    with (
        seeded_console(tmp_path / "dnc.db", demo_only, 2) as server,
        signed_in(browser, server, LEADER) as page,
    ):
        page.goto(f"{server.url}/campaigns")
        add = page.locator("#camp-dnc-add")
        add.locator("input[name=number]").fill("13600000006")
        add.locator("input[name=reason]").fill(LONG_REASON)
        add.get_by_role("button", name="加入免打扰").click()
        row = page.locator("#camp-dnc tbody tr", has_text="13600000006")
        expect(row.locator("td").nth(1)).to_have_text(LONG_REASON)  # whole, not cut

        width = VIEWPORT["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        table = page.locator("#camp-dnc").bounding_box()
        assert table["x"] + table["width"] <= width, table
        added = row.locator("td").nth(2).bounding_box()
        remove = row.get_by_role("button", name="移除")
        box = remove.bounding_box()
        assert added["x"] + added["width"] <= width and box["x"] + box["width"] <= width, (added, box)
        assert row.locator("td").nth(2).inner_text().strip()  # 加入时间 shown on its line
        # the reason took several lines instead (a line of text: about the button's height)
        assert row.locator("td").nth(1).bounding_box()["height"] > 2 * box["height"], box
        remove.scroll_into_view_if_needed()
        expect(remove).to_be_in_viewport()


def test_a_supervisor_is_offered_no_status_change_the_team_leader_is(tmp_path, browser):
    with seeded_console(tmp_path / "roles.db", demo_only, 2) as server:
        with signed_in(browser, server, LEADER) as page:
            page.goto(f"{server.url}/campaigns")
            new = page.locator("#camp-new")
            new.locator("input[name=name]").fill("QA测试回访")
            new.locator("button[type=submit]").click()
            row = page.locator("#camp-list tbody tr", has_text="QA测试回访")
            expect(row.get_by_role("button")).to_have_text(["开始", "结束"])
            row.get_by_role("button", name="开始").click()
            expect(row).to_contain_text("进行中")
            expect(row.get_by_role("button")).to_have_text(["暂停", "结束"])

        with signed_in(browser, server, SUPERVISOR) as page:
            page.goto(f"{server.url}/campaigns")
            row = page.locator("#camp-list tbody tr", has_text="QA测试回访")
            expect(row).to_contain_text("进行中")
            expect(page.locator("#camp-new")).to_have_count(0)  # as before: no forms of a manager's
            expect(page.locator("#camp-dnc-add")).to_have_count(0)
            expect(row.get_by_role("button")).to_have_count(0)
            # the campaign's detail reads the same, with nothing to press either
            row.get_by_role("link", name="QA测试回访").click()
            expect(page.locator("#camp-counts")).to_contain_text("联系人状态：无")
            expect(page.locator("#camp-detail button")).to_have_count(0)
            expect(page.locator(".toast.refused")).to_have_count(0)
