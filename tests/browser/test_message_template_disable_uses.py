"""短信/邮件模板 in the real Chromium: 停用 of a template the complaint workflow's 处理 reminder is
worded with (in the version new orders start on) first names that use — 投诉 v2「处理」第 1 个提醒
（短信） — and asks; cancelled, the template stays enabled; confirmed, it is 停用 (the reminder then
says the default words). A template no reminder uses is disabled without a question. No Asterisk:
the console runs in-process on SQLite."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> dict:
    from ticketing.message_templates import create_template
    from ticketing.seed import workflow_source
    from ticketing.workflow.store import import_definition

    async with demo_database(url, customers=1) as demo:
        db, admin = demo.db, demo.users["9001"]
        used = await create_template(
            db,
            admin,
            {
                "name": "处理催办短信",
                "category": "complaint",
                "node": "handle",
                "channel": "sms",
                "audience": "handler",
                "body": "【催办】{{ order.number }}",
            },
        )
        unused = await create_template(
            db,
            admin,
            {
                "name": "复核提醒短信",
                "category": "complaint",
                "node": "review",
                "channel": "sms",
                "audience": "handler",
                "body": "请复核 {{ order.number }}",
            },
        )
        data = workflow_source("complaint")
        handle = next(n for n in data["nodes"] if n["id"] == "handle")
        handle["sla"]["reminders"] = [
            {"before": "15m", "notify": {"current_handlers": True}, "channels": ["screen", "sms"],
             "templates": {"sms": {"category": "complaint", "node": "handle"}}}
        ]  # fmt: skip
        row = await import_definition(db, data, actor=admin)
        return {"used": used.id, "unused": unused.id, "version": row.version, "name": row.name}


@pytest.fixture
def uses_console(tmp_path):
    with seeded_console(tmp_path / "template_uses.db", _seed) as server:
        yield server


def test_disabling_a_template_a_reminder_uses_names_the_use_and_asks(uses_console, browser):
    server = uses_console
    seeded = server.seeded
    with admin_on(browser, server, "/admin/message-templates") as page:
        used = page.locator(f"#msg-list tbody tr[data-id='{seeded['used']}']")
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        used.get_by_role("button", name="停用").click()
        expect(used.get_by_role("button", name="停用")).to_be_enabled()
        assert asked, "no question was asked"
        assert "模板「处理催办短信」" in asked[0]  # which template, by its name
        assert f"{seeded['name']} v{seeded['version']}「处理」第 1 个提醒（短信）" in asked[0]
        assert "默认提醒文字" in asked[0]
        expect(used).not_to_have_class("muted")  # cancelled: still enabled

        page.once("dialog", lambda d: d.accept())
        used.get_by_role("button", name="停用").click()
        expect(page.locator(f"#msg-list tbody tr[data-id='{seeded['used']}']")).to_have_class("muted")

        # no reminder uses it: disabled at once, nothing asked
        unused = page.locator(f"#msg-list tbody tr[data-id='{seeded['unused']}']")
        page.on("dialog", lambda d: pytest.fail(f"asked: {d.message}"))
        unused.get_by_role("button", name="停用").click()
        expect(page.locator(f"#msg-list tbody tr[data-id='{seeded['unused']}']")).to_have_class("muted")
