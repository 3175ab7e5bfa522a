"""The order page in the real Chromium: the 发短信, 发邮件 and 发传真 template pickers list each
template by its 模板名称 (the name the agent knows it by), the SMS and email forms still preview
what this order's message would read, the fax's subject on hover; the one picked by name is the
one sent. No Asterisk needed: the console runs in-process on a seeded SQLite database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database

pytestmark = [pytest.mark.browser]
ANSWER = "每年7-9月执行"


async def _seed(url: str, numbers: dict[str, str]) -> None:
    from ticketing.models import NotificationTemplate

    async with demo_database(url) as demo:
        order = await demo.consult_order(ANSWER)
        at = {"category": "consult", "node": order.current_node, "auto_send": False}
        demo.db.add_all(
            [
                NotificationTemplate(
                    name="咨询受理告知短信",
                    channel="sms",
                    body="【95598】您的咨询（工单 {{ order.number }}）已受理。",
                    **at,
                ),
                NotificationTemplate(
                    name="咨询答复短信",
                    channel="sms",
                    body="【95598】您的咨询答复：{{ form.get('答复内容', '') }}",
                    **at,
                ),
                NotificationTemplate(
                    name="咨询答复邮件",
                    channel="email",
                    subject="咨询答复（工单 {{ order.number }}）",
                    body="{{ form.get('答复内容', '') }}",
                    **at,
                ),
            ]
        )
        numbers["order"] = order.number


@pytest.fixture
def named_console(tmp_path):
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "named.db", _seed, numbers) as server:
        yield server, numbers["order"]


def test_the_order_page_lists_message_templates_by_name_and_sends_the_one_picked(named_console, browser):
    server, number = named_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{number}")
        expect(page.locator("#sms-form")).to_be_visible(timeout=10_000)

        expect(page.locator("#sms-template option")).to_have_text(["咨询受理告知短信", "咨询答复短信"])
        page.locator("#sms-mode").select_option("template")
        page.locator("#sms-template").select_option(label="咨询答复短信")
        expect(page.locator("#sms-preview")).to_have_text(f"【95598】您的咨询答复：{ANSWER}")

        expect(page.locator("#email-template option")).to_have_text(["咨询答复邮件"])
        page.locator("#email-mode").select_option("template")
        expect(page.locator("#email-preview b")).to_have_text(f"咨询答复（工单 {number}）")
        expect(page.locator("#email-preview")).to_contain_text(ANSWER)

        fax = page.locator("#fax-template option")
        expect(fax).to_have_text(["咨询答复函（传真）"])
        expect(fax).to_have_attribute("title", f"国网客服中心 答复函（工单 {number}）")

        page.locator("#sms-send").click()
        sms = page.locator("#order-timeline li[data-kind=sms]")
        expect(sms).to_have_count(1, timeout=10_000)
        expect(sms).to_contain_text(f"【95598】您的咨询答复：{ANSWER}")
