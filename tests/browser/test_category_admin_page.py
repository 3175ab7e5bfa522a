"""业务类别 in the real Chromium (QA defect: an imported workflow showed 未挂接业务类别 and nothing
could attach it): the admin imports a workflow at 流程配置, creates a 大类别 on it at 业务类别 (a
bad code is marked on its input, nothing typed is lost), adds a 小类别 and the visit-back
dimensions and a site's own version of the 小类别 (listed with its site, and its 供电所's as
overriding that site's, from which it inherits), 流程配置 then names the
category, and an agent finds it on the intake form. No
Asterisk: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_dispatch_setup import admin_on
from tests.browser.test_user_admin import users_console  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]

BILLING = yaml.safe_dump(
    {
        "key": "billing_dispute",
        "name": "电费争议处理",
        "category": "billing_dispute",
        "number_pattern": "DF{yyyyMMdd}{seq:05}",
        "fields": {"争议内容": {"type": "textarea"}, "答复内容": {"type": "textarea"}},
        "nodes": [
            {
                "id": "accept",
                "type": "create",
                "name": "受理",
                "status": "已受理",
                "fields": {"争议内容": "required", "答复内容": "required"},
                "exits": [{"to": "done"}],
            },
            {"id": "done", "type": "archive", "name": "处理完毕", "status": "处理完毕"},
        ],
    },
    allow_unicode=True,
    sort_keys=False,
)


def test_an_admin_attaches_an_imported_workflow_and_an_agent_takes_it_in(users_console, browser, screenshots):  # noqa: F811
    server = users_console
    with admin_on(browser, server, "/admin/workflows") as page:
        page.locator("#wf-form [name=source]").fill(BILLING)
        page.locator("#wf-form button[type=submit]").click()
        row = page.locator("#wf-list tbody tr[data-key='billing_dispute']").first
        # 未挂接业务类别 leads to where it is attached
        row.get_by_role("link", name="未挂接业务类别").click()
        page.wait_for_url("**/admin/categories")
        form = page.locator("#cat-form")
        # the workflow is offered by name, saying it serves no category yet; consult says whom it serves
        wf = form.locator("[name=workflow_key]")
        expect(wf.locator("option[value='billing_dispute']")).to_have_text(
            "电费争议处理（billing_dispute） · 未挂接"
        )
        expect(wf.locator("option[value='consult']")).to_contain_text("已挂接：用户信息查询、信息咨询")
        page.evaluate("document.querySelector('#cat-form').noValidate = true")  # let the server refuse it
        form.locator("[name=name]").fill("电费争议")
        form.locator("[name=code]").fill("电费")
        wf.select_option("billing_dispute")
        form.locator("button[type=submit]").click()
        expect(form.locator("[name=code]")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".toast").last).to_contain_text("编码（编码须为")
        expect(form.locator("[name=name]")).to_have_value("电费争议")  # nothing typed is lost
        expect(wf).to_have_value("billing_dispute")

        form.locator("[name=code]").fill("billing")
        form.locator("button[type=submit]").click()
        top = page.locator("#cat-list tbody tr[data-code='billing']")
        expect(top.locator("td[data-workflow]")).to_have_text("电费争议处理")
        expect(top.locator("td[data-state]")).to_have_text("启用")
        expect(form.locator("[name=code]")).to_have_value("")  # the form is cleared for the next one

        form.locator("[name=name]").fill("表计争议")
        form.locator("[name=code]").fill("billing_meter")
        form.locator("[name=parent_id]").select_option(label="电费争议（billing）")
        expect(wf).to_be_disabled()  # a 小类别 takes orders on its 大类别's workflow
        form.locator("button[type=submit]").click()
        expect(page.locator("#cat-list tbody tr[data-code='billing_meter'] td").nth(2)).to_have_text("小类别")
        # 广州's own version of it (适用单位: enabled sites), listed with its site as an override
        form.locator("[name=name]").fill("广州表计争议")
        form.locator("[name=code]").fill("billing_meter")
        form.locator("[name=site_id]").select_option(label="广州市供电局")
        form.locator("[name=parent_id]").select_option(label="电费争议（billing）")
        form.locator("button[type=submit]").click()
        meters = page.locator("#cat-list tbody tr[data-code='billing_meter'] td[data-site]")
        expect(meters).to_have_text(["全部单位共用", "广州市供电局 · 覆盖共用类别"])
        expect(form.locator("[name=site_id]")).to_have_value("")  # cleared for the next one
        # 编辑 renames it in place: its site and code stay as they are
        page.locator("#cat-list tbody tr[data-code='billing_meter']").nth(1).locator(
            "[data-act=edit]"
        ).click()
        expect(form.locator("[name=site_id]")).to_be_disabled()
        expect(form.locator("[name=site_id] option:checked")).to_have_text("广州市供电局")
        form.locator("[name=name]").fill("广州表计纠纷")
        form.locator("button[type=submit]").click()
        expect(page.locator("#cat-list tbody tr[data-code='billing_meter'] td:first-child")).to_have_text(
            ["　└ 表计争议", "　└ 广州表计纠纷"]
        )
        # its 供电所 inherits 广州's: a version of its own there is listed as overriding 广州's
        form.locator("[name=name]").fill("天河表计争议")
        form.locator("[name=code]").fill("billing_meter")
        form.locator("[name=site_id]").select_option(label="天河区供电所")
        form.locator("[name=parent_id]").select_option(label="电费争议（billing）")
        form.locator("button[type=submit]").click()
        expect(meters).to_have_text(
            ["全部单位共用", "广州市供电局 · 覆盖共用类别", "天河区供电所 · 覆盖广州市供电局的类别"]
        )

        # a workflow already serving other categories is attached once the admin agrees, asked by name
        asked: list[str] = []

        def agree(dialog):
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", agree)
        form.locator("[name=name]").fill("电价咨询")
        form.locator("[name=code]").fill("tariff")
        wf.select_option("consult")
        expect(page.locator("#cat-workflow-note")).to_contain_text("该流程已挂接于：用户信息查询、信息咨询")
        form.locator("button[type=submit]").click()
        tariff = page.locator("#cat-list tbody tr[data-code='tariff']")
        expect(tariff.locator("td[data-workflow]")).to_have_text("信息咨询")
        assert asked == [
            "该流程已挂接于以下大类别：用户信息查询、信息咨询。一个流程可以服务多个大类别，确定也挂接到本类别吗？"
        ]
        # 停用 (asked first): it leaves intake, it is not deleted
        tariff.locator("[data-act=toggle]").click()
        expect(tariff.locator("td[data-state]")).to_have_text("已停用")
        assert "停用「电价咨询」？" in asked[-1]
        page.remove_listener("dialog", agree)

        top.locator("[data-act=survey]").click()
        survey = page.locator("#cat-survey-form")
        survey.locator("[name=dimensions]").fill("服务态度:满意,一般 | 不满意\n答复质量:清楚")
        survey.locator("button[type=submit]").click()
        expect(page.locator(".toast").last).to_contain_text("回访评价项目第 2 行")
        expect(survey.locator("[name=dimensions]")).to_have_attribute("aria-invalid", "true")
        survey.locator("[name=dimensions]").fill("服务态度:满意,一般 | 不满意\n答复质量:清楚 | 不清楚")
        survey.locator("button[type=submit]").click()
        expect(top.locator("td").nth(5)).to_have_text("服务态度（满意/一般/不满意）；答复质量（清楚/不清楚）")
        # 协调单 has no dimensions of its own: it is visited back with its workflow's category's
        coordination = page.locator("#cat-list tbody tr[data-code='coordination'] td").nth(5)
        expect(coordination).to_contain_text("沿用「故障报修」的：服务技能（满意/一般/不满意）")
        page.screenshot(path=str(screenshots / "admin-categories.png"))

        page.click("#nav-admin summary")  # 系统管理, the admin's setup pages
        page.click("nav a[href='/admin/workflows']")
        row = page.locator("#wf-list tbody tr[data-key='billing_dispute']").first
        expect(row).to_contain_text("电费争议")
        expect(row).not_to_contain_text("未挂接业务类别")

    with signed_in(browser, server, "1001") as page:
        page.select_option("#intake-category", label="电费争议")
        expect(page.locator("#intake-subcategory option")).to_contain_text(["表计争议"])
        expect(page.locator("#intake-fields")).to_contain_text("争议内容")
        expect(page.locator("#intake-category option", has_text="电价咨询")).to_have_count(0)  # 停用


def test_an_admin_restores_the_shared_category_a_site_had_hidden(users_console, browser):  # noqa: F811
    """恢复上级设置: 广州's 停用 override of the shared 信息咨询 (how a site hides it) is removed
    from its row, asked first; 广州 follows the shared row again. An override with 广州's own
    小类别 under it is kept, the refusal naming them."""
    server = users_console
    with admin_on(browser, server, "/admin/categories") as page:
        asked: list[str] = []

        def agree(dialog):
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", agree)
        form = page.locator("#cat-form")
        form.locator("[name=name]").fill("广州咨询")
        form.locator("[name=code]").fill("consult")
        form.locator("[name=site_id]").select_option(label="广州市供电局")
        form.locator("[name=workflow_key]").select_option("consult")
        form.locator("button[type=submit]").click()
        rows = page.locator("#cat-list tbody tr[data-code='consult']")
        expect(rows.locator("td[data-site]")).to_have_text(["全部单位共用", "广州市供电局 · 覆盖共用类别"])
        # the shared row has nothing to restore: no button there
        expect(rows.nth(0).locator("[data-act=restore]")).to_have_count(0)
        override = rows.nth(1)
        override.locator("[data-act=toggle]").click()
        expect(override.locator("td[data-state]")).to_have_text("已停用")

        override.locator("[data-act=restore]").click()
        expect(rows).to_have_count(1)
        expect(rows.locator("td[data-site]")).to_have_text("全部单位共用")
        expect(rows.locator("td[data-state]")).to_have_text("启用")
        expect(page.locator(".toast").last).to_contain_text("广州市供电局已恢复使用全部单位共用的设置")
        assert "删除广州市供电局对「广州咨询」的覆盖" in asked[-1]

        # 广州's 故障报修 with its own 小类别 under it: kept, the refusal names the 小类别
        form.locator("[name=name]").fill("广州故障报修")
        form.locator("[name=code]").fill("fault")
        form.locator("[name=site_id]").select_option(label="广州市供电局")
        form.locator("[name=workflow_key]").select_option("fault_repair")
        form.locator("button[type=submit]").click()
        faults = page.locator("#cat-list tbody tr[data-code='fault']")
        expect(faults).to_have_count(2)
        form.locator("[name=name]").fill("树障清理")
        form.locator("[name=code]").fill("gz_tree")
        form.locator("[name=site_id]").select_option(label="广州市供电局")
        form.locator("[name=parent_id]").select_option(label="广州故障报修（fault） · 广州市供电局")
        form.locator("button[type=submit]").click()
        expect(page.locator("#cat-list tbody tr[data-code='gz_tree']")).to_have_count(1)
        faults.nth(1).locator("[data-act=restore]").click()
        expect(page.locator(".toast").last).to_contain_text("下还有本单位的小类别：树障清理")
        expect(faults).to_have_count(2)


def test_a_sites_visit_back_dimensions_say_whose_they_follow(users_console, browser):  # noqa: F811
    """Visit-back dimensions inherit down the site tree: 广州's own set is its 供电所's, and the
    survey form says so for 天河区供电所 (沿用广州市供电局的); a site of another bureau follows
    the shared set; a site with its own shows it to edit."""
    server = users_console
    with admin_on(browser, server, "/admin/categories") as page:
        fault = page.locator("#cat-list tbody tr[data-code='fault']").first
        survey = page.locator("#cat-survey-form")
        note = page.locator("#cat-survey-from")
        fault.locator("[data-act=survey]").click()
        survey.locator("[name=site_id]").select_option(label="广州市供电局")
        expect(note).to_contain_text("沿用全部单位（默认）的回访项目")
        survey.locator("[name=dimensions]").fill("到场速度：快 | 慢")
        survey.locator("button[type=submit]").click()
        expect(fault.locator("td").nth(5)).to_contain_text("广州市供电局")

        fault.locator("[data-act=survey]").click()
        survey.locator("[name=site_id]").select_option(label="天河区供电所")
        expect(note).to_have_text(
            "该单位未单独设置，沿用广州市供电局的回访项目：到场速度（快/慢）。在下方填写并保存即为该单位单独设置。"
        )
        expect(survey.locator("[name=dimensions]")).to_have_value("")
        survey.locator("[name=site_id]").select_option(label="广州市供电局")
        expect(note).to_be_hidden()
        expect(survey.locator("[name=dimensions]")).to_have_value("到场速度：快 | 慢")
