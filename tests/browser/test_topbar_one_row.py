"""The header stays one row at 1366 (a 1366×768 screen) and 1440 px (QA: 提醒 dropped to a second row in 话后处理 with the
intake form unsaved, and during a call while 您有 N 个未处理事件 showed): its longest words are
put in place as the console shows them (the state, the held-ACW reason, the inbox banner, the
call timer), and each part of the bar must sit on the first row; narrower, the long words give
way (ellipsis) before anything wraps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("topbar") / "topbar.db", demo_only, 3) as server:
        yield server


# the bar's two busiest moments, in the page's own words (its texts): 话后处理 held by an unsaved
# form (its reason beside the state), and a call (its 通话 timer), each with the unhandled events'
# banner
BUSY = """(moment) => {
  const texts = JSON.parse(document.getElementById("texts").textContent);
  const state = document.getElementById("agent-state");
  state.dataset.state = moment;
  state.textContent = texts[`state.${moment}`];
  document.getElementById("state-reason").textContent = moment === "after_call_work" ? texts["state.acw_held"] : "";
  document.getElementById("state-timer").textContent = "12:34";
  document.getElementById("call-timer").hidden = moment !== "talking";
  const banner = document.getElementById("inbox-banner");
  banner.hidden = false;
  banner.textContent = texts["inbox.banner"].replace("{count}", "128");
  banner.dataset.badge = texts["inbox.badge"].replace("{count}", "128");
}"""

# each part of the header (its top, bottom, left, right), and whether one's content spills out
PARTS = """() => {
  const bar = document.querySelector(".topbar");
  const parts = [...bar.children].filter((e) => e.getClientRects().length);
  const at = (e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right].map(Math.round); };
  return { parts: parts.map((e) => [e.className, ...at(e)]), bar: [bar.scrollWidth, bar.clientWidth],
           page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
           spilled: parts.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.className) };
}"""


def news_in(page) -> None:
    """The socket's first news (the state, the events' count) in, before the bar is filled."""
    expect(page.locator("#ws-status")).to_have_attribute("data-connected", "true")
    expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "connecting")
    page.wait_for_timeout(300)


def one_row(page) -> dict:
    """The header's parts in one row, in order, none over the next, nothing spilling out of its
    part; what ``PARTS`` found, for the story's own checks."""
    found = page.evaluate(PARTS)
    parts = found["parts"]
    # side by side: every part overlaps every other's height (a second row starts below it)
    assert max(p[1] for p in parts) < min(p[2] for p in parts), found
    assert all(a[4] <= b[3] + 1 for a, b in zip(parts, parts[1:], strict=False)), found
    assert found["spilled"] == [], found
    return found


@pytest.mark.parametrize("width", [1366, 1440, 1600])
@pytest.mark.parametrize("moment", ["after_call_work", "talking"])
def test_the_header_is_one_row(console, browser, width, moment):
    with signed_in(
        browser, console, "1001", viewport={"width": width, "height": 768 if width == 1366 else 900}
    ) as page:
        news_in(page)
        page.evaluate(BUSY, moment)
        found = one_row(page)
        parts = found["parts"]
        # and all of it on screen: the bar and the page no wider than the window (1366 too)
        assert found["bar"][0] <= found["bar"][1] and found["page"][0] <= found["page"][1], found
        assert parts[-1][4] <= width, found
        # nothing is cut to nothing: the state, the banner and 提醒 still show
        for part in ("#agent-state", "#inbox-banner", "#bell-button"):
            box = page.locator(part).bounding_box()
            assert box and box["width"] > 30, (part, box, found)
