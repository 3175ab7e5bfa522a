"""QA: an order sent back (退单) at 接收确认 reached its creator as a plain 新工单 pop-up and 提醒,
with no word of why. In Chromium the creator's pop-up and their 提醒 say it was sent back, by
whom, from which step and with what opinion."""

from __future__ import annotations

import asyncio

import pytest
from playwright.sync_api import expect

from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401  (fixture)
from tests.browser.test_dispatch_setup import signed_in

pytestmark = [pytest.mark.browser]

REASON = "地址在深圳，不属本局"


async def _send_back(services, number: str) -> str:
    """5101 sends the order back (退单) with ``REASON``; their name."""
    from sqlalchemy import select

    from ticketing import commit_and_publish, load_order, reject
    from ticketing.models import User

    async with services.sessionmaker() as db:
        handler = await db.scalar(select(User).where(User.staff_no == "5101"))
        await reject(db, handler, await load_order(db, handler, number), opinion=REASON)
        await commit_and_publish(db, services.bus)
        return handler.name


def test_the_creator_reads_that_the_order_was_sent_back_by_whom_and_why(sla_console, browser):  # noqa: F811
    server, numbers = sla_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/lists/mine")
        expect(page.locator("#bell-count")).to_be_hidden()
        name = asyncio.run_coroutine_threadsafe(
            _send_back(server.services, numbers["order"]), server.loop
        ).result(30)
        said = f"工单在接收确认被{name}（5101）退单，意见：{REASON}"
        toast = page.locator("#toasts .toast.alert")
        expect(toast).to_have_text(f"工单 {numbers['order']} 已退回给您：{said}")
        expect(page.locator("#bell-count")).to_have_text("1")
        page.click("#bell-button")
        [item] = page.locator("#bell-list .bell-item").all()
        expect(item).to_have_attribute("data-kind", "returned")
        expect(item.locator(".bell-line b")).to_have_text("退单")
        expect(item.locator(".bell-message")).to_have_text(said)
