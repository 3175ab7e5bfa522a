"""QA: the 即将超时 / 已超期 pop-ups and 'new order for you' vanished after 10-15 s and were kept
nowhere. In Chromium: 5101's 提醒 in the header counts an order routed to them before they signed
in, an urgent overrun stays on screen past 15 s until 知道了, every tab's count follows the
socket, the list survives a reload, and the order's timeline says who was alerted."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import InProcessConsole, seeded_console
from tests.browser.story_seeds import CALLER, demo_database

pytestmark = [pytest.mark.browser]


async def _seed(url: str, numbers: dict[str, str], orders: int = 1) -> None:
    async with demo_database(url) as demo:
        for i in range(orders):
            # to 接收确认: 5101 and 5102, 30 minutes, then an overrun (high) to them and 2001
            order = await demo.fault_order(address=f"天河路{i + 1}号", caller_number=CALLER)
            numbers["order" if i == 0 else f"order{i}"] = order.number


class SlaConsole(InProcessConsole):
    """The console in a thread, whose SLA worker the story runs when it wants a timer due."""

    async def _start(self) -> None:
        await super()._start()
        from agent_ui.services import SERVICES

        self.services = self.runner.app[SERVICES]

    def fire_timers(self, later: dt.timedelta) -> int:
        from ticketing import SlaWorker
        from ticketing.models import utcnow

        worker = SlaWorker(self.services.sessionmaker, self.services.bus)
        run = worker.run_due(utcnow() + later)
        return asyncio.run_coroutine_threadsafe(run, self.loop).result(30)


@pytest.fixture(params=[1])
def sla_console(tmp_path, request):
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path / "bell.db", _seed, numbers, request.param, console=SlaConsole) as server:
        assert "order" in numbers
        yield server, numbers


def test_alerts_wait_in_the_bell_and_urgent_ones_until_acknowledged(sla_console, browser):
    server, numbers = sla_console
    errors: list[str] = []
    with signed_in(browser, server, "5101", errors=errors) as page:
        page.goto(f"{server.url}/lists/mine")
        count = page.locator("#bell-count")
        expect(count).to_have_text("1")  # routed to them before they signed in: still there
        other = page.context.new_page()  # a second tab, on another page
        other.on("pageerror", lambda exc: errors.append(str(exc)))
        other.goto(f"{server.url}/knowledge")
        expect(other.locator("#bell-count")).to_have_text("1")

        assert server.fire_timers(dt.timedelta(hours=2)) >= 1  # 接收确认's 30 minutes are over
        for tab in (page, other):
            expect(tab.locator("#bell-count")).to_have_text("2")
            expect(tab.locator(".urgent-alert")).to_contain_text(numbers["order"])
        page.wait_for_timeout(16_000)  # the old toast was gone after 15 s
        alert = page.locator(".urgent-alert")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("已超期")
        alert.get_by_role("button", name="知道了").click()
        expect(alert).to_have_count(0)
        expect(count).to_have_text("1")
        expect(other.locator(".urgent-alert")).to_have_count(0)  # the other tab heard of it
        expect(other.locator("#bell-count")).to_have_text("1")

        page.click("#bell-button")
        items = page.locator("#bell-list .bell-item")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_have_attribute("data-kind", "overrun")  # newest first
        expect(items.nth(0)).to_have_attribute("data-read", "true")
        expect(items.nth(1)).to_have_attribute("data-kind", "routed")
        expect(items.nth(1)).to_contain_text("新工单")
        expect(items.nth(1).locator("a")).to_have_attribute("href", f"/orders/{numbers['order']}")
        page.click("#bell-read-all")
        expect(count).to_be_hidden()
        expect(other.locator("#bell-count")).to_be_hidden()

        page.reload()
        expect(page.locator("#bell-count")).to_be_hidden()
        page.click("#bell-button")
        expect(page.locator("#bell-list .bell-item")).to_have_count(2)  # kept, read
        expect(page.locator("#bell-list .bell-item.unread")).to_have_count(0)

        page.goto(f"{server.url}/orders/{numbers['order']}")
        told = page.locator('#order-timeline li[data-kind="screen"][data-alert-kind="overrun"]')
        expect(told).to_have_count(3)  # 5101, 5102 and the team leader 2001
        expect(told.filter(has_text="5101")).to_contain_text("已读")
        expect(told.filter(has_text="2001")).to_contain_text("未读")
        assert errors == []


@pytest.mark.parametrize("sla_console", [4], indirect=True)
def test_a_few_urgent_alerts_show_and_the_rest_wait_in_the_bell(sla_console, browser):
    server, numbers = sla_console
    # the team leader: told of every overrun
    with signed_in(browser, server, "2001") as page:
        page.goto(f"{server.url}/lists/mine")
        expect(page.locator("#bell-count")).to_be_hidden()
        assert server.fire_timers(dt.timedelta(hours=2)) >= 4
        expect(page.locator("#bell-count")).to_have_text("4")
        alerts = page.locator(".urgent-alert")
        expect(alerts).to_have_count(3)  # not four boxes over the page
        more = page.locator(".urgent-more")
        expect(more).to_have_text("另有 1 条紧急提醒，见“提醒”")
        more.click()
        expect(page.locator("#bell-panel")).to_be_visible()
        expect(page.locator("#bell-list .bell-item.unread")).to_have_count(4)
        alerts.first.get_by_role("button", name="知道了").click()
        expect(page.locator("#bell-count")).to_have_text("3")
        expect(alerts).to_have_count(3)  # the fourth takes its place
        expect(more).to_have_count(0)
