"""QA on 审计日志 (admin 9001, Chromium): the 对象 filter had no 抢修班组, 业务类别, 消息模板,
打印模板 or 事件; 操作 took a code's start only (order.), not the words the table shows; 变更
showed a message's id, an order's id, the channel sms and lists as JSON; 接收确认 read 批准.
Now every kind is offered and finds its rows, 操作 finds an action by its words (the step's own:
接收确认), and a change reads in words: 渠道 短信, 消息 by its text, 工单 by its number, a crew's
成员 张三、李四. In-process console on the demo's database."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.browser.test_dispatch_setup import admin_on

pytestmark = [pytest.mark.browser]

CREW = "天河抢修一班"
SMS = "您的报修已受理，抢修人员正在赶往现场"


async def _seed(url: str) -> str:
    """A fault order 5101 takes at 接收确认, an SMS about it, a crew: the order's number."""
    from ticketing import approve, crews
    from ticketing.notify import send_message

    async with demo_database(url, customers=1) as demo:
        order = await demo.fault_order()
        await approve(demo.db, demo.users["5101"], order, opinion="收到")
        await send_message(
            demo.db,
            demo.users["1001"],
            "sms",
            "13800138000",
            "",
            SMS,
            order_id=order.id,
            about=("work_order", order.id),
        )
        await crews.create(
            demo.db,
            demo.users["9001"],
            {"name": CREW, "site_id": demo.sites["440100"].id, "members": ["张三", "李四"]},
        )
        return order.number


@pytest.fixture
def audit_words_console(tmp_path):
    with seeded_console(tmp_path / "audit_words.db", _seed) as server:
        yield server


def test_the_audit_filters_and_changes_read_in_words(audit_words_console, browser):
    server = audit_words_console
    number = server.seeded
    with admin_on(browser, server, "/admin/audit") as page:
        form = page.locator("#audit-filter")
        rows = page.locator("#audit-rows tbody tr")
        kinds = form.locator("[name=entity] option")
        for words in ("抢修班组", "业务类别", "消息模板", "打印模板", "事件"):
            expect(kinds.filter(has_text=re.compile(f"^{words}$"))).to_have_count(1)

        # 对象 抢修班组: the crew's row, by its name; its 成员 a list in words, its 单位 by name
        form.locator("[name=entity]").select_option(label="抢修班组")
        form.locator("button[type=submit]").click()
        expect(rows).to_have_count(1)
        crew = rows.first
        expect(crew.locator("td").nth(2)).to_have_text("新建抢修班组")
        expect(crew.locator("td").nth(3)).to_have_text(f"抢修班组 {CREW}")
        expect(crew.locator("[data-field=members]")).to_have_text("成员：— → 张三、李四")
        expect(crew.locator("[data-field=site_id]")).to_have_text(re.compile(r"^单位：— → \S*广州\S*$"))
        expect(crew.locator("[data-field=active]")).to_have_text("有效：— → 是")

        # 操作 by the words the table shows: the step's own (接收确认), picked from the list
        form.locator("[name=entity]").select_option(value="")
        expect(page.locator("#audit-actions option[value='接收确认']")).to_have_count(1)
        form.locator("[name=action]").fill("接收确认")
        form.locator("button[type=submit]").click()
        expect(rows).to_have_count(1)
        confirmed = rows.first
        expect(confirmed.locator("td").nth(2)).to_have_text("接收确认")
        expect(confirmed.locator("td").nth(2)).to_have_attribute("title", "order.approve")
        expect(confirmed.locator("td").nth(3)).to_have_text(number)
        expect(confirmed.locator("[data-field=opinion]")).to_have_text("意见：— → 收到")

        # a message in words: its channel, its text (not its id), the order by its number
        form.locator("[name=action]").fill("发送消息")
        form.locator("button[type=submit]").click()
        expect(rows).to_have_count(1)
        sent = rows.first
        expect(sent.locator("[data-field=channel]")).to_have_text("渠道：— → 短信")
        expect(sent.locator("[data-field=notification]")).to_have_text(f"消息：— → {SMS[:40]}")
        expect(sent.locator("[data-field=notification] span")).to_have_attribute(
            "title", re.compile(r"^#\d+$")
        )
        expect(sent.locator("[data-field=order_id]")).to_have_text(f"工单：— → {number}")
        expect(sent.locator("[data-field=order_id] a")).to_have_attribute("href", f"/orders/{number}")
        expect(sent.locator("td").last).not_to_contain_text("sms")
