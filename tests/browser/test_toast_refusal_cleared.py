"""QA: a form refused, corrected and saved again left the red refusal (表单有误：…, 8 s) on screen
after the green 已保存 (3 s) had gone, so the last word the user saw said the save failed. A
success now takes away the refusals still shown; a refusal after a success stays. 账号管理's edit
in Chromium, in-process console, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def test_a_corrected_save_takes_the_refusal_away(users_console, browser):  # noqa: F811
    server = users_console
    with admin_on(browser, server, "/admin/users") as page:
        row = page.locator("#user-list tbody tr[data-staff='1006']")
        row.get_by_role("button", name="编辑").click()
        form = page.locator("#user-form")
        expect(form.locator("[name=staff_no]")).to_have_value("1006")
        refused, ok = page.locator("#toasts .toast.refused"), page.locator("#toasts .toast.ok")

        form.locator("[name=phone]").fill("12345")  # not a phone number: the server refuses it
        form.locator("button[type=submit]").click()
        expect(refused).to_have_count(1)
        expect(refused).to_contain_text("表单有误")

        form.locator("[name=phone]").fill("13800138006")
        form.locator("button[type=submit]").click()
        expect(ok).to_have_text("已保存")
        expect(refused).to_have_count(0)  # gone with the save, not 8 s after the refusal

        # a refusal after the success is shown as ever
        row.get_by_role("button", name="编辑").click()
        form.locator("[name=phone]").fill("12345")
        form.locator("button[type=submit]").click()
        expect(refused).to_have_count(1)
