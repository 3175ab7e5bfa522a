"""QA 2026-11-29 #13: a signed-out seat (未登录队列) could reach its queues only by 就绪, which offers
it the next caller at once; the 95598 shift starts 未就绪 to call every 待回复工单 back first. Now 暂停
(with its reason picker) and F3 are offered while signed out, saying on hover that they sign the
seat in 未就绪, and send the pause with the chosen reason (the server signs the seat in paused). In
the real Chromium, on a stand-in socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import push_state, state_bar_on_console

pytestmark = pytest.mark.browser


def test_a_signed_out_seat_signs_in_not_ready_by_pause_or_f3(browser):
    ctx, page, errors = state_bar_on_console(browser)
    pause, ready = page.locator("#btn-pause"), page.locator("#btn-ready")
    # the page's keys (console.js binds them to its bar; here they send on the same socket)
    page.evaluate(
        """async () => {
            const { bindKeys } = await import("/static/js/keys.js");
            bindKeys({ run: (cmd, args) => window.sock.command(cmd, args) });
        }"""
    )
    try:
        push_state(page, "logged_out")
        expect(pause).to_be_enabled()
        expect(page.locator("#pause-reason")).to_be_enabled()
        expect(pause).to_have_attribute("title", "以所选原因签入为未就绪：可回呼，不接来电（F3）")
        expect(ready).to_be_enabled()
        expect(page.locator("#btn-logout")).to_be_disabled()

        pause.click()
        page.locator("body").press("F3")
        page.wait_for_function("() => window.commands.length === 2")
        sent = page.evaluate("() => window.commands")
        assert sent == [{"cmd": "pause", "args": {"reason": "小休"}}] * 2

        push_state(page, "not_ready")  # signed in, paused: the hover says only its key again
        expect(pause).to_have_attribute("title", "F3")
        assert errors == []
    finally:
        ctx.close()
