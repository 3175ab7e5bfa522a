"""发传真 in the real Chromium against the real console and the real Asterisk: an agent turns
an SMS into an order, writes a fax in the order's fax dialog and sends it to the customer's
(simulated) fax machine; the console's own dispatcher sends it through Asterisk and the
order's timeline shows it sent, with its page. An SMS from the same order's 发短信 shows on the
timeline too.

The suite's one fax that gets through (a T.30 page takes about 18 s): the outbox row is marked
sent at the first try and the far machine has the page, which tests/integration/test_fax_out.py
checked with a fax of its own before; it keeps the one that does not get through.

And, with no Asterisk (an in-process console), a fax refused for two reasons at once names both,
each beside its input, keeping what was typed."""

from __future__ import annotations

import random
import shutil
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageSequence
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ConsoleProcess, in_a_thread, put_in_inbox, signed_in
from tests.browser.in_process import InProcessConsole, seeded_console
from tests.browser.test_list_status_pick import _seed_orders

pytestmark = [pytest.mark.browser]


def _outbox_row(console: ConsoleProcess, number: str) -> tuple[str, int, int, str]:
    """The fax to ``number`` in the console's outbox: (state, pages, attempts, error)."""
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Notification

    found: list[tuple[str, int, int, str]] = []

    async def read() -> None:
        engine = create_engine(console.env["HOTLINE_DATABASE_URL"])
        async with sessionmaker(engine)() as db:
            rows = (await db.scalars(select(Notification).where(Notification.recipient == number))).all()
            found.extend(
                (row.state, row.pages, row.attempts, row.error) for row in rows if row.channel == "fax"
            )
        await engine.dispose()

    in_a_thread(read())
    assert len(found) == 1, found
    return found[0]


@pytest.mark.asterisk
def test_an_agent_faxes_the_customer_from_the_order(console, browser, asterisk, screenshots):
    inbox = f"/var/spool/asterisk/fax/hotline-test-{uuid.uuid4().hex[:8]}"
    asterisk.host_path(inbox).mkdir(parents=True)
    asterisk.host_path(inbox).chmod(0o777)
    number = f"6699{random.randint(1000, 9999)}{random.randint(1, 9)}"  # a number ending in 0 never answers
    asterisk.cli(f"database put hotline-sim fax-{number} {inbox}")
    put_in_inbox(console, "13700000029", "请把停电安排传真给我们物业")
    try:
        with signed_in(browser, console, console.agent, PASSWORD) as page:
            page.locator("#inbox-banner").click()
            row = page.locator("#inbox-table tbody tr").first
            row.locator("select").select_option(label="信息咨询")
            row.locator("text=填写受理工单").click()
            expect(page.locator("#fax-form")).to_be_visible(timeout=10_000)
            # the caller's number is a mobile, which takes no fax: nothing offered to send to
            expect(page.locator("#fax-to")).to_have_value("")

            page.fill("#fax-to", number)
            page.fill("#fax-subject", "停电安排")
            page.fill("#fax-text", "11月27日 9:00-13:00 中关村大街 1-50 号停电检修，请物业提前通知住户。")
            page.screenshot(path=str(screenshots / "order-fax.png"))
            page.click("#fax-send")
            fax = page.locator("#order-timeline li[data-kind=fax]")
            expect(fax).to_contain_text("待发送", timeout=10_000)
            expect(fax).to_contain_text(number)

            # 发短信 from the same order while the fax goes out: the caller's mobile offered, the
            # message on the timeline at once (no SMS gateway here: it stays 待发送)
            expect(page.locator("#sms-to")).to_have_value("13700000029")
            page.fill("#sms-text", "停电安排已传真给贵物业，请查收。")
            page.click("#sms-send")
            sms = page.locator("#order-timeline li[data-kind=sms][data-direction=outbound]")
            expect(sms).to_contain_text("待发送", timeout=10_000)
            expect(sms).to_contain_text("停电安排已传真给贵物业")
            expect(page.locator("#sms-text")).to_have_value("")

            # the console's dispatcher takes it as the send commits; Asterisk's T.30 send of a page
            # takes about 18 s (docs/performance.md § 7): the timeline is asked again each second
            deadline = time.monotonic() + 60
            while "已发送" not in fax.inner_text() and time.monotonic() < deadline:
                time.sleep(1)
                page.reload()
                fax = page.locator("#order-timeline li[data-kind=fax]")
                fax.wait_for(timeout=10_000)
            expect(fax).to_contain_text("已发送 1 页")
            page.screenshot(path=str(screenshots / "order-fax-sent.png"))
            # sent at the first try (the outbox row as the dispatcher left it), and the far machine has
            # the page: one A4 page of text on white paper
            assert _outbox_row(console, number) == ("sent", 1, 1, "")
            with Image.open(asterisk.host_path(f"{inbox}/{number}.tif")) as received:
                pages = [frame.convert("L") for frame in ImageSequence.Iterator(received)]
            assert len(pages) == 1 and pages[0].width == 1728
            assert 0 < pages[0].histogram()[0] < pages[0].width * pages[0].height // 4
    finally:
        asterisk.cli(f"database del hotline-sim fax-{number}")
        shutil.rmtree(asterisk.host_path(inbox), ignore_errors=True)


