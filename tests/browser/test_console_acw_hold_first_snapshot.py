"""A tab opened during a call after another tab's intake form took the ACW hold: its first
snapshot names the held call (``agent.acw_hold_call``), so when the call ends its state bar says
at once why the 话后处理 outlasts its limit, with no ``acw_hold`` push after it. The seat page from
its real template and JS modules in Chromium, fed what its socket would push (no console
process, no Asterisk)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_console_keyboard_and_labels import (
    LANG,
    ORIGIN,
    SOCKET,
    START_SEAT,
    TEXTS,
    _on_call,
    page,
)

__all__ = ["page"]  # the fixture
pytestmark = pytest.mark.browser

ACW = """() => window.push("agent_state", { event: { agent_id: "1005", state: "after_call_work",
    previous: "talking", reason: "话后处理", call_id: "c1" } })"""


def test_a_tab_opened_during_the_call_says_at_its_end_that_the_form_elsewhere_holds_it(page):

    reason = page.locator("#state-reason")
    page.goto(f"{ORIGIN}/console")
    page.evaluate(SOCKET)
    snapshot = _on_call("c1")
    snapshot["agent"]["acw_hold_call"] = "c1"  # another tab's form holds the write-up to come
    page.evaluate(START_SEAT, snapshot)
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
    expect(reason).to_have_text("")  # still talking: nothing outlasts anything yet

    page.evaluate(ACW)  # the call ends; no acw_hold is pushed (it was, before this tab opened)
    expect(reason).to_have_text(TEXTS.get(LANG, "state.acw_held"))
    expect(reason).to_have_attribute("title", TEXTS.get(LANG, "state.acw_held_hint"))


def test_a_snapshot_naming_no_held_call_clears_a_hold_of_the_call(page):

    reason = page.locator("#state-reason")
    page.goto(f"{ORIGIN}/console")
    page.evaluate(SOCKET)
    snapshot = _on_call("c1")
    snapshot["agent"]["acw_hold_call"] = "c1"
    page.evaluate(START_SEAT, snapshot)
    # a reconnect's snapshot during the call: the other tab's form was saved meanwhile
    snapshot["agent"]["acw_hold_call"] = ""
    page.evaluate("(snap) => window.push('snapshot', snap)", snapshot)
    page.evaluate(ACW)
    expect(reason).to_have_text("")  # the hold let go: the state says 话后处理, the reason not again
