"""The agent who brought a colleague into a 三方通话 sees 三方通话：1005 on the seat's bar while the
colleague is in the room, not until their own call ends: the colleague leaving (``ConferenceLeft``,
pushed as ``conference``) takes it away while the call goes on with the caller, and a reload
during the conference says it again from the call's ``invited``. The real template in Chromium,
statebar.js on a stand-in socket; no console process and no Asterisk."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT
from tests.browser.page_harness import ORIGIN, render_page, serve_static, state_bar_on_console

pytestmark = pytest.mark.browser


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/console":
        route.fulfill(body=render_page("console.html"), content_type="text/html; charset=utf-8")
    else:
        serve_static(route, path)


def _host_bar(browser, call: dict):
    """1001's bar, talking on ``call`` since its snapshot."""
    ctx, page, errors = state_bar_on_console(browser, _serve, VIEWPORT)
    page.evaluate(
        """([call, now]) => window.push("snapshot", {
            user: { agent_id: "1001" }, server_time: now, ami: { connected: true },
            agent: { state: "talking", call_id: call.call_id, since: now - 30 }, calls: [call], work: {} })""",
        [call, time.time()],
    )
    return ctx, page, errors


def _colleague_leaves(page) -> None:
    page.evaluate(
        """() => window.push("conference", { event: { event: "ConferenceLeft", agent_id: "1001",
                                                      call_id: "c1", target: "agent:1005" } })"""
    )


def test_the_conference_note_goes_when_the_colleague_leaves_the_room(browser):
    call = {"call_id": "c1", "caller": "13100000001", "answered_at": time.time() - 30}
    ctx, page, errors = _host_bar(browser, call)
    try:
        page.evaluate(
            """() => window.push("call", { event: { event: "CallTransferred", agent_id: "1001", call_id: "c1",
                                                    kind: "conference", target: "agent:1005" } })"""
        )
        expect(page.locator("#call-note")).to_have_text("三方通话：1005")
        # another agent's colleague leaving their room is not this bar's
        page.evaluate(
            """() => window.push("conference", { event: { event: "ConferenceLeft", agent_id: "1002",
                                                          call_id: "c2", target: "agent:1005" } })"""
        )
        expect(page.locator("#call-note")).to_have_text("三方通话：1005")
        _colleague_leaves(page)
        expect(page.locator("#call-note")).to_be_hidden()
        # the call goes on: still 通话中, with its duration
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        expect(page.locator("#call-timer")).to_be_visible()
        assert errors == []
    finally:
        ctx.close()


def test_a_reload_during_the_conference_still_says_it_until_the_colleague_leaves(browser):
    call = {
        "call_id": "c1",
        "caller": "13100000001",
        "answered_at": time.time() - 30,
        "invited": {"1005": "1001"},
    }
    ctx, page, errors = _host_bar(browser, call)
    try:
        expect(page.locator("#call-note")).to_have_text("三方通话：1005")
        _colleague_leaves(page)
        expect(page.locator("#call-note")).to_be_hidden()
        assert errors == []
    finally:
        ctx.close()


def test_a_conference_another_agent_began_on_the_call_is_not_this_agents(browser):
    # 1002 brought 1005 into the room; 1001's snapshot of the call says no 三方通话 of theirs
    call = {
        "call_id": "c1",
        "caller": "13100000001",
        "answered_at": time.time() - 30,
        "invited": {"1005": "1002"},
    }
    ctx, page, errors = _host_bar(browser, call)
    try:
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        expect(page.locator("#call-note")).to_have_count(0)
        assert errors == []
    finally:
        ctx.close()
