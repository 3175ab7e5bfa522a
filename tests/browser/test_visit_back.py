"""满意度回访 in the real Chromium: the team leader fills the visit-back survey on a fault order's
page, a dissatisfied answer's complaint is linked both ways (关联工单 / 来源工单) and navigable, and
a closed order shows what it recorded read-only, in both languages. No Asterisk needed: the
console runs in-process on a seeded SQLite database (see in_process)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.page_harness import answer_survey
from tests.browser.story_seeds import LEADER, visit_back_orders

pytestmark = [pytest.mark.browser]


@pytest.fixture
def visit_console(tmp_path):
    """The in-process console on the visit-back orders (story_seeds.visit_back_orders): (the
    server, their numbers by the step they stand at)."""
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "visit.db", visit_back_orders, numbers) as server:
        assert set(numbers) == {"visit", "closed", "review", "dispatched", "done"}
        yield server, numbers


def test_the_team_leader_fills_the_survey_and_follows_the_complaint_link(visit_console, browser):
    server, numbers = visit_console
    errors: list[str] = []
    with signed_in(browser, server, LEADER, errors=errors) as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        survey = page.locator("#order-survey")
        expect(survey.locator("h3")).to_have_text("满意度回访")
        expect(survey.locator("select")).to_have_count(4)  # one drop-down per dimension
        expect(survey).not_to_contain_text("[object")
        # the remark box stops where the server does (1,000 characters)
        expect(page.locator("#survey-remark")).to_have_attribute("maxlength", "1000")
        questions = ("服务技能", "服务礼仪", "抢修时效", "综合评价")
        answer_survey(survey, dict.fromkeys(questions, "不满意"), remark="等了太久")
        page.click("#survey-submit")
        expect(page.locator("#order-status")).to_have_text("已回访")  # the survey completed the step
        expect(page.locator("#survey-results li[data-survey='dissatisfied']")).to_have_count(1)
        expect(page.locator("#survey-form")).to_have_count(0)  # recorded once: not asked again
        complaint = page.locator("#order-links-linked a")
        expect(complaint).to_have_count(1)
        expect(complaint).to_have_text(re.compile(r"^TS\d+"))
        complaint.click()
        expect(page.locator("#order-category")).to_contain_text("投诉")
        expect(page.locator("#order-links-source a")).to_have_text(numbers["visit"])
        expect(page.locator("#order-标题")).to_have_value(f"回访不满意：{numbers['visit']}")
        expect(page.locator("#order-所属区域")).to_have_value("440100")
        page.click("#order-links-source a")
        expect(page.locator("#order-number")).to_have_text(numbers["visit"])

        # 退回: the toast says the order went back, not that it was submitted
        page.goto(f"{server.url}/orders/{numbers['review']}")
        page.fill("#order-opinion", "标题请写清楚")
        page.click("#order-reject")
        expect(page.locator(".toast").last).to_contain_text("已退回，工单状态：已登记")

        # the closed order, in English: what it recorded, read-only; nothing offered the server refuses
        page.click("form[action='/lang'] button")
        page.goto(f"{server.url}/orders/{numbers['closed']}")
        expect(page.locator("#order-not-mine")).to_have_text("The order is closed")
        fields = page.locator("#order-fields")
        expect(page.locator("#order-抢修人员")).to_have_value("张师傅")
        expect(page.locator("#order-回访满意度")).to_have_value("满意")
        expect(fields.locator("label.req")).to_have_count(0)
        expect(fields.locator("[data-field]:not([disabled])")).to_have_count(0)
        expect(page.locator("#order-opinion")).to_be_hidden()
        expect(page.locator("#order-actions button")).to_have_count(0)
        expect(page.locator("#survey-submit")).to_have_text("Save survey")
        expect(page.locator("#order-survey select")).to_have_count(4)
        expect(page.locator("#order-survey")).not_to_contain_text("[object")
        assert not errors, errors


def test_a_closed_orders_times_read_in_the_pages_language_not_the_browsers(visit_console, browser):
    """An English-speaking browser on the Chinese page: 派工时间 reads 2026-11-24 09:20, not the
    browser's 11/24/2026, 09:20 AM; on the English page it is written the English way."""
    server, numbers = visit_console
    dispatched = dt.datetime.fromisoformat(numbers["dispatched"])
    done = dt.datetime.fromisoformat(numbers["done"])
    with signed_in(browser, server, LEADER, locale="en-US") as page:
        page.goto(f"{server.url}/orders/{numbers['closed']}")
        expect(page.locator("#order-派工时间")).to_have_value(dispatched.strftime("%Y-%m-%d %H:%M"))
        expect(page.locator("#order-完成时间")).to_have_value(done.strftime("%Y-%m-%d %H:%M"))
        page.click("form[action='/lang'] button")
        page.goto(f"{server.url}/orders/{numbers['closed']}")
        expect(page.locator("#order-派工时间")).to_have_value(
            f"{dispatched:%b} {dispatched.day}, {dispatched:%Y, %H:%M}"  # Nov 24, 2026, 09:20
        )
