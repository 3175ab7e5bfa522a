"""What the seat's state bar (statebar.js) says, in the real Chromium: 连接中… with no time until
the first snapshot (it read 未知 00:00), and a reason only when it adds to the state (话后处理 read
话后处理 话后处理). The page is the seat's template; no console, no Asterisk."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import AGENT_UI, state_bar_on_console

pytestmark = pytest.mark.browser


def test_the_bar_says_connecting_then_each_word_once(browser):
    texts = json.loads((AGENT_UI / "texts" / "zh-CN.json").read_text(encoding="utf-8"))
    ctx, page, errors = state_bar_on_console(browser)
    state, reason, timer = (
        page.locator("#agent-state"),
        page.locator("#state-reason"),
        page.locator("#state-timer"),
    )
    try:
        # no snapshot yet: a neutral word, no clock (also after the first tick)
        page.wait_for_timeout(1200)
        expect(state).to_have_text("连接中…")
        expect(state).to_have_attribute("data-state", "connecting")
        expect(timer).to_have_text("")
        assert texts["state.connecting"] == "连接中…"

        def snapshot(agent: dict) -> None:
            page.evaluate(
                """(agent) => window.push("snapshot", {
                    user: { agent_id: "1001" }, agent, calls: [], server_time: Date.now() / 1000 })""",
                agent,
            )

        def pushed(event: dict) -> None:
            page.evaluate(
                """(event) => window.push("agent_state", { event })""",
                {"agent_id": "1001", **event},
            )

        snapshot(
            {"state": "after_call_work", "reason": "话后处理", "since": time.time() - 5, "call_id": "c1"}
        )
        expect(state).to_have_text("话后处理")
        expect(reason).to_have_text("")  # not 话后处理 话后处理
        expect(timer).to_have_text("00:05")
        pushed({"state": "not_ready", "reason": "小休"})
        expect(state).to_have_text("未就绪")
        expect(reason).to_have_text("小休")  # a reason that says more is still shown
        pushed({"state": "after_call_work", "reason": "话后处理", "call_id": "c2"})
        expect(reason).to_have_text("")
        pushed({"state": "not_ready", "reason": "话后处理超时"})
        expect(reason).to_have_text("话后处理超时")
        assert errors == []
    finally:
        ctx.close()
