"""A campaign call's card while its 结果代码 is unsaved (Chromium, the real seat template and
campaign_card.js, the dialer's events and the offer API faked; no console process). QA 2026-11-29
#22: 话后处理 ended by its limit under a card still asking for the result (the seat went 就绪 and
could be rung), and a reload lost the card for good, the answered contact left with no result."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.test_campaign_card_result import CALL_PLACED, DISPOSITIONS, push
from tests.browser.test_campaign_card_result import card_console as campaign_card_page

pytestmark = pytest.mark.browser
ENDED = {
    "event": "CampaignCallEnded",
    "staff_no": "1005",
    "campaign_id": 1,
    "contact_id": 5,
    "call_id": "c1",
    "outcome": "answered",
    "state": "done",
    "attempts": 1,
    "next_attempt_at": "",
}
#: a queue callback's call (no order, so no survey), as the dialer places it
CALLBACK = {**CALL_PLACED, "campaign": "队列回呼 综合服务", "order_id": 0, "order_number": ""}
HOLDS = """() => window.commands.filter((c) => c.cmd === "hold_after_call_work")
    .map((c) => [c.args.call_id, c.args.hold])"""


@contextlib.contextmanager
def card_console(browser, server: dict, posted: list[dict]) -> Iterator[tuple[object, list[str]]]:
    """The seat page with one campaign_card.js running (the template's own left empty, so the
    holds it sends are counted once), GET /api/campaign-offer answering ``server``'s ``call`` and
    the 结果代码 POSTs kept in ``posted`` (a saved result is awaited no more): (the page, its
    errors and dialogs)."""

    def answer(route, path: str) -> bool:
        if path == "/api/campaign-offer":
            route.fulfill(json={"offer": None, "call": server.get("call"), "server_time": 5000.0})
        elif path == "/api/campaign-contacts/5/disposition":
            posted.append(json.loads(route.request.post_data or "{}"))
            server["call"] = None
            route.fulfill(json={"id": 5})
        else:
            return False
        return True

    with campaign_card_page(browser, DISPOSITIONS, answer) as (page, errors, _):
        page.on("dialog", lambda d: errors.append(d.message))  # a dialog is an error here
        yield page, errors


def holds(page) -> list[list]:
    return page.evaluate(HOLDS)


def test_the_unsaved_card_holds_after_call_work_until_its_result_is_saved(browser):
    posted: list[dict] = []
    with card_console(browser, {}, posted) as (page, errors):
        push(page, CALLBACK)
        card = page.locator("#campaign-card")
        expect(card).to_contain_text("13800001111")
        page.wait_for_function("() => window.commands.length > 0")
        assert holds(page) == [["c1", True]]  # the call's 话后处理 is held from the card's start
        push(page, ENDED)
        expect(card.locator("#campaign-status")).to_have_text("外呼结果：接通")
        # the intake form of the same tab saved meanwhile: the card still holds the call
        page.evaluate("""async () => {
            const { holdAfterCallWork } = await import("/static/js/acw_holds.js");
            holdAfterCallWork(window.sock, "c1", "intake", true);
            holdAfterCallWork(window.sock, "c1", "intake", false);
        }""")
        assert holds(page) == [["c1", True], ["c1", True]]
        card.locator("[name=code]").select_option(label="满意")
        card.locator("button[type=submit]").click()
        expect(card).to_be_hidden()
        assert posted == [{"code": "satisfied", "notes": ""}]
        assert holds(page)[-1] == ["c1", False]  # saved: the 话后处理 is let go
        assert errors == []


def test_a_customer_never_reached_does_not_hold_the_seat(browser):
    with card_console(browser, {}, []) as (page, errors):
        push(page, CALLBACK)
        expect(page.locator("#campaign-card")).to_contain_text("13800001111")
        push(page, {**ENDED, "outcome": "no_answer", "state": "pending"})
        expect(page.locator("#campaign-status")).to_have_text("外呼结果：无人接听")
        assert holds(page) == [["c1", True], ["c1", False]]
        assert errors == []


def test_a_reload_after_the_call_brings_its_card_back_until_the_result_is_saved(browser):
    server = {"call": {**CALLBACK, "outcome": "answered"}}
    posted: list[dict] = []
    # the page (re)loaded in 话后处理: the server still awaits the answered call's result
    with card_console(browser, server, posted) as (page, errors):
        card = page.locator("#campaign-card")
        expect(card).to_contain_text("13800001111")
        expect(card).to_contain_text("队列回呼 综合服务")
        expect(card.locator("#campaign-status")).to_have_text("外呼结果：接通")
        assert holds(page) == [["c1", True]]  # held again by the new page
        card.locator("[name=code]").select_option(label="不满意")
        card.locator("button[type=submit]").click()
        expect(card).to_be_hidden()
        assert posted == [{"code": "dissatisfied", "notes": ""}]
        page.evaluate('window.push("snapshot", {})')  # a reconnect: nothing is owed any more
        page.wait_for_timeout(300)
        expect(card).to_be_hidden()
        assert errors == []


def test_a_result_saved_in_another_tab_closes_the_card_on_reconnect(browser):
    server = {"call": {**CALLBACK, "outcome": "answered"}}
    with card_console(browser, server, []) as (page, errors):
        card = page.locator("#campaign-card")
        expect(card).to_contain_text("13800001111")
        server["call"] = None  # the second tab saved the result
        page.evaluate('window.push("snapshot", {})')
        expect(card).to_be_hidden()
        assert holds(page) == [["c1", True], ["c1", False]]
        assert errors == []
