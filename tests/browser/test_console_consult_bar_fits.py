"""The seat's top bar during a consultation (咨询转接) fits its one row on a 1366×768 screen, in the
real Chromium, from the real template: 完成转接, 取消咨询 and 咨询中：1005 came in beside 转接,
咨询转接 and 三方通话, which do nothing until the consultation ends, and the bar's parts were drawn
over each other (提醒 over 电话系统：已连接, 待处理 N under 提醒). Those three step aside for it and come
back when it ends. No console process and no Asterisk: the socket is a stand-in."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import state_bar_on_console

pytestmark = pytest.mark.browser
ASIDE = ("#btn-transfer", "#btn-consult", "#btn-conference")

# every part of the bar one sees (its buttons, the state, words, the reason picker): pairs whose
# boxes cross, and parts past the screen's right edge
OVERLAPS = """() => {
    const parts = [...document.querySelectorAll(
        '.topbar button, .topbar select, .topbar a, .topbar .state, .topbar .timer, .topbar .ami,'
        + ' .topbar #consulting, .topbar .call-timer, .topbar .user')]
        .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().width > 0)
        .filter((e) => !e.closest('#bell-panel'));
    const boxes = parts.map((e) => [e.id || e.className || e.textContent.trim(), e.getBoundingClientRect(), e]);
    const crossed = [];
    for (let i = 0; i < boxes.length; i++) {
        const [a, r, ea] = boxes[i];
        if (r.right > window.innerWidth + 1) crossed.push(`${a} past the edge`);
        for (let j = i + 1; j < boxes.length; j++) {
            const [b, s, eb] = boxes[j];
            if (ea.contains(eb) || eb.contains(ea)) continue; // a part's own words (通话 00:59)
            if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1)
                crossed.push(`${a} × ${b}`);
        }
    }
    return crossed;
}"""


def test_a_consultation_keeps_the_bar_on_one_row_at_1366(browser):
    ctx, page, errors = state_bar_on_console(browser)
    try:
        now = time.time()
        page.evaluate(
            """(now) => window.push("snapshot", {
                user: { agent_id: "1006" }, server_time: now,
                ami: { connected: true },
                agent: { state: "on_hold", call_id: "c1", since: now - 5,
                         consult: { call_id: "c1", target: "agent:1005" } },
                calls: [{ call_id: "c1", caller: "13100000001", answered_at: now - 60 }],
                work: { inbox: 21 } })""",
            now,
        )
        expect(page.locator("#consulting")).to_have_text("咨询中：1005")
        expect(page.locator("#btn-complete-transfer")).to_be_visible()
        expect(page.locator("#inbox-banner")).to_be_visible()
        for button in ASIDE:
            expect(page.locator(button)).to_be_hidden()
        assert page.evaluate(OVERLAPS) == []

        # the consultation cancelled: the caller taken back, the three are offered again
        page.evaluate(
            """() => {
                window.push("consult", { event: { agent_id: "1006", call_id: "c1", state: "ended" } });
                window.push("agent_state", { event: { agent_id: "1006", state: "talking", call_id: "c1" } });
            }"""
        )
        expect(page.locator("#btn-complete-transfer")).to_be_hidden()
        for button in ASIDE:
            expect(page.locator(button)).to_be_enabled()
        assert page.evaluate(OVERLAPS) == []
        assert errors == []
    finally:
        ctx.close()
