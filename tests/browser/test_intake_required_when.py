"""故障范围 is required while 大面积停电 is ticked (``required_when`` in 故障报修's 受理): the
seat's intake marks it so as the box is ticked, and unmarks it when it is cleared (QA: a
大面积停电 was saved with no extent). No Asterisk: the console runs in-process on a seeded
SQLite database (see in_process)."""

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


def test_the_extent_is_marked_required_while_a_large_outage_is_ticked(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        page.select_option("#intake-category", label="故障报修")
        extent = page.locator("#intake-故障范围")
        label = page.locator('label[for="intake-故障范围"]')
        expect(extent).not_to_have_attribute("required", "")
        expect(label).not_to_have_class("req")

        page.check("#intake-大面积停电")
        expect(extent).to_have_attribute("required", "")
        expect(label).to_have_class("req")

        # saved without it: refused, the field named
        page.fill("#intake-故障地址", "天河路 1 号")
        page.select_option("#intake-所属供电局", "440100")
        page.click("#intake-save-close")
        expect(page.locator(".toast.refused").last).to_contain_text("故障范围（必填）")
        expect(extent).to_have_attribute("aria-invalid", "true")

        page.uncheck("#intake-大面积停电")
        expect(extent).not_to_have_attribute("required", "")
        expect(label).not_to_have_class("req")


def test_a_category_with_subcategories_marks_the_subcategory_required(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        page.select_option("#intake-category", label="故障报修")
        sub = page.locator("#intake-subcategory")
        expect(sub).to_have_attribute("required", "")
        expect(page.locator("#intake-subcategory-label")).to_have_class("req")
        page.fill("#intake-故障地址", "天河路 1 号")
        page.select_option("#intake-所属供电局", "440100")
        page.click("#intake-save-close")
        expect(page.locator(".toast.refused").last).to_contain_text("小类别（必填）")
        expect(sub).to_have_attribute("aria-invalid", "true")
        # 协调单 is not offered at intake: 派工超时转协调单 makes it
        expect(page.locator("#intake-category option", has_text="协调单")).to_have_count(0)
        page.select_option("#intake-category", label="用户信息查询")
        expect(sub).not_to_have_attribute("required", "")
        expect(page.locator("#intake-subcategory-label")).not_to_have_class("req")
