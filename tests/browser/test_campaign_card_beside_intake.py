"""At 1366×768, the smallest screen the console is made for, a campaign / 预约回电 call's card
leaves the intake form its column (QA 2026-11-29 #21: the card took the right-hand column and
业务受理 was squeezed into a 420-px box under the pop, its 保存 buttons below the fold). The real
seat template, seat.js and campaign_card.js in Chromium, on a fake socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import CAMPAIGN_CARD_ON_SOCKET, ORIGIN, seat_page
from tests.browser.test_campaign_card_holds_result import CALLBACK
from tests.browser.test_campaign_card_result import DISPOSITIONS, push
from tests.browser.test_console_keyboard_and_labels import _serve

pytestmark = pytest.mark.browser
SMALL = {"width": 1366, "height": 768}
BOXES = """() => Object.fromEntries(["campaign-card", "screen-pop", "intake", "intake-category",
    "intake-caller", "intake-save-close", "intake-save-handle", "intake-reset"].map((id) => {
  const r = document.getElementById(id).getBoundingClientRect();
  return [id, { x: r.x, y: r.y, width: r.width, height: r.height, bottom: r.bottom, right: r.right }];
}))"""


def _serve_card(route) -> None:
    url = route.request.url.removeprefix(ORIGIN)
    path = url.split("?")[0]
    if path == "/api/campaign-dispositions":
        route.fulfill(json=DISPOSITIONS)
    elif path == "/api/campaign-offer":
        route.fulfill(json={"offer": None, "call": None, "server_time": 5000.0})
    else:
        _serve(route)


def test_the_card_is_a_strip_above_the_pop_and_the_intake_keeps_its_column(browser):
    ctx, page, errors = seat_page(browser, _serve_card, viewport=SMALL)
    try:
        page.evaluate(CAMPAIGN_CARD_ON_SOCKET)
        expect(page.locator("#intake-save-close")).to_be_visible()
        before = page.evaluate(BOXES)
        # no card: the pop has its whole column, level with the intake
        for key in ("y", "bottom"):
            assert abs(before["screen-pop"][key] - before["intake"][key]) < 1, (key, before)
        push(page, CALLBACK)  # the dialer calls the customer back from this seat
        card = page.locator("#campaign-card")
        expect(card).to_contain_text("13800001111")
        boxes = page.evaluate(BOXES)
        # the intake where it was, as wide and as tall as with no card
        for key in ("x", "y", "width", "height"):
            assert abs(boxes["intake"][key] - before["intake"][key]) < 1, (
                key,
                before["intake"],
                boxes["intake"],
            )
        assert boxes["intake"]["x"] > 420 and boxes["intake"]["width"] > 800, boxes["intake"]
        for field in ("intake-category", "intake-caller"):  # room to read what was chosen and typed
            assert boxes[field]["width"] > 150, (field, boxes[field])
        for button in ("intake-save-close", "intake-save-handle", "intake-reset"):
            assert boxes[button]["bottom"] <= SMALL["height"] and boxes[button]["right"] <= SMALL["width"], (
                button,
                boxes[button],
            )
        # the card: a strip above the pop, in the pop's column, on screen with its 保存结果
        assert boxes["campaign-card"]["right"] <= boxes["intake"]["x"], boxes
        assert boxes["campaign-card"]["bottom"] <= boxes["screen-pop"]["y"], boxes
        save = card.locator("button[type=submit]")
        save.scroll_into_view_if_needed()
        assert save.bounding_box()["y"] + save.bounding_box()["height"] <= SMALL["height"]
        assert errors == []
    finally:
        ctx.close()
