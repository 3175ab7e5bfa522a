"""流程配置's step editor in the real Chromium: an admin builds an exit condition (两个条件，或)
from the workflow's fields, the comparisons their types take and the select's options, is told at
the exit when its target is missing, moves it first, words a reminder's SMS with a message
template picked by name, saves, reloads and finds both in the new version's editor. No Asterisk:
the console runs in-process on SQLite."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]

TEMPLATE = "【催办】{{ order.number }} 即将到期"
TEMPLATE_NAME = "处理催办短信"  # as the admin named it on the message-template page


async def _seed(url: str) -> int:
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.demo import seed_demo
    from ticketing.models import NotificationTemplate
    from ticketing.seed import seed_defaults

    engine = create_engine(url)
    await migrate(engine)
    async with sessionmaker(engine).begin() as db:
        await seed_defaults(db)
        await seed_demo(db, customers=1)
        row = NotificationTemplate(
            name=TEMPLATE_NAME,
            category="complaint",
            node="handle",
            channel="sms",
            audience="handler",
            subject="",
            body=TEMPLATE,
        )
        db.add(row)
        await db.flush()
        template_id = row.id
    await engine.dispose()
    return template_id


@pytest.fixture
def editor_console(tmp_path):
    with seeded_console(tmp_path / "editor.db", _seed) as server:
        yield server


def test_an_admin_builds_an_exit_condition_and_a_reminder_template_saves_and_finds_them(
    editor_console, browser, screenshots
):
    server = editor_console
    template_id = server.seeded
    with admin_on(browser, server, "/admin/workflows") as page:
        page.locator("#wf-list tbody tr[data-key='complaint'][data-version='1']").get_by_role(
            "button", name="编辑步骤"
        ).click()
        editor = page.locator("#wf-step-editor")
        handle = editor.locator(".wfe-step[data-node='handle']")
        handle.get_by_role("button", name="添加出口").click()
        new = handle.locator(".wfe-exits tr[data-exit='1']")

        # 严重程度 等于 一般, or 类别1 为其中之一 一类、二类
        new.get_by_role("button", name="添加条件").click()
        first = new.locator(".wfe-cond[data-cond='0']")
        first.locator("select[name=cond_field]").select_option("严重程度")
        # a select field's comparisons, by name: no 大于 for it
        expect(first.locator("select[name=cond_op] option")).to_have_text(
            ["等于", "不等于", "为其中之一", "不为其中任何一个", "为空", "不为空"]
        )
        expect(first.locator("select[name=cond_value] option")).to_have_text(["一般", "重大"])
        first.locator("select[name=cond_value]").select_option("一般")
        new.get_by_role("button", name="添加条件").click()
        second = new.locator(".wfe-cond[data-cond='1']")
        second.locator("select[name=cond_field]").select_option("类别1")
        second.locator("select[name=cond_op]").select_option("in")
        second.locator("input[name=cond_option][value='二类']").check()
        new.locator("select[name=cond_join]").select_option("any")

        # no target yet: said at the exit, and nothing stored
        editor.locator("#wfe-save").click()
        expect(new.locator(".wfe-exit-problem")).to_contain_text("出口指向不存在的步骤")
        expect(new.locator(".wfe-exit-problem")).to_contain_text("第 2 个出口")
        expect(new.locator("select[name=exit_to]")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_have_count(0)

        new.locator("select[name=exit_to]").select_option("close")
        new.get_by_role("button", name="出口前移").click()  # the first exit whose condition holds is taken
        expect(handle.locator(".wfe-exits tr[data-exit='0'] select[name=exit_to]")).to_have_value("close")

        # the first reminder also by SMS, worded by the template picked by name
        reminder = handle.locator(".wfe-reminders tr[data-reminder='0']")
        expect(reminder.locator("select[name=rem_template_sms]")).to_have_count(0)  # not sent by SMS yet
        reminder.locator("label.check", has_text="短信").locator("input").check()
        reminder.locator("select[name=rem_template_sms]").select_option(label=TEMPLATE_NAME)
        editor.locator("#wfe-save").click()

        expect(page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']")).to_contain_text(
            "新工单使用"
        )
        # the new version's YAML, once the detail shows it
        # the template by its category and step, which another installation has too (not its id)
        expect(page.locator("#wf-source")).to_contain_text("category: complaint")
        stored = yaml.safe_load(page.locator("#wf-source").inner_text())
        step = next(n for n in stored["nodes"] if n["id"] == "handle")
        assert step["exits"] == [
            {
                "to": "close",
                "when": {
                    "any": [{"field": "严重程度", "eq": "一般"}, {"field": "类别1", "in": ["一类", "二类"]}]
                },
            },
            {"to": "confirm"},
        ]
        assert step["sla"]["reminders"][0]["channels"] == ["screen", "sms"]
        assert step["sla"]["reminders"][0]["templates"] == {
            "sms": {"category": "complaint", "node": "handle"}
        }

        # a reload: the new version's editor shows both as built
        page.reload()
        page.locator("#wf-list tbody tr[data-key='complaint'][data-version='2']").get_by_role(
            "button", name="编辑步骤"
        ).click()
        expect(page.locator("#wfe-title")).to_contain_text("第 2 版")
        handle = editor.locator(".wfe-step[data-node='handle']")
        built = handle.locator(".wfe-exits tr[data-exit='0']")
        expect(built.locator("select[name=exit_to]")).to_have_value("close")
        expect(built.locator("select[name=cond_join]")).to_have_value("any")
        expect(built.locator(".wfe-conditions")).not_to_contain_text("null")
        expect(built.locator("select[name=cond_field]")).to_have_count(2)
        expect(built.locator(".wfe-cond[data-cond='0'] select[name=cond_field]")).to_have_value("严重程度")
        expect(built.locator(".wfe-cond[data-cond='0'] select[name=cond_value]")).to_have_value("一般")
        expect(built.locator(".wfe-cond[data-cond='1'] select[name=cond_op]")).to_have_value("in")
        expect(
            built.locator(".wfe-cond[data-cond='1'] input[name=cond_option][value='一类']")
        ).to_be_checked()
        expect(
            built.locator(".wfe-cond[data-cond='1'] input[name=cond_option][value='二类']")
        ).to_be_checked()
        expect(
            built.locator(".wfe-cond[data-cond='1'] input[name=cond_option][value='三类']")
        ).not_to_be_checked()
        picked = handle.locator(".wfe-reminders tr[data-reminder='0'] select[name=rem_template_sms]")
        expect(picked).to_have_value(str(template_id))
        expect(picked.locator("option:checked")).to_have_text(TEMPLATE_NAME)
        handle.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "admin-workflow-exit-conditions.png"))
