"""满意度回访 at the visit step in the real Chromium: one satisfaction input, not two, and one
回访意见. The step's 回访满意度 is not typed (it is the survey's), nor its 回访意见 (the panel's
remark, shown in the form as typed), the step's 提交 gives way to the survey's 提交回访, and that
one click records the survey and archives the order as 已回访 with the survey's level and words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.page_harness import answer_survey
from tests.browser.story_seeds import LEADER
from tests.browser.test_visit_back import visit_console

pytestmark = [pytest.mark.browser]
__all__ = ["visit_console"]  # the fixture


def test_the_survey_panel_is_the_visit_steps_form(visit_console, browser):
    server, numbers = visit_console
    errors: list[str] = []
    with signed_in(browser, server, LEADER, errors=errors) as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        expect(page.locator("#survey-submit")).to_have_text("提交回访")
        expect(page.locator("#order-回访满意度")).to_be_disabled()  # the survey's, not a second input
        expect(page.locator("#order-submit")).to_have_count(0)  # the survey completes the step
        # one 回访意见 (QA: the form's and the panel's were saved to different records): the
        # panel's, shown in the form as it is typed, read-only there
        remark = page.locator("#order-回访意见")
        expect(remark).to_be_disabled()
        expect(remark).to_have_attribute("title", "取自满意度回访中填写的回访意见，不在此填写")
        answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "非常满意"}
        answer_survey(page.locator("#survey-form"), answers, remark="师傅很专业")
        expect(remark).to_have_value("师傅很专业")
        page.fill("#order-opinion", "已电话回访")
        page.click("#survey-submit")
        expect(page.locator("#order-status")).to_have_text("已回访")
        expect(page.locator("#order-回访满意度")).to_have_value("非常满意")
        expect(page.locator("#order-回访意见")).to_have_value("师傅很专业")
        expect(page.locator("#survey-results li[data-survey='satisfied']")).to_have_count(1)
        expect(page.locator("#survey-form")).to_have_count(0)
        assert not errors, errors


def test_a_dissatisfied_visit_back_carries_the_same_words_everywhere(visit_console, browser):
    # QA's case: 抢修时效 不满意 (and 综合评价: a complaint), the customer's words typed once, in the panel
    server, numbers = visit_console
    errors: list[str] = []
    with signed_in(browser, server, LEADER, errors=errors) as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "不满意", "综合评价": "不满意"}
        answer_survey(page.locator("#survey-form"), answers, remark="面板里的回访意见")
        page.click("#survey-submit")
        expect(page.locator("#order-status")).to_have_text("已回访")
        expect(page.locator("#order-回访意见")).to_have_value("面板里的回访意见")
        result = page.locator("#survey-results li[data-survey='dissatisfied']")
        expect(result).to_contain_text("面板里的回访意见")
        result.locator("a").click()  # the complaint it opened
        expect(page.locator("#order-投诉内容")).to_have_value(re.compile(r"^面板里的回访意见\n回访不满意（"))
        # no second 回访意见 quoted on its timeline
        expect(page.locator("#order-timeline li[data-action=annotate]")).to_have_count(0)
        assert not errors, errors
