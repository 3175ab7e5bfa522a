"""单位管理 in the real Chromium: an admin opens it from the nav bar, sees the sites with their
hours and the holidays (2027 provisional), gets a bad period marked on its weekday's input,
then saves a Saturday opening that the list shows. No Asterisk: the console runs in-process
on a seeded SQLite database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def test_an_admin_sets_a_bureaus_saturday_hours(users_console, browser):  # noqa: F811
    with admin_on(browser, users_console, "/admin/sites") as page:
        row = page.locator("#site-list tbody tr", has_text="440100").first
        expect(row).to_contain_text("广州市供电局")
        # on the default hours: said in short, the week on hover
        expect(row.locator(".site-hours")).to_have_text("默认营业时间")
        expect(row.locator(".site-hours span").first).to_have_attribute(
            "title", "周一至周五 08:30-12:00、13:30-17:30"
        )
        expect(page.locator("#site-holidays")).to_contain_text("2027 · 暂定")
        expect(page.locator("#site-holidays")).to_contain_text("国庆节")
        row.get_by_role("button", name="编辑").click()
        form = page.locator("#site-form")
        expect(form.locator("[name=code]")).to_have_value("440100")
        form.locator("[name='hours.sat']").fill("12:00-09:00")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name='hours.sat']")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".toast").last).to_contain_text("周六（时段的开始须早于结束）")
        form.locator("[name='hours.sat']").fill("09:00-12:00")
        form.locator("button[type=submit]").click()
        expect(row).to_contain_text("周一至周五 08:30-12:00、13:30-17:30；周六 09:00-12:00")
