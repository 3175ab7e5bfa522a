"""强制下班 (and 置忙, 结束话后处理) from the wallboard at 1366×768: the agent's header keeps its one
row and its indicators where they were. QA: the notice, put in the state bar, pushed 电话 under
提醒 (the 电话 indicator squeezed to nothing under the bell); it is now a band of its own under
the header, its words whole, in Chinese and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_topbar_one_row import BUSY, news_in, one_row

pytestmark = [pytest.mark.browser]
SMALL = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("forced") / "forced.db", demo_only, 3) as server:
        yield server


# the wallboard's news as the console's socket brings it (agent_ui.supervision's seat_forced)
FORCED = """([action, pending]) => window.hotline.socket.dispatchEvent(new CustomEvent("seat_forced", { detail: {
  event: { agent_id: "1001", action, pending, by: "3001", by_name: "质检潘桂", by_role: "supervisor", reason: "小休" } } }))"""

# where the header's indicators are: 电话, 提醒 and the signed-in user's part
PLACES = """() => Object.fromEntries(["#ami-status", "#bell-button", ".who"].map((s) => {
  const r = document.querySelector(s).getBoundingClientRect();
  return [s, [r.left, r.top, r.width, r.height].map(Math.round)];
}))"""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_forced_sign_out_leaves_the_header_one_row(console, browser, lang):
    with signed_in(browser, console, "1001", viewport=SMALL) as page:
        if lang == "en":
            page.click("form[action='/lang'] button")
            expect(page.locator("html")).to_have_attribute("lang", "en")
        news_in(page)
        before = page.evaluate(PLACES)
        header = page.locator("header.topbar").bounding_box()
        notice = page.locator("#forced-notice")
        # the longest of the notices (结束话后处理's), then 强制下班's
        for action in ("end_acw", "sign_out"):
            page.evaluate(FORCED, [action, False])
            expect(notice).to_be_visible()
            one_row(page)
            assert page.evaluate(PLACES) == before  # 电话, 提醒 and the user's part not moved
            box = notice.bounding_box()
            assert box["y"] >= header["y"] + header["height"] - 1, (box, header)  # under the header
            assert box["x"] + box["width"] <= SMALL["width"], box
            # its words whole: not cut, and 知道了 beside them on screen
            text = notice.locator(".text")
            assert text.evaluate("(e) => e.scrollWidth <= e.clientWidth"), text.inner_text()
            ok = notice.locator("button").bounding_box()
            assert ok["x"] + ok["width"] <= SMALL["width"], ok
        assert page.locator("header.topbar").bounding_box() == header
        notice.locator("button").click()
        expect(notice).to_be_hidden()


def test_a_notice_during_a_call_leaves_the_header_one_row(console, browser):
    """置忙 during a call (it waits for the call's end): the header is at its busiest, the call's timer
    and the unhandled events' badge showing."""
    with signed_in(browser, console, "1001", viewport=SMALL) as page:
        news_in(page)
        page.evaluate(BUSY, "talking")
        before = page.evaluate(PLACES)
        page.evaluate(FORCED, ["pause", True])
        expect(page.locator("#forced-notice .text")).to_have_text(
            "质量监控员 质检潘桂 将您置为未就绪（小休）：本次通话结束后生效"
        )
        one_row(page)
        assert page.evaluate(PLACES) == before
