"""QA 2026-11-29 #1 in the real Chromium: the handler who repaired a fault order (5101) opens it
at the team leader's 满意度回访. The page says 当前步骤不由您处理 and offers no 提交; the step's
回访意见 and 是否投诉 were still typeable, though nothing typed there could be saved. Every field is
drawn read-only for them now, as on a closed order, while the step's holder (2001) still types."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.story_seeds import LEADER
from tests.browser.test_visit_back import visit_console

pytestmark = [pytest.mark.browser]
__all__ = ["visit_console"]  # the fixture


def test_someone_elses_step_is_drawn_read_only(visit_console, browser):
    server, numbers = visit_console
    with signed_in(browser, server, "5101") as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        expect(page.locator("#order-not-mine")).to_have_text("当前步骤不由您处理")
        fields = page.locator("#order-fields [data-field]")
        expect(page.locator("#order-回访意见")).to_be_disabled()
        expect(page.locator("#order-是否投诉")).to_be_disabled()
        assert fields.count() > 0
        enabled = fields.evaluate_all("(all) => all.filter((i) => !i.disabled).map((i) => i.name)")
        assert enabled == [], enabled

    # the step's holder: 是否投诉 is theirs to tick (回访意见 is the survey panel's remark)
    with signed_in(browser, server, LEADER) as page:
        page.goto(f"{server.url}/orders/{numbers['visit']}")
        expect(page.locator("#order-是否投诉")).to_be_enabled()
