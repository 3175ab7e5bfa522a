"""In Chromium: a failed SMS reads as what its gateway's reason code means, not the code: the
order page's row says 发送失败：运营商网关错误 (MK:0001 on hover), and the handler's 短信未送达
提醒 (in 提醒 in the header and on the order's 处理过程) says it in the reader's language:
Chinese words for a Chinese page, English ones once the page is switched to English. In-process
console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database, sms_order, take_reports

pytestmark = [pytest.mark.browser]


async def _seed_story(url: str) -> dict:
    from ticketing.sms_status import DeliveryReport

    async with demo_database(url, customers=1) as demo:
        order, _ = await sms_order(demo, {"gw-mk": "抢修人员已出发", "gw-undeliv": "已修复"})
        number = order.number
    await take_reports(
        url,
        DeliveryReport("gw-mk", "failed", "MK:0001"),
        DeliveryReport("gw-undeliv", "failed", "UNDELIV"),
    )
    return {"order": number}


@pytest.fixture
def story(tmp_path):
    with seeded_console(tmp_path / "sms-reasons.db", _seed_story) as server:
        yield server


def test_a_failed_sms_says_what_its_code_means_in_the_readers_language(story, browser):
    server, seeded = story, story.seeded
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{seeded['order']}")
        timeline = page.locator("#order-timeline")
        carrier = timeline.locator("[data-delivery='failed'][data-reason='MK:0001']")
        expect(carrier).to_have_text("发送失败：运营商网关错误")
        expect(carrier).to_have_attribute("title", __import__("re").compile(r"^MK:0001 · "))
        undeliv = timeline.locator("[data-delivery='failed'][data-reason='UNDELIV']")
        expect(undeliv).to_have_text("发送失败：无法送达，号码停机、空号或关机过久")
        expect(timeline).not_to_contain_text("网关原因")
        # the handler's 提醒 on the 处理过程: the words, the code only on hover
        alerts = timeline.locator("li[data-alert-kind='sms_failed'] .wrap")
        # (one per handler told: the order's pending handlers and the agent who sent it)
        expect(alerts.filter(has_text="无法送达").first).to_be_visible()
        expect(alerts.filter(has_text="运营商网关错误").first).to_have_text(
            "发往 13800138000 的短信未送达（运营商网关错误），请联系对方或重发。短信内容：抢修人员已出发"
        )
        expect(alerts.filter(has_text="运营商网关错误").first).to_have_attribute("title", "MK:0001")
        # and in 提醒 in the header (urgency high: on screen until acknowledged)
        page.click("#bell-button")
        bell = page.locator("#bell-list .bell-item[data-kind='sms_failed'] .bell-message")
        expect(bell.filter(has_text="无法送达").first).to_contain_text(
            "发往 13800138000 的短信未送达（无法送达"
        )

        # the same 提醒 for a reader of English: English words, not the Chinese they were stored with
        page.click("form[action='/lang'] button")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        timeline = page.locator("#order-timeline")
        expect(timeline.locator("[data-delivery='failed'][data-reason='MK:0001']")).to_have_text(
            "failed: operator gateway error"
        )
        alerts = timeline.locator("li[data-alert-kind='sms_failed'] .wrap")
        expect(alerts.filter(has_text="operator gateway error").first).to_have_text(
            "The SMS to 13800138000 was not delivered (operator gateway error): call them or send it "
            "again. It said: 抢修人员已出发"
        )
        page.click("#bell-button")
        bell = page.locator("#bell-list .bell-item[data-kind='sms_failed'] .bell-message")
        expect(bell.filter(has_text="undeliverable").first).to_contain_text(
            "The SMS to 13800138000 was not delivered"
        )
        expect(bell.filter(has_text="短信未送达（")).to_have_count(0)
