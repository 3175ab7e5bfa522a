"""满意度回访's overall level in the real Chromium (QA item 17): the panel says how it is decided
(by 综合评价 when the questionnaire asks it), and a 不满意 on 抢修时效 with 综合评价 满意 archives the
order 满意, with no complaint, as the 满意度回访结果 report counts it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.page_harness import answer_survey
from tests.browser.story_seeds import LEADER
from tests.browser.test_visit_back import visit_console

pytestmark = [pytest.mark.browser]
__all__ = ["visit_console"]  # the fixture


def test_the_panel_says_the_rule_and_the_overall_answer_decides(visit_console, browser):
    server, numbers = visit_console
    errors: list[str] = []
    with signed_in(browser, server, LEADER, errors=errors) as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        rule = page.locator("#survey-rule")
        expect(rule).to_contain_text("总体满意度以“综合评价”的回答为准")
        answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "不满意", "综合评价": "满意"}
        answer_survey(page.locator("#survey-form"), answers)
        page.fill("#order-opinion", "已电话回访")
        page.click("#survey-submit")
        expect(page.locator("#order-status")).to_have_text("已回访")
        expect(page.locator("#order-回访满意度")).to_have_value("满意")
        expect(page.locator("#survey-results li[data-survey='satisfied']")).to_have_count(1)
        expect(page.locator("#survey-results a")).to_have_count(0)  # no follow-up complaint
        expect(rule).to_be_visible()  # said beside the recorded answers too
        assert not errors, errors
