"""The seat's top bar says what a call is besides the agent's own caller, in the real Chromium from
the real template: a colleague consulted (咨询转接) sees 咨询来电：来自 1001（王坐席）, not a plain
通话中, until the consultation ends or is completed into a transfer; the agent who brought a
colleague into a 三方通话 sees 三方通话：1005 while the call lasts. No console process and no
Asterisk: the socket is a stand-in."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import (
    ORIGIN,
    bar_after_snapshot,
    consultation_answered,
    consultation_completed,
    serve_console,
)

pytestmark = pytest.mark.browser


def _serve(route) -> None:
    if route.request.url.removeprefix(ORIGIN).split("?")[0] == "/api/colleagues":
        items = [{"agent_id": "1001", "name": "王坐席", "state": "on_hold", "reason": ""}]
        route.fulfill(body=json.dumps({"items": items}), content_type="application/json")
    else:
        serve_console(route)


def test_the_colleague_consulted_is_told_whose_consultation_it_is(browser):
    ctx, page, errors = bar_after_snapshot(
        browser, "1005", "ringing", [{"call_id": "c1", "caller": "13100000001"}], _serve
    )
    try:
        consultation_answered(page)
        expect(page.locator("#call-note")).to_have_text("咨询来电：来自 1001（王坐席）")
        # cancelled: back to 就绪 (no 话后处理), the words go with the call
        page.evaluate(
            """() => window.push("agent_state", { event: { agent_id: "1005", state: "ready", call_id: "" } })"""
        )
        expect(page.locator("#call-note")).to_be_hidden()
        assert errors == []
    finally:
        ctx.close()


def test_a_reload_during_a_consultation_still_says_whose_it_is(browser):
    calls = [
        {
            "call_id": "c1",
            "caller": "13100000001",
            "answered_at": time.time() - 9,
            "consulted": {"1005": "1001"},
        }
    ]
    ctx, page, errors = bar_after_snapshot(browser, "1005", "talking", calls, _serve)
    try:
        expect(page.locator("#call-note")).to_have_text("咨询来电：来自 1001（王坐席）")
        # completed into a transfer: announced again without consult_from, the caller is 1005's
        consultation_completed(page)
        expect(page.locator("#call-note")).to_be_hidden()
        assert errors == []
    finally:
        ctx.close()


def test_the_inviting_agent_sees_the_conference_while_it_lasts(browser):
    calls = [{"call_id": "c1", "caller": "13100000001", "answered_at": time.time() - 30}]
    ctx, page, errors = bar_after_snapshot(browser, "1001", "talking", calls, _serve)
    try:
        expect(page.locator("#call-note")).to_have_count(0)
        page.evaluate(
            """() => window.push("call", { event: { event: "CallTransferred", agent_id: "1001", call_id: "c1",
                                                    kind: "conference", target: "agent:1005" } })"""
        )
        expect(page.locator("#call-note")).to_have_text("三方通话：1005")
        page.evaluate(
            """() => window.push("call", { event: { event: "CallEnded", agent_id: "1001", call_id: "c1" } })"""
        )
        expect(page.locator("#call-note")).to_be_hidden()
        assert errors == []
    finally:
        ctx.close()
