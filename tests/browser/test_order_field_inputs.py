"""A fault order's fields on its page in the real Chromium, in a browser far from the site
(New York): a datetime stored with an offset by an earlier version (the API took
"2026-11-27T12:51:02+00:00") reads as the site's wall time, read-only and in the editable
datetime-local input (which showed it empty: a blank required field), and saving the page
sends it back unchanged; a text field without its own max_length carries the server's default
(200, a textarea 5,000). No Asterisk needed: the console runs in-process on a seeded SQLite
database (see in_process)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database, wall_time

pytestmark = [pytest.mark.browser]
SH = ZoneInfo("Asia/Shanghai")
HANDLER = "5101"  # the demo's 广州 back-office handler


async def _seed(url: str, seeded: dict) -> None:
    from sqlalchemy import update

    from ticketing import submit_step
    from ticketing.models import WorkOrder

    async with demo_database(url) as demo:
        handler = demo.users[HANDLER]
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)
        order = await demo.fault_order(now=now)
        await submit_step(demo.db, handler, order, now=now + dt.timedelta(minutes=5))
        dispatched, arrived = now + dt.timedelta(minutes=10), now + dt.timedelta(minutes=40)
        await submit_step(
            demo.db,
            handler,
            order,
            form={"抢修人员": "张师傅", "派工时间": wall_time(dispatched)},
            now=now + dt.timedelta(minutes=15),
        )
        # as an earlier version stored what the API was sent: UTC with its offset
        legacy = {
            **order.form,
            "派工时间": dispatched.isoformat(),
            "到达时间": arrived.replace(second=2).isoformat(),
        }
        await demo.db.execute(update(WorkOrder).where(WorkOrder.id == order.id).values(form=legacy))
        seeded.update(
            number=order.number,
            id=order.id,
            dispatched=dispatched.astimezone(SH).strftime("%Y-%m-%d %H:%M"),
            arrived=wall_time(arrived),
            arrived_stored=legacy["到达时间"],
        )


@pytest.fixture
def field_console(tmp_path):
    seeded: dict = {}
    with seeded_console(tmp_path / "fields.db", _seed, seeded) as server:
        assert "number" in seeded
        yield server, seeded


def _stored_form(server, order_id: int) -> dict:
    from sqlalchemy import select

    from ticketing.db import sessionmaker
    from ticketing.models import WorkOrder

    async def read() -> dict:
        async with sessionmaker(server.engine)() as db:
            return await db.scalar(select(WorkOrder.form).where(WorkOrder.id == order_id))

    return asyncio.run_coroutine_threadsafe(read(), server.loop).result(30)


def test_a_time_stored_with_an_offset_reads_as_the_sites_wall_time(field_console, browser):
    server, seeded = field_console
    errors: list[str] = []
    with signed_in(browser, server, HANDLER, errors=errors, timezone_id="America/New_York") as page:
        page.goto(f"{server.url}/orders/{seeded['number']}")
        # read-only at this step: the Beijing time the print page shows, not the UTC digits
        expect(page.locator("#order-派工时间")).to_have_value(seeded["dispatched"])
        expect(page.locator("#order-派工时间")).to_be_disabled()
        # editable: the datetime-local input holds the wall time (it was empty)
        arrival = page.locator("#order-到达时间")
        expect(arrival).to_be_enabled()
        expect(arrival).to_have_value(seeded["arrived"])
        # a text field the workflow sets no max_length for: the server's default limits
        expect(page.locator("#order-现场情况")).to_have_attribute("maxlength", "5000")
        expect(page.locator("#order-抢修人员")).to_have_attribute("maxlength", "200")
        expect(page.locator("#order-故障地址")).to_have_attribute("maxlength", "200")  # its own
        # saving the page sends it back as it was: no change to it, no refusal
        page.fill("#order-现场情况", "现场树枝压线")
        page.click("#order-save")
        expect(page.locator(".toast").last).to_contain_text("工单状态")
        form = _stored_form(server, seeded["id"])
        assert form["现场情况"] == "现场树枝压线"
        assert form["到达时间"] == seeded["arrived_stored"]
        assert not errors, errors
