"""停电信息's 发送给客户 sends by the channel picked (QA #13): with 短信 picked, typing an e-mail
address turned the pick to 邮件 and the notice went out as an e-mail, the toast naming no channel
(已加入发送队列：wang@example.com), while 邮件 with a mobile number was refused. Now 短信 with an
address is refused in its words, nothing queued, and a message queued says by what. In-process
console, no gateway (the outbox keeps what is queued)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import in_a_thread, signed_in
from tests.browser.in_process import seeded_console

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> str:
    from sqlalchemy import select

    from tests.browser.story_seeds import demo_database
    from ticketing import knowledge
    from ticketing.models import User

    async with demo_database(url, customers=1) as demo:
        boss = await demo.db.scalar(select(User).where(User.staff_no == "3001"))
        start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        notice = await knowledge.publish_notice(
            demo.db,
            boss,
            site_id=demo.sites["440100"].id,
            area="越秀区人民路全线",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=6),
        )
        return notice.notice_key


def _outbox(url: str) -> list[tuple[str, str]]:
    """(channel, recipient) of every message queued."""
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Notification

    found: list[tuple[str, str]] = []

    async def read() -> None:
        engine = create_engine(url)
        async with sessionmaker(engine)() as db:
            found.extend((n.channel, n.recipient) for n in await db.scalars(select(Notification)))
        await engine.dispose()

    in_a_thread(read())
    return found


@pytest.fixture
def notice_console(tmp_path):
    with seeded_console(tmp_path / "send.db", _seed) as server:
        yield server


def test_a_notice_goes_by_the_channel_picked(notice_console, browser):
    server = notice_console
    with signed_in(browser, server, "3001") as page:
        page.goto(f"{server.url}/notices")
        form = page.locator(f"#notice-table form[data-send='/api/notices/{server.seeded}/send']")
        channel, to = form.locator("select[name=channel]"), form.locator("input[name=to]")
        channel.select_option("sms")
        to.fill("wang@example.com")
        expect(channel).to_have_value("sms")  # what was picked stays picked
        form.locator("button").click()
        expect(page.locator(".toast.refused").last).to_contain_text(
            "短信只能发送到手机号码，不能发送到邮箱地址"
        )
        assert _outbox(server.url_db) == []

        channel.select_option("email")
        form.locator("button").click()
        expect(page.locator(".toast.ok").last).to_contain_text("邮件已加入发送队列：wang@example.com")
        to.fill("13100000001")
        channel.select_option("sms")
        form.locator("button").click()
        expect(page.locator(".toast.ok").last).to_contain_text("短信已加入发送队列：13100000001")
        assert sorted(_outbox(server.url_db)) == [("email", "wang@example.com"), ("sms", "13100000001")]
