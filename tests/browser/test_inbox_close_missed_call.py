"""QA: a 未接来电 in the 异步事件 inbox offered only 填写受理工单 and 关联到已受理工单. In
Chromium it now offers 回拨 too, and 关闭/无需处理 asks for a reason (none: nothing closed), then
takes it out of the open inbox, listed with its reason under 显示已处理. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


async def _seed_missed_call(url: str) -> int:
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.intake import Intake, assign_to
    from ticketing.models import User

    await demo_only(url, 1)
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        event = await Intake().receive(db, "missed_call", "missed-browser-1", sender="13100000481")
        await assign_to(db, None, event, await db.scalar(select(User).where(User.staff_no == "1001")))
        event_id = event.id
    await engine.dispose()
    return event_id


@pytest.fixture
def inbox_console(tmp_path):
    with seeded_console(tmp_path / "inbox.db", _seed_missed_call) as server:
        yield server


def test_a_missed_call_offers_call_back_and_is_closed_with_a_reason(inbox_console, browser):
    server = inbox_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/inbox")
        row = page.locator(f"#inbox-table tr[data-event='{server.seeded}']")
        expect(row.locator("[data-act=callback]")).to_have_text("☎ 回拨")
        close = row.locator("[data-act=close]")
        expect(close).to_have_text("关闭/无需处理")

        page.once("dialog", lambda dialog: dialog.accept(""))  # no reason: nothing is closed
        close.click()
        expect(page.locator(".toast.refused").last).to_contain_text("请填写关闭原因")
        expect(row.locator("td[data-status]")).to_have_text("待处理")

        asked: list[str] = []
        page.once(
            "dialog", lambda dialog: (asked.append(dialog.message), dialog.accept("客户来电已自行解决"))
        )
        close.click()
        expect(row).to_have_count(0)
        assert "13100000481" in asked[0]
        expect(page.locator("#inbox-count")).to_have_text("0")
        page.check("#inbox-handled")
        expect(row.locator("td[data-status]")).to_have_text("已处理")
        expect(row).to_contain_text("已关闭（无需处理）：客户来电已自行解决")
        expect(row.locator("[data-act]")).to_have_count(0)