class FaxingConsole(InProcessConsole):
    """The in-process console with a recording store to write the faxes' documents to."""

    async def _start(self) -> None:
        await super()._start()
        from agent_ui.services import SERVICES
        from recordings import RecordingStore

        folder = Path(self.url_db.removeprefix("sqlite+aiosqlite:///")).parent  # the story's tmp_path
        self.runner.app[SERVICES].recordings = RecordingStore(folder / "asterisk-root")


@pytest.fixture
def fax_console(tmp_path):
    with seeded_console(tmp_path / "fax.db", _seed_orders, console=FaxingConsole) as server:
        yield server


def test_a_fax_with_a_mobile_number_and_no_text_names_both_at_once(fax_console, browser):
    """QA: the number was refused first (手机收不到传真), the empty 正文 only once it was put right."""
    server = fax_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{server.seeded['open']}")
        to, subject, text = page.locator("#fax-to"), page.locator("#fax-subject"), page.locator("#fax-text")
        expect(to).to_be_visible()
        to.fill("13800138000")
        subject.fill("停电安排")
        page.locator("#fax-send").click()
        toast = page.locator(".toast.refused").last
        expect(toast).to_contain_text("收件人（手机号收不到传真）")
        expect(toast).to_contain_text("正文（必填）")
        expect(to).to_have_attribute("aria-invalid", "true")
        expect(to).to_have_attribute("title", "手机号收不到传真")
        expect(text).to_have_attribute("aria-invalid", "true")
        expect(to).to_have_value("13800138000")  # what was typed stays
        expect(subject).to_have_value("停电安排")

        # 上传: a bad number and no file picked, in one answer too
        page.select_option("#fax-mode", "file")
        to.fill("95598")
        page.locator("#fax-send").click()
        expect(page.locator(".toast.refused").last).to_contain_text("文件（必填）")
        expect(page.locator("#fax-file")).to_have_attribute("aria-invalid", "true")
        expect(to).to_have_attribute("aria-invalid", "true")

        # both put right: sent, and the marks go
        page.select_option("#fax-mode", "text")
        to.fill("010-88886666")
        text.fill("11月27日 9:00-13:00 停电检修。")
        page.locator("#fax-send").click()
        expect(page.locator("#order-timeline li[data-kind=fax]")).to_contain_text("待发送", timeout=10_000)
        expect(to).not_to_have_attribute("aria-invalid", "true")
        expect(text).not_to_have_attribute("aria-invalid", "true")
        expect(page.locator("#fax-file")).not_to_have_attribute("aria-invalid", "true")
