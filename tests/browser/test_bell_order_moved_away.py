"""QA: a 提醒 already on a handler's screen stayed there, counted and urgent, after its order moved
to another bureau (所属供电局 corrected after a 退单), though the handler could no longer open it
(the link ended on 403). In Chromium the move takes the order's urgent alert off 5101's page and
its rows out of 提醒 and the count, with no reload; 5201 (深圳), where it went, is told of it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser]


async def _move_to_shenzhen(services, number: str) -> None:
    """5101 sends the order back (退单); 1001, its creator, corrects 所属供电局 to 深圳 (440300),
    picking its 小类别 (低压故障), which 提交 of the create step asks for."""
    from sqlalchemy import select

    from ticketing import commit_and_publish, load_order, reject, submit_step
    from ticketing.models import User

    async with services.sessionmaker() as db:
        handler = await db.scalar(select(User).where(User.staff_no == "5101"))
        await reject(db, handler, await load_order(db, handler, number), opinion="地址在深圳")
        await commit_and_publish(db, services.bus)
    async with services.sessionmaker() as db:
        agent = await db.scalar(select(User).where(User.staff_no == "1001"))
        order = await load_order(db, agent, number)
        # back on its create step, the order (opened with no 小类别) is given one, as at intake
        await submit_step(
            db, agent, order, form={"所属供电局": "440300"}, subcategory="fault_lv", opinion="更正所属供电局"
        )
        await commit_and_publish(db, services.bus)


def test_a_moved_orders_alerts_leave_the_screen_it_can_no_longer_open(sla_console, browser):  # noqa: F811
    server, numbers = sla_console
    with signed_in(browser, server, "5101") as page:
        page.goto(f"{server.url}/lists/mine")
        count = page.locator("#bell-count")
        expect(count).to_have_text("1")  # 有新工单
        assert server.fire_timers(dt.timedelta(hours=2)) >= 1  # 接收确认's 30 minutes are over
        expect(count).to_have_text("2")
        alert = page.locator(".urgent-alert")
        expect(alert).to_contain_text(numbers["order"])

        run = _move_to_shenzhen(server.services, numbers["order"])
        asyncio.run_coroutine_threadsafe(run, server.loop).result(30)
        expect(alert).to_have_count(0)  # no 知道了 needed: it is not theirs any more
        expect(count).to_be_hidden()
        page.click("#bell-button")
        expect(page.locator("#bell-list .bell-item")).to_have_count(0)
        expect(page.locator(f"#bell-list a[href='/orders/{numbers['order']}']")).to_have_count(0)
        assert page.request.get(f"{server.url}/orders/{numbers['order']}").status == 403
