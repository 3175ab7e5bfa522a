"""Two tabs of one browser on the sign-in form, in the real Chromium (QA-26): signed in in the
first, the second's 登录 goes in too instead of 「403 页面已过期（安全令牌无效）」, and its 登录 as
someone else shows the form again, saying who is signed in, without signing anyone in or out. No
Asterisk: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from ticketing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> None:
    async with demo_database(url, customers=1):
        pass


@pytest.fixture
def console(tmp_path):
    with seeded_console(tmp_path / "second-tab.db", _seed) as server:
        yield server


def _fill(page, staff_no: str) -> None:
    page.fill("#staff_no", staff_no)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")


def test_the_second_tab_s_sign_in_goes_in_and_changes_nothing_else(console, browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        tab_a, tab_b, tab_c = ctx.new_page(), ctx.new_page(), ctx.new_page()
        for tab in (tab_a, tab_b, tab_c):
            tab.goto(f"{console.url}/login")
        _fill(tab_a, "2001")
        expect(tab_a.locator(".who .user")).to_contain_text("（2001）", timeout=10_000)

        _fill(tab_b, "2001")  # its form's token is from before tab A signed in
        expect(tab_b).not_to_have_url(re.compile(r"/login"), timeout=10_000)
        expect(tab_b.locator(".who .user")).to_contain_text("（2001）")
        expect(tab_b.locator("main")).not_to_contain_text("403")
        expect(tab_b.locator("main")).not_to_contain_text("安全令牌")

        _fill(tab_c, "1001")  # someone else: not signed in, the form again saying who is
        expect(tab_c.locator("#login-signed-in")).to_contain_text("本浏览器已由", timeout=10_000)
        expect(tab_c.locator("#login-signed-in")).to_contain_text("（2001）登录")
        assert tab_c.evaluate("fetch('/api/session').then((r) => r.json())")["user"]["staff_no"] == "2001"
        tab_c.reload()  # a GET: nothing is posted again
        expect(tab_c.locator("#login-signed-in")).to_be_visible()
        tab_c.click("#login-enter")
        expect(tab_c).not_to_have_url(re.compile(r"/login"), timeout=10_000)
        expect(tab_c.locator(".who .user")).to_contain_text("（2001）")

        # tab A's session was not ended by either: it is still signed in where it was
        tab_a.reload()
        expect(tab_a).not_to_have_url(re.compile(r"/login"))
        expect(tab_a.locator(".who .user")).to_contain_text("（2001）")
    finally:
        ctx.close()
