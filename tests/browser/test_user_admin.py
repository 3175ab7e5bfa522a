"""账号管理 in the real Chromium: an admin adds an agent (a bad 工号 is marked on its input),
hands over the temporary password the page shows once, and the newcomer signs in with it and
must choose their own before reaching the console; disabling them ends their session. No
Asterisk: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_console_story import VIEWPORT, sign_in
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]


@pytest.fixture
def users_console(tmp_path):
    with seeded_console(tmp_path / "users.db", demo_only, 1) as server:
        yield server


def test_an_admin_adds_an_agent_who_signs_in_with_the_temporary_password(users_console, browser, screenshots):
    server = users_console
    with admin_on(browser, server, "/admin/users") as page:
        expect(page.locator("#user-list tbody tr[data-staff='9001']")).to_have_count(1)
        form = page.locator("#user-form")
        page.evaluate("document.querySelector('#user-form').noValidate = true")  # let the server refuse it
        form.locator("[name=staff_no]").fill("77")
        form.locator("[name=name]").fill("新来的")
        form.locator("input[name=roles][value=agent]").check()
        form.locator("input[data-queue=fault]").fill("1")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=staff_no]")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#user-password")).to_be_hidden()

        form.locator("[name=staff_no]").fill("7701")
        form.locator("button[type=submit]").click()
        expect(page.locator("#user-password")).to_be_visible()
        password = page.locator("#temporary-password").inner_text()
        row = page.locator("#user-list tbody tr[data-staff='7701']")
        expect(row.locator("td").nth(1)).to_have_text("新来的")
        expect(row.locator("td").nth(4)).to_have_text("故障报修（1）")  # the queue by the wallboard's name
        expect(form.locator("label[title=fault]")).to_contain_text("故障报修")
        expect(row.locator("td").nth(5)).to_have_text("待改密码")
        page.screenshot(path=str(screenshots / "admin-users.png"))

        newcomer_ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        try:
            newcomer = newcomer_ctx.new_page()
            sign_in(newcomer, server.url, "7701", password)
            expect(newcomer).to_have_url(f"{server.url}/password")
            newcomer.fill("[name=current]", password)
            newcomer.fill("[name=new]", "MyOwn2026pw")
            newcomer.fill("[name=confirm]", "MyOwn2026pw")
            newcomer.click("#password-form button[type=submit]")
            expect(newcomer.locator("#agent-state")).to_be_visible()

            # disabled (once the admin confirms): the next thing they do sends them to sign in again
            page.once("dialog", lambda dialog: dialog.accept())
            row.locator("[data-act=toggle]").click()
            expect(row.locator("td").nth(5)).to_have_text("已停用")
            expect(newcomer).to_have_url(re.compile(r"/login"))  # its console's socket was closed
        finally:
            newcomer_ctx.close()
