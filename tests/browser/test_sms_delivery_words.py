"""In Chromium: an order's SMS read by their delivery reports (已提交 / 已送达 / 发送失败：the
gateway's code / 已过期), and an e-mail whose attachments retention deleted names them with
（已过期删除）, no link. In-process console."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database, sessions_on, sms_order, take_reports

pytestmark = [pytest.mark.browser]


async def _seed_story(url: str) -> dict:
    from sqlalchemy import update

    from ticketing.intake import Intake, assign_to, receive_email
    from ticketing.models import Interaction
    from ticketing.retention import purge_mail_attachments
    from ticketing.sms_status import DeliveryReport

    files = Path(url.split("///", 1)[1]).parent / "mail"
    async with demo_database(url, customers=1) as demo:
        db = demo.db
        order, sent = await sms_order(
            demo, {"gw-a": "已受理", "gw-b": "已派工", "gw-c": "已到达", "gw-d": "已修复"}
        )
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "li@customer.example", "95598@hotline.example", "旧照片"
        msg["Message-ID"] = "<browser-purged@customer.example>"
        msg.set_content("照片见附件")
        msg.add_attachment(b"meter 1234", maintype="text", subtype="plain", filename="读数.txt")
        event = await receive_email(Intake(), db, msg.as_bytes(), files_dir=files)
        await assign_to(db, None, event, demo.users["1001"])
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
        await db.execute(update(Interaction).where(Interaction.id == event.id).values(occurred_at=old))
        numbers = {"order": order.number, "event": event.id, "sms": sent}
    await take_reports(
        url,
        DeliveryReport("gw-b", "delivered"),
        DeliveryReport("gw-c", "failed", "UNDELIV"),
        DeliveryReport("gw-d", "expired"),
    )
    async with sessions_on(url) as sessions:
        await purge_mail_attachments(sessions, files, 90)
    return numbers


@pytest.fixture
def story(tmp_path):
    with seeded_console(tmp_path / "sms.db", _seed_story) as server:
        yield server


def test_sms_delivery_reads_in_words_and_purged_attachments_are_named(story, browser):
    server, seeded = story, story.seeded
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{seeded['order']}")
        timeline = page.locator("#order-timeline")
        expect(timeline.locator("[data-delivery]")).to_have_count(4)
        expect(timeline.locator("[data-delivery='submitted']")).to_have_text("已提交")
        expect(timeline.locator("[data-delivery='delivered']")).to_have_text(
            re.compile(r"^已送达 \d\d:\d\d:\d\d$")
        )
        expect(timeline.locator("[data-delivery='failed']")).to_have_text(
            "发送失败：无法送达，号码停机、空号或关机过久"
        )
        expect(timeline.locator("[data-delivery='expired']")).to_have_text("已过期，未在有效期内送达")
        # the failed and the expired are offered 重发; the others are not
        expect(timeline.locator("button[data-resend]")).to_have_count(2)
        # the handler's 提醒 says it too, on the order's 处理过程
        expect(timeline.locator("li[data-alert-kind='sms_failed']").first).to_contain_text("短信未送达")

        page.goto(f"{server.url}/inbox")
        row = page.locator(f"#inbox-table tr[data-event='{seeded['event']}']")
        expect(row.locator("span[data-attachment='读数.txt']")).to_have_text("📎 读数.txt （已过期删除）")
        expect(row.locator("a[data-attachment='读数.txt']")).to_have_count(0)
