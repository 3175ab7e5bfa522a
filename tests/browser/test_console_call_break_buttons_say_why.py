"""暂停 and 下班 on the seat's top bar (statebar.js), greyed out for a call, say why on hover, in
the real Chromium: a click on the dead buttons told the agent nothing (QA walk: 下班 during a call).
暂停 keeps its key (F3) beside the reason; once the call is over both are plain buttons again. No
console process and no Asterisk: the states are pushed on a stand-in socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import push_state, state_bar_on_console

pytestmark = pytest.mark.browser


def test_pause_and_sign_out_say_why_they_wait_for_the_call(browser):
    ctx, page, errors = state_bar_on_console(browser)
    pause, logout = page.locator("#btn-pause"), page.locator("#btn-logout")
    try:
        push_state(page, "ready")
        expect(pause).to_be_enabled()
        expect(pause).to_have_attribute("title", "F3")
        expect(logout).to_be_enabled()
        expect(logout).to_have_attribute("title", "")
        for state in ("talking", "on_hold"):
            push_state(page, state)
            expect(pause).to_be_disabled()
            expect(pause).to_have_attribute("title", "通话中不能暂停，请在通话结束后再暂停。（F3）")
            expect(logout).to_be_disabled()
            expect(logout).to_have_attribute("title", "通话中不能下班或退出，请先结束或转接通话。")
        push_state(page, "after_call_work")
        expect(pause).to_be_enabled()
        expect(pause).to_have_attribute("title", "F3")
        expect(logout).to_be_enabled()
        expect(logout).to_have_attribute("title", "")
        assert errors == []
    finally:
        ctx.close()
