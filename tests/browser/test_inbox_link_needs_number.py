"""QA: in the 异步事件 inbox, 关联到已受理工单 with the 工单号 box empty did nothing at all. In
Chromium it now says 请填写工单号。 the way the inbox's other forms say theirs (a refused toast),
marks the box (aria-invalid), puts the focus there, and links nothing. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.test_inbox_close_missed_call import _seed_missed_call

pytestmark = [pytest.mark.browser]


@pytest.fixture
def link_console(tmp_path):
    with seeded_console(tmp_path / "inbox_link.db", _seed_missed_call) as server:
        yield server


def test_linking_without_an_order_number_says_so_at_the_box(link_console, browser):
    server = link_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/inbox")
        row = page.locator(f"#inbox-table tr[data-event='{server.seeded}']")
        box = row.locator("input[data-field=order]")
        expect(box).to_be_visible()
        box.fill("   ")  # blanks are no number either
        row.locator("[data-act=link]").click()
        expect(page.locator(".toast.refused").last).to_have_text("请填写工单号。")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_be_focused()
        expect(row.locator("td[data-status]")).to_have_text("待处理")  # nothing linked
        box.fill("GZ")  # typing clears the mark
        expect(box).not_to_have_attribute("aria-invalid", "true")
