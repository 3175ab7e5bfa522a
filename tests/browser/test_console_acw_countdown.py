"""The seat's 话后处理 counts down to its limit (the snapshot's ``acw_seconds``), in the real
Chromium: the bar counted up from 00:00 and the seat turned 就绪 at the limit with no warning, so an
agent writing a call up could not tell when the next call would ring. Held by an unsaved form
(no end to count to) and in every other state, the clock counts up as before."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import state_bar_on_console

pytestmark = pytest.mark.browser


def test_after_call_work_counts_down_to_its_limit(browser):
    ctx, page, errors = state_bar_on_console(browser)
    timer = page.locator("#state-timer")
    try:

        def snapshot(agent: dict, acw_seconds: float = 20) -> None:
            page.evaluate(
                """([agent, acw]) => window.push("snapshot", {
                    user: { agent_id: "1001" }, agent, calls: [], acw_seconds: acw,
                    server_time: Date.now() / 1000 })""",
                [agent, acw_seconds],
            )

        def pushed(kind: str, event: dict) -> None:
            page.evaluate(
                """([kind, event]) => window.push(kind, { event })""",
                [kind, {"agent_id": "1001", **event}],
            )

        # 5 s into a 20 s write-up: 15 s left, and the tooltip says what the clock counts to
        snapshot(
            {"state": "after_call_work", "reason": "话后处理", "since": time.time() - 5, "call_id": "c1"}
        )
        expect(timer).to_have_text(re.compile(r"00:1[45]"))  # a second may pass on a busy machine
        expect(timer).to_have_attribute("title", "话后处理剩余时间：到时自动结束话后处理，可接新来电")
        before = int(timer.inner_text()[-2:])
        page.wait_for_timeout(3100)  # the bar ticks once a second, at its own phase
        assert before - int(timer.inner_text()[-2:]) >= 2  # it counts down, not up
        # past the limit (the bridge's end is on its way): 00:00, never a negative time
        pushed("agent_state", {"state": "after_call_work", "call_id": "c1", "at": time.time() - 25})
        expect(timer).to_have_text("00:00")

        # an unsaved form holds the write-up past its limit: no end, so it counts up again
        pushed("acw_hold", {"call_id": "c1", "held": True})
        expect(timer).to_have_text(re.compile(r"00:2[56]"))
        expect(timer).to_have_attribute("title", "")

        # the next state counts up from its start
        pushed("agent_state", {"state": "ready", "call_id": "", "at": time.time() - 3})
        expect(timer).to_have_text(re.compile(r"00:0[34]"))

        # a site with no limit (acw_seconds 0): 话后处理 counts up as every state
        snapshot({"state": "after_call_work", "since": time.time() - 5, "call_id": "c2"}, acw_seconds=0)
        expect(timer).to_have_text(re.compile(r"00:0[56]"))
        assert errors == []
    finally:
        ctx.close()
