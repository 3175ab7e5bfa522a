"""流程配置's step editor in the real Chromium: an admin opens a version in the editor, is told at
the step what is wrong with an edit, changes a step's time limit and who acts, saves, and the new
version is the one new orders start on, its YAML showing the change. No Asterisk: the console runs
in-process on SQLite."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def test_an_admin_edits_a_step_s_time_limit_and_operators_and_saves_a_new_version(
    users_console,  # noqa: F811
    browser,
    screenshots,
):
    with admin_on(browser, users_console, "/admin/workflows") as page:
        row = page.locator("#wf-list tbody tr[data-key='complaint'][data-version='1']")
        row.get_by_role("button", name="编辑步骤").click()
        editor = page.locator("#wf-step-editor")
        expect(editor).to_be_visible()
        expect(editor.locator(".wfe-step")).to_have_count(6)
        review = editor.locator(".wfe-step[data-node='review']")
        expect(review.locator("input[name=limit_hours]")).to_have_value("1")
        rule = review.locator(".wfe-batch[data-batch='0'] .wfe-rule").first
        expect(rule.locator("input[data-role=team_leader]")).to_be_checked()

        # a rule left with nothing in it: the refusal is shown at the step, in words
        rule.locator("input[data-role=team_leader]").uncheck()
        editor.locator("#wfe-save").click()
        expect(review.locator(".wfe-step-problems")).to_contain_text("处理人规则有误：步骤「review」")
        expect(editor.locator(".wfe-step[data-node='handle'] .wfe-step-problems")).to_be_empty()
        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_have_count(0)

        # 2.5 working hours, the handlers of the site 所属区域 names
        review.locator("input[name=limit_hours]").fill("2.5")
        rule.locator("input[data-role=handler]").check()
        rule.locator("select[name=site_field]").select_option("所属区域")
        editor.locator("#wfe-save").click()

        new = page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")
        expect(new).to_contain_text("新工单使用")
        expect(page.locator("#wf-detail-title")).to_contain_text("2")
        source = page.locator("#wf-source")
        expect(source).to_contain_text("limit: 2h30m")
        stored = yaml.safe_load(source.inner_text())
        step = next(n for n in stored["nodes"] if n["id"] == "review")
        assert step["sla"]["limit"] == "2h30m"
        assert step["operators"]["batches"][0] == [{"role": "handler", "site_field": "所属区域"}]
        assert step["operators"]["batches"][1] == [{"role": "supervisor"}]  # untouched
        assert step["sla"]["overrun"]["urgency"] == "high"  # the editor does not show it: kept
        # the editor follows the new version
        expect(page.locator("#wfe-title")).to_contain_text("第 2 版")
        expect(editor.locator(".wfe-step[data-node='review'] input[name=limit_hours]")).to_have_value("2.5")
        editor.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "admin-workflow-step-editor.png"))


def test_an_admin_adds_a_step_moves_it_and_routes_to_it(users_console, browser):  # noqa: F811
    with admin_on(browser, users_console, "/admin/workflows") as page:
        page.locator("#wf-list tbody tr[data-key='complaint'][data-version='1']").get_by_role(
            "button", name="编辑步骤"
        ).click()
        editor = page.locator("#wf-step-editor")
        editor.locator("#wfe-add-step").click()
        steps = editor.locator(".wfe-step")
        expect(steps).to_have_count(7)
        new = steps.nth(5)  # before the archive step
        expect(new).to_have_attribute("data-node", "step7")
        new.locator("input[name=id]").fill("callback")
        new.locator("input[name=id]").press("Tab")
        new = editor.locator(".wfe-step[data-node='callback']")
        new.locator("input[name=name]").fill("回电确认")
        new.locator("input[name=limit_hours]").fill("4")
        new.get_by_role("button", name="添加出口").click()
        new.locator("select[name=exit_to]").select_option("done")

        # nothing leads to it yet: said at the new step
        editor.locator("#wfe-save").click()
        expect(new.locator(".wfe-step-problems")).to_contain_text("步骤「callback」")

        # the step before the archive goes to it, and it is moved up before that step
        close = editor.locator(".wfe-step[data-node='close']")
        close.locator("tr[data-exit='0'] select[name=exit_to]").select_option("callback")
        new.get_by_role("button", name="上移").click()
        expect(editor.locator(".wfe-step").nth(4)).to_have_attribute("data-node", "callback")
        editor.locator("#wfe-save").click()

        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_contain_text(
            "新工单使用"
        )
        expect(page.locator("#wf-source")).to_contain_text("id: callback")
        stored = yaml.safe_load(page.locator("#wf-source").inner_text())
        ids = [n["id"] for n in stored["nodes"]]
        assert ids == ["register", "review", "handle", "confirm", "callback", "close", "done"], ids
        step = stored["nodes"][4]
        assert (step["name"], step["sla"], step["exits"]) == ("回电确认", {"limit": "4h"}, [{"to": "done"}])
        assert stored["nodes"][5]["exits"] == [{"to": "callback"}]


def test_a_time_limit_of_0_or_less_is_refused_at_its_input_and_an_empty_one_named_there(
    users_console,  # noqa: F811
    browser,
):
    """0 or -1 hours used to be taken as "no limit", and a step with reminders then came back
    refused as 时限缺少 limit 或 limit_by, the input unmarked on a long page."""
    with admin_on(browser, users_console, "/admin/workflows") as page:
        page.locator("#wf-list tbody tr[data-key='complaint'][data-version='1']").get_by_role(
            "button", name="编辑步骤"
        ).click()
        editor = page.locator("#wf-step-editor")
        review = editor.locator(".wfe-step[data-node='review']")
        limit = review.locator("input[name=limit_hours]")
        for typed in ("0", "-1"):
            limit.fill(typed)
            limit.press("Tab")
            expect(limit).to_have_attribute("aria-invalid", "true")
            expect(review.locator(".wfe-limit-problem")).to_have_text("时限须大于 0；不限时请留空。")
            editor.locator("#wfe-save").click()
            expect(limit).to_be_focused()
        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_have_count(0)

        # emptied (no limit) while the step keeps its reminders: the import's refusal marks the input
        limit.fill("")
        limit.press("Tab")
        expect(review.locator(".wfe-limit-problem")).to_have_text("")
        editor.locator("#wfe-save").click()
        expect(review.locator(".wfe-step-problems")).to_contain_text(
            "未设时限（本步骤的提醒、超时处理或日历须有时限）"
        )
        expect(limit).to_have_attribute("aria-invalid", "true")
        expect(limit).to_be_focused()
        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_have_count(0)

        # a limit more than 0 saves
        limit.fill("3")
        editor.locator("#wfe-save").click()
        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_contain_text(
            "新工单使用"
        )
        expect(page.locator("#wf-detail-title")).to_contain_text("2")
        expect(page.locator("#wf-source")).to_contain_text("limit: 3h")
        stored = yaml.safe_load(page.locator("#wf-source").inner_text())
        assert next(n for n in stored["nodes"] if n["id"] == "review")["sla"]["limit"] == "3h"
