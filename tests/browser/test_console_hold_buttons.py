"""The call buttons of the seat's top bar (statebar.js) in the real Chromium, driven by the agent
states its socket would push: no console process and no Asterisk, so it takes a second."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import AGENT_UI, ORIGIN, serve_static
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser
BUTTONS = ("btn-hold", "btn-transfer", "btn-consult", "btn-conference")


def _page_html() -> str:
    texts = (AGENT_UI / "texts" / "zh-CN.json").read_text(encoding="utf-8")
    buttons = "".join(f'<button id="{b}"></button>' for b in BUTTONS)
    return (
        f'<script id="texts" type="application/json">{texts}</script>'
        '<span id="agent-state"></span><span id="state-reason"></span><span id="state-timer"></span>'
        f"{buttons}"
        '<button id="btn-complete-transfer"></button><button id="btn-cancel-transfer"></button>'
    )


def start_state_bar(page) -> None:
    """statebar.js on the page, listening to ``window.seatSocket``: a stand-in to push on."""
    page.evaluate(
        """async () => {
            const { StateBar } = await import("/static/js/statebar.js");
            window.seatSocket = new EventTarget();
            new StateBar(window.seatSocket);
        }"""
    )


def push_state(page, state: str) -> None:
    """The agent's new state, as the socket brings it, drawn on the bar."""
    page.evaluate(
        """(state) => window.seatSocket.dispatchEvent(
            new CustomEvent("agent_state", { detail: { event: { state } } }))""",
        state,
    )
    expect(page.locator("#agent-state")).to_have_attribute("data-state", state)


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(body=_page_html(), content_type="text/html; charset=utf-8")
    else:
        serve_static(route, path)


def test_transfer_consult_and_conference_wait_on_hold_for_the_call_to_be_taken_back(browser):
    texts = json.loads((AGENT_UI / "texts" / "zh-CN.json").read_text(encoding="utf-8"))
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.route(f"{ORIGIN}/**", _serve)
        page.goto(f"{ORIGIN}/")
        start_state_bar(page)

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
