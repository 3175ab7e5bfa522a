"""An e-mail in the 异步事件 inbox shows its attachments in Chromium: a kept one a download link
(the file as it came), one too big to keep named with （未保存） and no link. In-process console."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


async def _seed_mail(url: str) -> int:
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.intake import Intake, assign_to, receive_email
    from ticketing.models import User

    await demo_only(url, 1)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "li@customer.example", "95598@hotline.example", "抄表照片"
    msg["Message-ID"] = "<browser-att@customer.example>"
    msg.set_content("照片见附件")
    msg.add_attachment(b"meter 1234", maintype="text", subtype="plain", filename="读数.txt")
    msg.add_attachment(b"x" * 3000, maintype="application", subtype="pdf", filename="big.pdf")
    files = Path(url.split("///", 1)[1]).parent / "mail"
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        event = await receive_email(Intake(), db, msg.as_bytes(), files_dir=files, attachment_max_bytes=1000)
        await assign_to(db, None, event, await db.scalar(select(User).where(User.staff_no == "1001")))
        event_id = event.id
    await engine.dispose()
    return event_id


@pytest.fixture
def mail_console(tmp_path):
    with seeded_console(tmp_path / "inbox.db", _seed_mail) as server:
        yield server


def test_an_emails_attachments_are_links_in_the_inbox(mail_console, browser):
    server = mail_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/inbox")
        row = page.locator(f"#inbox-table tr[data-event='{server.seeded}']")
        link = row.locator("a[data-attachment='读数.txt']")
        expect(link).to_have_text("📎 读数.txt")
        href = link.get_attribute("href")
        assert href == f"/api/inbox/{server.seeded}/files/1"
        assert page.request.get(f"{server.url}{href}").body() == b"meter 1234"
        expect(row.locator("span[data-attachment='big.pdf']")).to_have_text("📎 big.pdf （未保存）")
        expect(row.locator("a[data-attachment='big.pdf']")).to_have_count(0)
