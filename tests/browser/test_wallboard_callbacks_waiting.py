"""QA: the wallboard showed who waited in each queue but not the callers who pressed 9 to be
called back, so a backlog of promised calls was invisible. In Chromium the board's 待回拨 counts
them per queue and in total, live: two 95598 callers' requests come in, then the dialer calls
one back."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser]


async def _press_9(services, *callers: str):
    """These callers of the 95598 line choose a callback in the service queue, as the IVR tells
    it, stored by the campaigns' listener (wired as ``hotline serve`` does)."""
    from campaigns import sources
    from ivr.events import CallbackRequested
    from tests.campaigns.test_callback_hours import ROUTING

    sources.CallbackListener(services.sessionmaker, hours=sources.staffed_hours(ROUTING)).subscribe(
        services.bus
    )
    for n, caller in enumerate(callers):
        await services.bus.publish(
            CallbackRequested(
                call_id=f"cb-{n}", caller=caller, dnis="95598", queue="service", entered_at=1_790_000_000 + n
            )
        )


async def _call_one_back(services) -> list:
    """The dialer's pass with agent 1001 ready in the service queue: the first caller is called."""
    from tests.campaigns.test_store_and_dialer import Clock, FakeTelephony, dialer_for

    phone, clock = FakeTelephony({"service": ["1001"]}), Clock()
    clock.utc = dt.datetime.now(dt.UTC)
    await dialer_for(services.sessionmaker, phone, services.bus, clock).tick()
    return phone.placed


def test_the_board_counts_the_callers_waiting_for_a_callback(sla_console, browser):  # noqa: F811
    server, _ = sla_console
    with signed_in(browser, server, "3001") as page:
        page.goto(f"{server.url}/wallboard")
        table = page.locator("#wb-callbacks")
        expect(table.locator("thead th").nth(1)).to_have_text("待回拨")
        total = table.locator("tfoot tr[data-total] td")
        expect(total).to_have_text("0")

        run = _press_9(server.services, "13800000001", "13800000002")
        asyncio.run_coroutine_threadsafe(run, server.loop).result(30)
        row = table.locator("tbody tr[data-queue='service']")
        expect(row.locator("td").nth(1)).to_have_text("2", timeout=5_000)  # before the 15 s refresh
        expect(row).to_have_class("overdue")
        expect(total).to_have_text("2")

        placed = asyncio.run_coroutine_threadsafe(_call_one_back(server.services), server.loop).result(30)
        assert [number for _, number, _ in placed] == ["13800000001"]
        expect(row.locator("td").nth(1)).to_have_text("1", timeout=5_000)
        expect(total).to_have_text("1")
