"""流程配置 in the real Chromium, for the admin who does not read JSON: the step editor is titled by
the workflow's name (故障报修, not fault_repair), as the import's toast is; a field required while
a condition holds (受理's 故障范围 while 大面积停电 is ticked) is said in words and changed with
the condition builder, a rule left without a condition refused at the field in words; time limits
are labelled by the calendar they count on (故障报修 runs round the clock: 小时（全天候）, the
complaint's business hours: 工作小时), in the editor and in the version's detail. No Asterisk: the
console runs in-process on SQLite."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def _version_row(page, key: str, version: int):
    return page.locator(f"#wf-list tbody tr[data-key='{key}'][data-version='{version}']")


def _step_row(page, step: str):
    """The detail's row of the step with id ``step`` (its name is also in other steps' exits)."""
    return page.locator("#wf-steps tbody tr").filter(
        has=page.locator(f"td:first-child code:text-is('{step}')")
    )


def test_limits_are_labelled_by_their_calendar_in_the_detail_and_the_editor(users_console, browser):  # noqa: F811
    with admin_on(browser, users_console, "/admin/workflows") as page:
        _version_row(page, "fault_repair", 1).get_by_role("button", name="查看").click()
        expect(_step_row(page, "confirm")).to_contain_text("0.5 小时（全天候）")
        expect(_step_row(page, "onsite")).to_contain_text("2 小时（全天候）")
        expect(_step_row(page, "visit")).to_contain_text("3 天（全天候）")
        expect(page.locator("#wf-steps tbody")).not_to_contain_text("工作小时")

        _version_row(page, "complaint", 1).get_by_role("button", name="查看").click()
        expect(page.locator("#wf-detail-title")).to_contain_text("投诉")
        expect(_step_row(page, "handle")).to_contain_text("一般 1 工作小时、重大 7 个工作日")

        # the editor: the hours typed are the calendar's, and follow a step's own calendar
        _version_row(page, "fault_repair", 1).get_by_role("button", name="编辑步骤").click()
        editor = page.locator("#wf-step-editor")
        confirm = editor.locator(".wfe-step[data-node='confirm']")
        expect(confirm.locator("input[name=limit_hours]")).to_have_value("0.5")
        expect(confirm.locator(".wfe-limit-unit")).to_have_text("小时（全天候）")
        expect(confirm.locator("select[name=calendar] option").first).to_have_text(
            "沿用流程设置（7×24 小时）"
        )
        confirm.locator("select[name=calendar]").select_option("business")
        expect(confirm.locator(".wfe-limit-unit")).to_have_text("工作小时")

        _version_row(page, "complaint", 1).get_by_role("button", name="编辑步骤").click()
        review = editor.locator(".wfe-step[data-node='review']")
        expect(review.locator(".wfe-limit-unit")).to_have_text("工作小时")
        review.locator("select[name=calendar]").select_option("24x7")
        expect(review.locator(".wfe-limit-unit")).to_have_text("小时（全天候）")


def test_an_admin_changes_a_required_when_without_json_and_the_version_is_named(
    users_console,  # noqa: F811
    browser,
    screenshots,
):
    with admin_on(browser, users_console, "/admin/workflows") as page:
        _version_row(page, "fault_repair", 1).get_by_role("button", name="编辑步骤").click()
        editor = page.locator("#wf-step-editor")
        title = page.locator("#wfe-title")
        expect(title).to_have_text("步骤编辑器：故障报修 第 1 版（保存为新版本）")

        # 故障范围 at 受理: required while 大面积停电 is ticked, in words, no JSON
        row = editor.locator(".wfe-step[data-node='accept'] .wfe-fields tr[data-field='故障范围']")
        expect(row.locator("select[name=perm]")).to_have_value("required_when")
        expect(row.locator("select[name=perm] option:checked")).to_have_text("按条件必填")
        expect(row.locator(".wfe-rw-words")).to_have_text("当「大面积停电」等于“是”时必填")
        expect(row.locator("code")).to_have_count(0)
        expect(row).not_to_contain_text("{")
        cond = row.locator(".wfe-cond[data-cond='0']")
        expect(cond.locator("select[name=cond_field]")).to_have_value("大面积停电")
        expect(cond.locator("select[name=cond_op]")).to_have_value("eq")
        expect(cond.locator("select[name=cond_value] option:checked")).to_have_text("是")
        # it cannot test itself: the field is not among those offered
        expect(cond.locator("select[name=cond_field] option[value='故障范围']")).to_have_count(0)

        # the condition removed: said at once, and the save is refused at the field, in words
        cond.get_by_role("button", name="删除").click()
        expect(row.locator(".wfe-rw-words")).to_contain_text("尚未设置条件")
        editor.locator("#wfe-save").click()
        problem = row.locator(".wfe-field-problem")
        expect(problem).to_contain_text("条件必填（required_when）有误：未设置条件")
        expect(problem).to_contain_text("字段「故障范围」")
        expect(row.locator("select[name=perm]")).to_have_attribute("aria-invalid", "true")
        expect(_version_row(page, "fault_repair", 2)).to_have_count(0)

        # built again: 地点分类 is 农村 or 特殊边远
        row.get_by_role("button", name="添加条件").click()
        cond = row.locator(".wfe-cond[data-cond='0']")
        cond.locator("select[name=cond_field]").select_option(label="地点分类")
        cond.locator("select[name=cond_op]").select_option(label="为其中之一")
        cond.locator("input[name=cond_option][value='城区']").uncheck()
        cond.locator("input[name=cond_option][value='农村']").check()
        cond.locator("input[name=cond_option][value='特殊边远']").check()
        expect(row.locator(".wfe-rw-words")).to_have_text("当「地点分类」为其中之一“农村、特殊边远”时必填")
        editor.locator("#wfe-save").click()

        # named in the toast and the title, the key kept for the URL and file
        expect(page.locator(".toast", has_text="已导入")).to_contain_text("已导入 故障报修 第 2 版")
        expect(page.locator(".toast", has_text="已导入")).not_to_contain_text("fault_repair")
        expect(title).to_have_text("步骤编辑器：故障报修 第 2 版（保存为新版本）")
        expect(_version_row(page, "fault_repair", 2)).to_contain_text("新工单使用")
        expect(page.locator("#wf-source")).to_contain_text("required_when")
        stored = yaml.safe_load(page.locator("#wf-source").inner_text())
        accept = next(n for n in stored["nodes"] if n["id"] == "accept")
        assert accept["fields"]["故障范围"] == {
            "required_when": {"field": "地点分类", "in": ["农村", "特殊边远"]}
        }
        assert accept["fields"]["大面积停电"] == "editable"  # the others as they were

        # the new version's editor says the new condition
        row = editor.locator(".wfe-step[data-node='accept'] .wfe-fields tr[data-field='故障范围']")
        expect(row.locator(".wfe-rw-words")).to_have_text("当「地点分类」为其中之一“农村、特殊边远”时必填")
        # back to a plain permission: the condition goes with it
        row.locator("select[name=perm]").select_option("required")
        expect(row.locator(".wfe-conditions")).to_have_count(0)
        editor.locator(".wfe-step[data-node='accept']").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "admin-workflow-required-when.png"))
        editor.locator("#wfe-save").click()
        expect(title).to_have_text("步骤编辑器：故障报修 第 3 版（保存为新版本）")
        stored = yaml.safe_load(page.locator("#wf-source").inner_text())
        accept = next(n for n in stored["nodes"] if n["id"] == "accept")
        assert accept["fields"]["故障范围"] == "required"
