"""A caller whose number is withheld pops as 未显示号码 and the intake's 联系电话 stays empty for
the agent to fill in (QA F12: the pop showed "anonymous" and the new order's phone was filled
with "anonymous", which a 回呼 from the order would dial)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import QUEUE
from tests.browser.test_console_reload import ami, ready_seat  # noqa: F401 (the fixture)
from tests.browser.test_console_story import VIEWPORT

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]


def test_a_withheld_caller_pops_without_a_number(console, browser, ami):  # noqa: F811
    ami.phone(console.agent, ring="1", talk="hold")
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        ready_seat(page, console)
        ami.call_in(QUEUE, "anonymous", stay=30)
        expect(page.locator("#pop-caller")).to_have_text("未显示号码", timeout=15_000)
        expect(page.locator("#intake-caller")).to_have_value("")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
        expect(page.locator("#intake-caller")).to_have_value("")  # not filled in at the answer either
        expect(page.locator("#pop-send-kb")).to_have_count(0)
        assert "anonymous" not in page.locator("#pop-body").inner_text()
        assert errors == []
        page.click("#btn-hangup")
    finally:
        ctx.close()
