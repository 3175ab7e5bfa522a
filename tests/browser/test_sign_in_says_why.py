"""When a console tab's session ends, the sign-in page it goes to says why, in Chinese, in the
real Chromium: 退出 in another tab of the browser, the password changed in another browser. The
tab that pressed 退出 itself says nothing (it knows). Before, every 4401 close went to a bare
sign-in form. No Asterisk: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_console_story import VIEWPORT, sign_in
from ticketing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser]
TEXTS = json.loads((Path(__file__).parents[2] / "agent_ui/texts/zh-CN.json").read_text(encoding="utf-8"))
SIGN_IN_PAGE = re.compile(r"/login(\?.*)?$")


@pytest.fixture
def why_console(tmp_path):
    with seeded_console(tmp_path / "why.db", demo_only, 1) as server:
        yield server


def _on_console(page) -> None:
    expect(page.locator("#agent-state")).to_be_visible(timeout=10_000)
    expect(page.locator("#ws-status")).to_have_attribute("data-connected", "true", timeout=10_000)


def test_the_sign_in_page_says_why_the_session_ended(why_console, browser):
    server = why_console
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    elsewhere = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        tab_a = ctx.new_page()
        sign_in(tab_a, server.url, "1001", DEMO_PASSWORD)
        _on_console(tab_a)
        tab_b = ctx.new_page()  # the same browser: the same session
        tab_b.goto(f"{server.url}/")
        _on_console(tab_b)

        tab_a.click("#logout-form button")  # 退出
        expect(tab_a).to_have_url(SIGN_IN_PAGE, timeout=10_000)
        expect(tab_b).to_have_url(SIGN_IN_PAGE, timeout=10_000)
        expect(tab_b.locator("#login-ended")).to_have_attribute("data-ended", "signed_out")
        expect(tab_b.locator("#login-ended")).to_have_text(TEXTS["session.ended.signed_out"])
        expect(tab_b.locator("#staff_no")).to_be_visible()
        expect(tab_a.locator("#login-ended")).to_have_count(0)  # it pressed 退出 itself

        # the password changed in another browser: this one's console is told so
        sign_in(tab_b, server.url, "1001", DEMO_PASSWORD)
        _on_console(tab_b)
        other = elsewhere.new_page()
        sign_in(other, server.url, "1001", DEMO_PASSWORD)
        _on_console(other)
        answer = other.evaluate(
            """async (password) => {
                const csrf = (await (await fetch('/api/session')).json()).csrf;
                const resp = await fetch('/api/session/password', {method: 'POST',
                  headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                  body: JSON.stringify({current: password, new: 'Zx9mq2Lw7', confirm: 'Zx9mq2Lw7'})});
                return resp.status;
            }""",
            DEMO_PASSWORD,
        )
        assert answer == 200
        expect(tab_b).to_have_url(SIGN_IN_PAGE, timeout=10_000)
        expect(tab_b.locator("#login-ended")).to_have_text(TEXTS["session.ended.password_changed"])
        expect(other.locator("#agent-state")).to_be_visible()  # the browser that changed it goes on
    finally:
        elsewhere.close()
        ctx.close()
