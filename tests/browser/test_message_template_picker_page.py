"""短信/邮件/传真模板's merge-field picker in the real Chromium: the admin picks the customer's name,
it is written at the cursor with a default for when it is missing, and the preview shows it filled
on a sample order and on one without a customer. In-process console on SQLite."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def test_a_picked_field_is_inserted_at_the_cursor_and_renders_in_the_preview(users_console, browser):  # noqa: F811
    with admin_on(browser, users_console, "/admin/message-templates") as page:
        form = page.locator("#msg-form")
        form.locator("select[name=category]").select_option("fault")
        picker = form.locator("select[name=merge_field]")
        expect(picker.locator("option[value='form.故障地址']")).to_have_count(1)
        body = form.locator("textarea[name=body]")
        body.fill("尊敬的，您的工单已受理。")
        body.evaluate("b => { b.focus(); b.setSelectionRange(3, 3); }")
        picker.select_option("customer.name")
        expect(form.locator("input[name=merge_default]")).to_have_value("客户")
        page.locator("#msg-insert").click()
        expect(body).to_have_value("尊敬的{{ customer.name | fallback('客户') }}，您的工单已受理。")

        page.locator("#msg-preview-btn").click()
        expect(page.locator("#msg-preview-body")).to_have_text("尊敬的张三，您的工单已受理。")
        form.locator("input[name=preview_missing]").check()
        page.locator("#msg-preview-btn").click()
        expect(page.locator("#msg-preview-body")).to_have_text("尊敬的客户，您的工单已受理。")

        # a text that cannot be filled is marked, as a save marks it
        body.fill("{{ order.number }")
        page.locator("#msg-preview-btn").click()
        expect(body).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#msg-preview")).to_be_hidden()
