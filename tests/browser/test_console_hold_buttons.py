"""The call buttons of the seat's top bar (statebar.js) in the real Chromium, driven by the agent
states its socket would push: no console process and no Asterisk, so it takes a second."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import AGENT_UI, push_state, state_bar_on_console

pytestmark = pytest.mark.browser
BUTTONS = ("btn-hold", "btn-transfer", "btn-consult", "btn-conference")


def test_transfer_consult_and_conference_wait_on_hold_for_the_call_to_be_taken_back(browser):
    texts = json.loads((AGENT_UI / "texts" / "zh-CN.json").read_text(encoding="utf-8"))
    ctx, page, errors = state_bar_on_console(browser)
    try:
        push_state(page, "talking")
        for button in BUTTONS:
            expect(page.locator(f"#{button}")).to_be_enabled()
        push_state(page, "on_hold")
        expect(page.locator("#btn-hold")).to_be_enabled()  # 取回
        for button, hint in (
            ("btn-transfer", "call.unhold_first_hint"),
            ("btn-consult", "call.unhold_first_hint"),
            ("btn-conference", "call.conference_unhold_first_hint"),
        ):
            expect(page.locator(f"#{button}")).to_be_disabled()
            expect(page.locator(f"#{button}")).to_have_attribute("title", texts[hint])
        assert texts["call.conference_unhold_first_hint"] == "通话保持中：请先取回通话再发起三方通话"
        push_state(page, "talking")  # taken back
        for button in ("btn-transfer", "btn-consult", "btn-conference"):
            expect(page.locator(f"#{button}")).to_be_enabled()
            expect(page.locator(f"#{button}")).to_have_attribute("title", "")
        assert errors == []
    finally:
        ctx.close()
