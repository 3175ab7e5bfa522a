"""满意度回访 at the visit step in the real Chromium: one satisfaction input, not two. The step's
回访满意度 is not typed (it is the survey's), the step's 提交 gives way to the survey's 提交回访,
and that one click records the survey and archives the order as 已回访 with the survey's level."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import LEADER, visit_back_orders

pytestmark = [pytest.mark.browser]


@pytest.fixture
def panel_console(tmp_path):
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "panel.db", visit_back_orders, numbers) as server:
        assert "visit" in numbers
        yield server, numbers


def test_the_survey_panel_is_the_visit_steps_form(panel_console, browser):
    server, numbers = panel_console
    errors: list[str] = []
    with signed_in(browser, server, LEADER, errors=errors) as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        expect(page.locator("#survey-submit")).to_have_text("提交回访")
        expect(page.locator("#order-回访满意度")).to_be_disabled()  # the survey's, not a second input
        expect(page.locator("#order-submit")).to_have_count(0)  # the survey completes the step
        for name, answer in (
            ("服务技能", "满意"),
            ("服务礼仪", "满意"),
            ("抢修时效", "满意"),
            ("综合评价", "非常满意"),
        ):
            page.select_option(f"#survey-{name}", answer)
        page.fill("#order-回访意见", "师傅很专业")
        page.fill("#order-opinion", "已电话回访")
        page.click("#survey-submit")
        expect(page.locator("#order-status")).to_have_text("已回访")
        expect(page.locator("#order-回访满意度")).to_have_value("非常满意")
        expect(page.locator("#order-回访意见")).to_have_value("师傅很专业")
        expect(page.locator("#survey-results li[data-survey='satisfied']")).to_have_count(1)
        expect(page.locator("#survey-form")).to_have_count(0)
        assert not errors, errors
