"""账号管理's form in the real Chromium (QA report, finding 6): a 远程处理人 saved with the 电话
12345, no 姓名 and no 所属单位 or 数据权限 is refused in one message naming each field by the
form's own label, 电话 in the words every contact number's check uses, and each of those inputs
is marked; once they are put right the user is made. Before, 12345 and the siteless handler were
taken (only the missing name was refused, as 名称（必填）). No Asterisk: the console runs
in-process on a seeded SQLite database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]
REFUSED = (
    "表单有误：姓名（必填）、电话（不能填 95598、10086 等服务号码或短号码）、"
    "所属单位（远程处理人须有所属单位或数据权限，否则看不到任何工单）"
)


@pytest.fixture
def phone_console(tmp_path):
    with seeded_console(tmp_path / "phones.db", demo_only, 1) as server:
        yield server


def test_a_handler_with_a_service_number_and_no_site_is_refused_field_by_field(phone_console, browser):
    with admin_on(browser, phone_console, "/admin/users") as page:
        form = page.locator("#user-form")
        expect(form.locator("[name=phone]")).to_have_attribute("type", "tel")
        page.evaluate("document.querySelector('#user-form').noValidate = true")  # let the server refuse it
        form.locator("[name=staff_no]").fill("1008")
        form.locator("input[name=roles][value=handler]").check()
        form.locator("[name=phone]").fill("12345")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toasts .toast").last).to_have_text(REFUSED)
        for name in ("name", "phone", "site_id"):
            expect(form.locator(f"[name={name}]")).to_have_attribute("aria-invalid", "true")
        expect(form.locator("[name=staff_no]")).not_to_have_attribute("aria-invalid", "true")
        expect(page.locator("#user-password")).to_be_hidden()

        form.locator("[name=name]").fill("测试二")
        form.locator("[name=phone]").fill("138 0013 8008")
        bureau = page.evaluate(
            """() => [...document.querySelectorAll("#user-form [name=site_id] option")]
                .map((o) => ({ value: o.value, name: o.text.trim() }))
                .find((o) => o.name.endsWith("供电局"))"""
        )
        form.locator("[name=site_id]").select_option(bureau["value"])
        form.locator("button[type=submit]").click()
        expect(page.locator("#user-password")).to_be_visible()
        expect(page.locator("#user-list tbody tr[data-staff='1008'] td").nth(3)).to_have_text(bureau["name"])
