"""流程配置 in the real Chromium: an admin takes the consultation workflow as the base of a new
version, a broken edit is refused with its problems listed and the text kept, and the fixed one
becomes the version new orders start on. No Asterisk: the console runs in-process on SQLite."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def test_an_admin_imports_a_new_version_of_a_workflow(users_console, browser, screenshots):  # noqa: F811
    with admin_on(browser, users_console, "/admin/workflows") as page:
        row = page.locator("#wf-list tbody tr[data-key='consult'][data-version='1']")
        expect(row).to_contain_text("新工单使用")
        row.get_by_role("button", name="以此为底稿").click()
        source = page.locator("#wf-form [name=source]")
        expect(source).to_have_value(re.compile(r"^key: consult", re.M))

        text = source.input_value()
        broken = text.replace("- to: done", "- to: nowhere")
        assert broken != text
        source.fill(broken)
        page.locator("#wf-form button[type=submit]").click()
        problems = page.locator("#wf-problems")
        expect(problems).to_be_visible()
        # in words, the step and the value named (not the engine's English sentence)
        expect(problems).to_contain_text(
            "出口指向不存在的步骤：步骤「accept」，第 1 个出口，写的是「nowhere」"
        )
        expect(problems).not_to_contain_text("has an exit")
        expect(source).to_have_value(broken)  # nothing typed is lost
        problems.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "admin-workflow-refused.png"))

        source.fill(text.replace("name: 信息咨询", "name: 信息咨询(新版)", 1))
        page.locator("#wf-form button[type=submit]").click()
        new = page.locator("#wf-list tbody tr[data-key='consult'][data-version='2']")
        expect(new).to_contain_text("新工单使用")
        expect(page.locator("#wf-list tbody tr[data-key='consult'][data-version='1']")).not_to_contain_text(
            "新工单使用"
        )


def test_the_list_names_categories_and_asks_by_the_workflows_name(users_console, browser):  # noqa: F811
    """The 类别 column and the 停用 question use names, never the codes (complaint, fault …)."""
    with admin_on(browser, users_console, "/admin/workflows") as page:
        row = page.locator("#wf-list tbody tr[data-key='complaint'][data-version='1']")
        expect(row.locator("td").nth(2)).to_have_text("投诉举报建议")
        aftersales = page.locator("#wf-list tbody tr[data-key='aftersales_repair'][data-version='1'] td")
        expect(aftersales.nth(2)).to_have_text("售后报修")
        asked = []

        def answer(dialog):
            asked.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", answer)
        row.get_by_role("button", name="停用").click()
        expect(row).to_contain_text("新工单使用")  # dismissed: nothing changed
        assert asked and asked[0].startswith("停用 投诉举报建议 第 1 版"), asked
        row.get_by_role("button", name="查看").click()
        expect(page.locator("#wf-meta")).to_contain_text("类别：投诉举报建议")
