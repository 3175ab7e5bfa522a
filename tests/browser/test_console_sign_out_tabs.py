"""退出 in one tab signs every tab of that session out, in the real Chromium on the real Asterisk:
the other tab's socket is closed (4401) and it shows the sign-in form, so its 就绪 cannot put
the signed-out seat back in its queues (QA ui9: it did, and took a call at once)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE
from tests.browser.test_console_story import VIEWPORT, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
SIGN_IN_PAGE = re.compile(r"/login(\?.*)?$")


def _members(line: AmiLine, queue: str) -> list[str]:
    ref = f"ui{next(line.ids)}"
    line.sock.sendall(f"Action: QueueStatus\r\nActionID: {ref}\r\nQueue: {queue}\r\n\r\n".encode())
    members = []
    while True:
        frame = line._frame()
        if frame.get("ActionID") != ref:
            continue
        if frame.get("Event") == "QueueMember":
            members.append(frame.get("Location") or frame.get("Interface", ""))
        if frame.get("Event") == "QueueStatusComplete" or frame.get("Response") == "Error":
            return members


def test_sign_out_in_one_tab_signs_the_other_tabs_out(console, browser, asterisk):
    line = AmiLine(asterisk)
    line.clear_queue(QUEUE)
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        tab_a = ctx.new_page()
        sign_in(tab_a, console.url, console.agent, PASSWORD)
        expect(tab_a.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        tab_a.keyboard.press("F2")
        expect(tab_a.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        assert any(console.agent in m for m in _members(line, QUEUE))

        tab_b = ctx.new_page()  # the same browser: the same session
        tab_b.goto(f"{console.url}/")
        expect(tab_b.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(tab_b.locator("#btn-ready")).to_be_visible()

        tab_a.click("#logout-form button")  # 退出
        expect(tab_a).to_have_url(SIGN_IN_PAGE, timeout=10_000)
        # the other tab did not stay on the console: its socket was closed and it went to sign in
        expect(tab_b).to_have_url(SIGN_IN_PAGE, timeout=10_000)
        expect(tab_b.locator("#staff_no")).to_be_visible()
        assert not any(console.agent in m for m in _members(line, QUEUE))
        session = tab_b.evaluate("fetch('/api/session').then((r) => r.json())")
        assert session["user"] is None

        # signing in again finds the seat signed out, as 退出 left it: nothing put it back
        sign_in(tab_b, console.url, console.agent, PASSWORD)
        expect(tab_b.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        expect(tab_b.locator("#agent-state")).to_have_attribute("data-state", "logged_out", timeout=10_000)
        assert not any(console.agent in m for m in _members(line, QUEUE))
    finally:
        ctx.close()
        line.clear_queue(QUEUE)
        line.close()
