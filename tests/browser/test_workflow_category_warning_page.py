"""流程配置 in the real Chromium: a workflow imported on a category another workflow already
takes orders of goes in, and the page says so under 已导入，但请注意 (category_in_use, naming
the other workflow), not as a refusal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def test_an_import_on_another_workflows_category_is_shown_a_warning(users_console, browser):  # noqa: F811
    with admin_on(browser, users_console, "/admin/workflows") as page:
        row = page.locator("#wf-list tbody tr[data-key='consult'][data-version='1']")
        row.get_by_role("button", name="以此为底稿").click()
        source = page.locator("#wf-form [name=source]")
        expect(source).to_have_value(re.compile(r"^key: consult", re.M))
        text = source.input_value()
        copy = re.sub(r"^key: consult$", "key: consult_copy", text, count=1, flags=re.M)
        copy = re.sub(
            r"^number_pattern: .*$", "number_pattern: QQ{yyyyMMdd}{seq:05}", copy, count=1, flags=re.M
        )
        assert copy.count("consult_copy") == 1 and "QQ{" in copy
        source.fill(copy)
        page.locator("#wf-form button[type=submit]").click()
        expect(page.locator("#wf-list tbody tr[data-key='consult_copy'][data-version='1']")).to_be_visible()
        box = page.locator("#wf-problems")
        expect(box).to_be_visible()
        expect(page.locator("#wf-problems-title")).to_have_text("已导入，但请注意：")
        expect(box).to_contain_text("业务类别已被其他流程使用")
        expect(box).to_contain_text("consult：信息咨询（consult）")
        expect(source).to_have_value("")  # imported: the form is cleared as ever
        expect(source).not_to_have_attribute("aria-invalid", "true")
