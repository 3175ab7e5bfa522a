"""The consulted colleague's screen-pop (咨询转接), from the real template with the real seat module
in Chromium, fed what its socket would push: the pop says whose consultation it is and shows the
caller for context, but the intake form does not take the caller as this seat's new contact (the
order is the consulting agent's); completed into a transfer, the caller is this seat's and the
form takes them as after any transfer. No console process and no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import seat_page
from tests.browser.test_console_keyboard_and_labels import _serve

pytestmark = pytest.mark.browser
CALLER = "13100000001"


def test_a_consultation_pops_as_the_colleagues_and_the_form_waits_for_the_transfer(browser):
    ctx, page, errors = seat_page(browser, _serve)
    try:
        caller = page.locator("#intake-caller")
        page.evaluate(
            """(number) => window.push("screen_pop", {
                event: { event: "CallOffered", call_id: "c1", agent_id: "1005", direction: "inbound",
                         caller: number, queue: "general", consult_from: "1001" },
                pop: { matches: [] } })""",
            CALLER,
        )
        expect(page.locator("#pop-title")).to_have_text("咨询来电：来自 1001")
        expect(page.locator("#pop-caller")).to_have_text(CALLER)  # the customer, for context
        expect(caller).to_have_value("")
        page.evaluate(
            """() => {
                window.push("agent_state", { event: { agent_id: "1005", state: "talking", call_id: "c1" } });
                window.push("call", { event: { event: "CallAnswered", call_id: "c1", agent_id: "1005",
                                               answered_at: 5, consult_from: "1001" } });
            }"""
        )
        expect(page.locator("#pop-body")).to_have_attribute("data-answered", "true")
        expect(caller).to_have_value("")

        # 完成转接: announced again without consult_from, the caller is this seat's now
        page.evaluate(
            """() => window.push("call", { event: { event: "CallAnswered", call_id: "c1", agent_id: "1005",
                                                    answered_at: 5 } })"""
        )
        expect(page.locator("#pop-title")).to_have_text("来电信息")
        expect(caller).to_have_value(CALLER)
        assert errors == []
    finally:
        ctx.close()
