"""QA #3 as it was walked: 1001 is on the line with a customer whose pop lists the outage on their
site (停电信息（发布中）); meanwhile 3001, in a browser of their own, presses 撤销 on it in
停电信息. The agent's open pop follows within a second or two: the outage is struck through and
marked 已撤销, and the count of those published drops. In-process console on the demo's database;
the call is the CallOffered the bridge would publish (no Asterisk here), the customer looked up by
the console as for a bridge without a lookup."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database

pytestmark = [pytest.mark.browser]

AREA = "越秀区人民路全线"


async def _seed(url: str) -> dict:
    """A customer's number and the key of an outage in effect now on the customer's site."""
    from sqlalchemy import select

    from ticketing import knowledge
    from ticketing.models import Customer, CustomerPhone

    async with demo_database(url, customers=1) as demo:
        number, site_id = (
            await demo.db.execute(
                select(CustomerPhone.number, Customer.site_id)
                .join(Customer, Customer.id == CustomerPhone.customer_id)
                .where(Customer.site_id.is_not(None))
                .limit(1)
            )
        ).one()
        now = dt.datetime.now(dt.UTC)
        notice = await knowledge.publish_notice(
            demo.db,
            demo.users["3001"],
            site_id=site_id,
            area=AREA,
            reason="10kV线路故障抢修",
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=5),
        )
        return {"number": number, "key": notice.notice_key}


@pytest.fixture
def pop_console(tmp_path):
    with seeded_console(tmp_path / "pop_outage.db", _seed) as server:
        yield server


def _ring(server, caller: str) -> None:
    """The agent 1001's phone rings with ``caller``: the bridge's CallOffered, on the console's bus."""
    from agent_ui.services import SERVICES
    from cti.call_events import CallOffered

    bus = server.runner.app[SERVICES].bus
    offered = CallOffered(call_id="story-pop-1", agent_id="1001", caller=caller, queue="general")
    asyncio.run_coroutine_threadsafe(bus.publish(offered), server.loop).result(10)


def test_a_notice_withdrawn_in_another_browser_is_marked_on_the_agents_open_pop(pop_console, browser):
    server = pop_console
    key, number = server.seeded["key"], server.seeded["number"]
    with signed_in(browser, server, "1001") as seat:
        seat.goto(f"{server.url}/")
        expect(seat.locator("#intake-category")).to_be_attached()
        _ring(server, number)
        outages = seat.locator("#pop-outages")
        line = outages.locator(f"li[data-key='{key}']")
        expect(line).to_contain_text(AREA)
        published = int(outages.locator("h3").inner_text().rsplit("（", 1)[1].rstrip("）"))
        assert published >= 1  # ours, and any the demo published on the customer's site

        with signed_in(browser, server, "3001") as desk:
            desk.on("dialog", lambda dialog: dialog.accept("客户来电核实：线路已恢复"))
            desk.goto(f"{server.url}/notices")
            row = desk.locator(f"#notice-table tr[data-key='{key}']")
            row.locator("[data-action=withdraw]").click()
            expect(desk.locator(".toast.ok")).to_contain_text("停电信息已撤销")

        expect(line).to_have_attribute("data-gone", "withdrawn", timeout=5_000)
        expect(line).to_contain_text(f"{AREA}，")
        expect(line).to_contain_text("（已撤销）")
        expect(line.locator("s")).to_contain_text(AREA)
        expect(outages.locator("h3")).to_have_text(f"停电信息（发布中）（{published - 1}）")
