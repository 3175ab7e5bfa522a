"""暂停 and 下班 on the seat's top bar (statebar.js), greyed out for a call, say why on hover, in
the real Chromium: a click on the dead buttons told the agent nothing (QA walk: 下班 during a call).
暂停 keeps its key (F3) beside the reason; once the call is over both are plain buttons again. No
console process and no Asterisk: the states are pushed on a stand-in socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import AGENT_UI, ORIGIN, serve_static
from tests.browser.test_console_hold_buttons import push_state, start_state_bar
from tests.browser.test_console_story import VIEWPORT

pytestmark = pytest.mark.browser


def _page_html() -> str:
    texts = (AGENT_UI / "texts" / "zh-CN.json").read_text(encoding="utf-8")
    # as agent_ui/templates/base.html has them
    return (
        f'<script id="texts" type="application/json">{texts}</script>'
        '<span id="agent-state"></span><span id="state-reason"></span><span id="state-timer"></span>'
        '<button type="button" id="btn-pause" class="btn" title="F3">暂停</button>'
        '<button type="button" id="btn-logout" class="btn warn">下班</button>'
    )


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(body=_page_html(), content_type="text/html; charset=utf-8")
    else:
        serve_static(route, path)


def test_pause_and_sign_out_say_why_they_wait_for_the_call(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    pause, logout = page.locator("#btn-pause"), page.locator("#btn-logout")
    try:
        page.route(f"{ORIGIN}/**", _serve)
        page.goto(f"{ORIGIN}/")
        start_state_bar(page)

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
