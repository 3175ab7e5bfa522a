"""An empty 故障报修 受理 saved with 保存，处理完毕 (QA: only 小类别 was flagged): one 保存 marks
every required field left empty, the 小类别 with the workflow's own, and names each by its label
in one message; picking the 小类别 (focused, the first to put right) redraws the fields below it,
and those still empty stay marked (they lost their marks, and seemed no longer missing). What the
agent typed stays. No Asterisk: the console runs in-process on a seeded SQLite database (see
in_process)."""

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


def test_an_empty_fault_intake_marks_every_required_field_at_once(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        page.select_option("#intake-category", label="故障报修")
        page.fill("#intake-客户描述故障信息", "整栋楼停电")
        page.fill("#intake-opinion", "客户很着急")
        page.click("#intake-save-close")

        toast = page.locator(".toast.refused").last
        expect(toast).to_have_text("表单有误：小类别（必填）、故障地址（必填）、所属供电局（必填）")
        for required in ("#intake-subcategory", "#intake-故障地址", "#intake-所属供电局"):
            expect(page.locator(required)).to_have_attribute("aria-invalid", "true")
            expect(page.locator(required)).to_have_attribute("title", "必填")
        expect(page.locator("#intake-故障名称")).to_have_attribute("aria-invalid", "false")
        expect(page.locator("#intake-subcategory")).to_be_focused()  # the first, at the form's head
        # nothing typed is lost
        expect(page.locator("#intake-客户描述故障信息")).to_have_value("整栋楼停电")
        expect(page.locator("#intake-opinion")).to_have_value("客户很着急")
        expect(page.locator("#intake-saved")).to_have_count(0)

        # the 小类别 picked first (it has the focus) redraws the fields below it: the two still
        # empty stay marked, what was typed stays; a field put right loses its mark
        page.select_option("#intake-subcategory", label="低压故障")
        expect(page.locator("#intake-subcategory")).to_have_attribute("aria-invalid", "false")
        for still_empty in ("#intake-故障地址", "#intake-所属供电局"):
            expect(page.locator(still_empty)).to_have_attribute("aria-invalid", "true")
            expect(page.locator(still_empty)).to_have_attribute("title", "必填")
        expect(page.locator("#intake-客户描述故障信息")).to_have_value("整栋楼停电")
        page.fill("#intake-故障地址", "天河路 1 号")
        expect(page.locator("#intake-故障地址")).to_have_attribute("aria-invalid", "false")
        expect(page.locator("#intake-所属供电局")).to_have_attribute("aria-invalid", "true")

        # each put right: one more 保存 takes the order in, and no mark is left
        page.select_option("#intake-所属供电局", "440100")
        page.click("#intake-save-close")
        expect(page.locator("#intake-saved")).to_be_visible()
        expect(page.locator("#intake [aria-invalid=true]")).to_have_count(0)


def test_a_refusal_leaves_the_fields_the_subcategory_decides_saying_so(intake_console, browser):
    with signed_in(browser, intake_console, "1001") as page:
        page.goto(f"{intake_console.url}/")
        page.select_option("#intake-category", label="投诉举报建议")
        page.select_option("#intake-subcategory", label="一类投诉")
        decided = page.locator("#intake-类别1")
        expect(decided).to_be_disabled()
        expect(decided).to_have_attribute("title", "由所选小类别决定")
        page.click("#intake-save-close")
        expect(page.locator(".toast.refused").last).to_contain_text("标题（必填）")
        expect(page.locator("#intake-标题")).to_have_attribute("aria-invalid", "true")
        # not a problem of the form: still the subcategory's, as it says on hover
        expect(decided).to_have_attribute("aria-invalid", "false")
        expect(decided).to_have_attribute("title", "由所选小类别决定")
