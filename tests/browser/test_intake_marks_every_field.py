"""受理单 refused for two reasons at once, in Chromium (QA: only 故障地址 was reported; the bad
number's error came after resubmitting, as 来电号码 where the form says 联系电话): one 保存
marks both the empty 故障地址 and the bad 联系电话, and the toast names each as the form does.
No Asterisk: the console runs in-process on a seeded SQLite database (see in_process)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


@pytest.fixture
def intake_console(tmp_path):
    with seeded_console(tmp_path / "intake.db", demo_only, 1) as server:
        yield server


def test_one_save_marks_the_missing_address_and_the_bad_number(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        page.select_option("#intake-category", label="故障报修")
        page.select_option("#intake-subcategory", label="低压故障")
        page.fill("#intake-故障名称", "整栋楼停电")
        page.select_option("#intake-所属供电局", "440100")
        page.fill("#intake-caller", "12ab")
        page.click("#intake-save-close")
        toast = page.locator(".toast.refused").last
        expect(toast).to_contain_text("联系电话（电话号码有误）")
        expect(toast).to_contain_text("故障地址（必填）")
        expect(toast).not_to_contain_text("来电号码")
        caller = page.locator("#intake-caller")
        expect(caller).to_have_attribute("aria-invalid", "true")
        expect(caller).to_have_attribute("title", "电话号码有误")
        expect(caller).to_be_focused()  # the first to put right: the form's head is above
        expect(page.locator("#intake-故障地址")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#intake-故障名称")).to_have_attribute("aria-invalid", "false")

        # both put right: one more 保存 takes the order in, and the marks go
        page.fill("#intake-caller", "13800138000")
        page.fill("#intake-故障地址", "天河路 1 号")
        page.click("#intake-save-close")
        expect(page.locator("#intake-saved")).to_be_visible()
        expect(caller).to_have_attribute("aria-invalid", "false")
