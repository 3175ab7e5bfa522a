"""QA, in Chromium: on a 故障报修 order at 派工, handler 5101's 转派 list (交给) offered the call
centre's agents, team leader and supervisor. Now it offers only whom 派工's rules allow: 广州's
other handler, 5102 (whoever did 接收确认 holds it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser]


def test_the_forward_list_offers_the_steps_operators_only(sla_console, browser):  # noqa: F811
    server, numbers = sla_console
    with signed_in(browser, server, "5101") as page:
        page.goto(f"{server.url}/orders/{numbers['order']}")
        expect(page.locator("#order-status")).to_have_text("已流转")
        page.fill("#order-opinion", "已接收")
        page.click("#order-approve")  # 接收确认: 派工 is theirs
        expect(page.locator("#order-status")).to_have_text("接收确认", timeout=10_000)
        expect(page.locator("#order-forward")).to_be_visible()
        target = page.locator("#order-manage-target option")
        expect(target).to_have_count(2, timeout=10_000)  # — and 5102
        expect(target.nth(1)).to_contain_text("（5102）")
