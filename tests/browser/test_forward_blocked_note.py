"""In Chromium: 转派 disabled (nobody but its holder may act at the step) said why only in the
disabled button's title, which a keyboard user cannot reach (a disabled button takes no focus) and
a touch user cannot hover. The reason is now a short muted note beside the button, which the
button names as its description; the title stays. No Asterisk needed (in_process)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.test_forward_blocked_page import _seed

pytestmark = [pytest.mark.browser]


def test_a_disabled_forward_says_why_beside_it(tmp_path, browser):
    numbers: dict[str, str] = {}
    with (
        seeded_console(tmp_path / "forward-note.db", _seed, numbers) as server,
        signed_in(browser, server, "5101") as page,
    ):
        page.goto(f"{server.url}/orders/{numbers['order']}")
        page.fill("#order-opinion", "已接收")
        page.click("#order-approve")
        expect(page.locator("#order-status")).to_have_text("接收确认", timeout=10_000)
        forward = page.locator("#order-forward")
        expect(forward).to_be_disabled()
        note = page.locator("#order-forward-why")
        expect(note).to_be_visible()
        expect(note).to_have_text("无其他可处理人，需换人请联系班长改派")
        expect(note).to_have_class("muted blocked-why")
        expect(forward).to_have_attribute("aria-describedby", "order-forward-why")
        expect(forward).to_have_attribute(
            "title",
            "当前步骤的处理人规则中没有其他可处理人，无法转派；如需换人，请联系班长或质量监控员改派。",
        )
        # the note sits right after its button, and only a disabled action has one
        assert (
            page.evaluate("document.getElementById('order-forward').nextElementSibling.id")
            == "order-forward-why"
        )
        expect(page.locator("#order-manage .blocked-why")).to_have_count(1)
