"""QA: the newest urgent on-screen alert was appended at the bottom of the stack while 提醒 lists
newest first. A later overrun shows on top of the one already on screen."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser]


async def _another_order(services) -> str:
    from sqlalchemy import select

    from ticketing import create_order
    from ticketing.models import Site, User

    async with services.sessionmaker.begin() as db:
        creator = await db.scalar(select(User).where(User.staff_no == "1001"))
        gz = await db.scalar(select(Site.id).where(Site.code == "440100"))
        order = await create_order(
            db,
            creator,
            workflow="fault_repair",
            site_id=gz,
            form={"故障地址": "天河路99号", "所属供电局": "440100"},
            caller_number="13800001111",
        )
        return order.number


def test_the_newest_urgent_alert_is_on_top(sla_console, browser):  # noqa: F811
    server, numbers = sla_console
    with signed_in(browser, server, "2001") as page:
        page.goto(f"{server.url}/lists/mine")
        assert server.fire_timers(dt.timedelta(hours=2)) >= 1
        alerts = page.locator(".urgent-alert")
        expect(alerts).to_have_count(1)
        later = asyncio.run_coroutine_threadsafe(_another_order(server.services), server.loop).result(30)
        assert server.fire_timers(dt.timedelta(hours=4)) >= 1  # the later order's overrun
        expect(alerts).to_have_count(2)
        expect(alerts.first).to_contain_text(later)
        expect(alerts.nth(1)).to_contain_text(numbers["order"])
        expect(page.locator("#bell-list .bell-item").first).to_contain_text(later)
