"""A template that cannot be filled, on the order page in the real Chromium: the fax template
listing marks it (⚠ 模板有误) beside the good ones, and the auto-sent SMS it could not fill when
the order entered its step shows on the timeline failed, in words, without 重发. No Asterisk
needed: the console runs in-process on a seeded SQLite database (see in_process)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database
from tests.unfillable_templates import BROKEN_FAX_SUBJECT, COSTLY, consult_reply_template

pytestmark = [pytest.mark.browser]


async def _seed(url: str, numbers: dict[str, str]) -> None:
    async with demo_database(url) as demo:
        demo.db.add_all(  # stored before saves were checked
            [
                consult_reply_template("测试模板1", "fax", subject=BROKEN_FAX_SUBJECT, body="x"),
                consult_reply_template("测试模板2", "sms", auto_send=True, body=COSTLY),
            ]
        )
        order = await demo.consult_order("每年7-9月执行")
        numbers["order"] = order.number


@pytest.fixture
def broken_console(tmp_path):
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "broken.db", _seed, numbers) as server:
        assert set(numbers) == {"order"}
        yield server, numbers["order"]


def test_the_order_page_marks_a_broken_fax_template_and_a_message_it_could_not_fill(broken_console, browser):
    server, number = broken_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{number}")
        expect(page.locator("#fax-form")).to_be_visible(timeout=10_000)
        options = page.locator("#fax-template option")
        expect(options).to_have_count(2)
        # each by its 模板名称, the subject this order's fax would carry on hover
        expect(options.nth(0)).to_have_text("咨询答复函（传真）")
        expect(options.nth(0)).to_have_attribute("title", f"国网客服中心 答复函（工单 {number}）")
        expect(options.nth(1)).to_contain_text("测试模板1")
        expect(options.nth(1)).to_have_attribute("title", "停电答复 {{ order.number")
        expect(options.nth(1)).to_contain_text("模板有误")
        assert options.nth(1).get_attribute("data-error") == "template_invalid"

        sms = page.locator("#order-timeline li[data-kind=sms]")
        expect(sms).to_contain_text("消息模板有误", timeout=10_000)
        expect(sms.locator("[data-failure=template]")).to_have_count(1)
        expect(sms.locator("button[data-resend]")).to_have_count(0)  # nothing to send again
