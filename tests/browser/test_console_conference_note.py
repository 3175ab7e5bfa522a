"""The agent who brought a colleague into a 三方通话 sees 三方通话：1005 on the seat's bar while the
colleague is in the room, not until their own call ends: the colleague leaving (``ConferenceLeft``,
pushed as ``conference``) takes it away while the call goes on with the caller, and a reload
during the conference says it again from the call's ``invited``. The real template in Chromium,
statebar.js on a stand-in socket; no console process and no Asterisk."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import bar_after_snapshot

pytestmark = pytest.mark.browser


def _colleague_leaves(page) -> None:
    page.evaluate(
        """() => window.push("conference", { event: { event: "ConferenceLeft", agent_id: "1001",
                                                      call_id: "c1", target: "agent:1005" } })"""
    )


def test_the_conference_note_goes_when_the_colleague_leaves_the_room(browser):
    call = {"call_id": "c1", "caller": "13100000001", "answered_at": time.time() - 30}
    ctx, page, errors = bar_after_snapshot(browser, "1001", "talking", [call], since=30)
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
    ctx, page, errors = bar_after_snapshot(browser, "1001", "talking", [call], since=30)
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
    ctx, page, errors = bar_after_snapshot(browser, "1001", "talking", [call], since=30)
    try:
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        expect(page.locator("#call-note")).to_have_count(0)
        assert errors == []
    finally:
        ctx.close()
