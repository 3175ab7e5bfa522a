"""QA-29: a supervisor (3001) recorded the 满意度回访 from the order page's panel while the step
stayed with the team leader (2001); on 2001's page the required, greyed 回访满意度 read 「—」 until
提交, as if the form were incomplete and could not be filled. Now it shows the survey's level as
soon as the survey is recorded, and 提交 archives the order with it. In Chromium against an
in-process console (story_seeds.visit_back_orders)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.page_harness import answer_survey
from tests.browser.story_seeds import LEADER
from tests.browser.test_visit_back import visit_console

pytestmark = [pytest.mark.browser]
__all__ = ["visit_console"]  # the fixture

SUPERVISOR = "3001"


def test_the_holder_sees_the_level_the_supervisor_recorded(visit_console, browser):
    server, numbers = visit_console
    url = f"{server.url}/orders/{numbers['visit']}"
    with signed_in(browser, server, SUPERVISOR) as page:
        page.goto(url)
        expect(page.locator("#survey-submit")).to_have_text("保存回访")  # not their step to complete
        answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "非常满意"}
        answer_survey(page.locator("#survey-form"), answers, remark="客户非常满意")
        page.click("#survey-submit")
        expect(page.locator("#survey-results li[data-survey='satisfied']")).to_have_count(1)
        expect(page.locator("#order-回访满意度")).to_have_value("非常满意")

    with signed_in(browser, server, LEADER) as page:
        page.goto(url)
        level = page.locator("#order-回访满意度")
        expect(level).to_be_disabled()
        expect(level).to_have_value("非常满意")
        expect(page.locator("#order-回访意见")).to_have_value("客户非常满意")
        page.click("#order-submit")
        expect(page.locator("#order-status")).to_have_text("已回访")
        expect(page.locator("#order-回访满意度")).to_have_value("非常满意")
