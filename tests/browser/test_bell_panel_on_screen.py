"""QA: the 提醒 panel was cut off the left edge at every width (anchored right:0 to a bell near the
left of the header). Opened at 1366 and 1920 wide, the whole panel is on screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width", [1366, 1920])
def test_the_bell_panel_is_wholly_on_screen(sla_console, browser, width):  # noqa: F811
    server, _numbers = sla_console
    with signed_in(browser, server, "5101", viewport={"width": width, "height": 768}) as page:
        page.goto(f"{server.url}/lists/mine")
        expect(page.locator("#bell-count")).to_have_text("1")
        page.locator("#bell-button").click()
        panel = page.locator("#bell-panel")
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box is not None
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= width, box
        assert box["y"] >= 0, box
