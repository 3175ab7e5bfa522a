"""QA-21: after 深圳's handler sent back (退单) a fault misrouted to their bureau, 处理过程 read
「已受理 · 深圳抢修袁娟秀（5201）」 then 「退单 接收确认 · …」: as if 5201 had accepted the order,
and the action run into the step's name. Now it is one line: who sent it back, at which step,
to which step, the status it took, and why. In Chromium against an in-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, demo_database

pytestmark = [pytest.mark.browser]

REASON = "地址在广州天河，不属本局"


async def _seed(url: str, numbers: dict[str, str]) -> None:
    """A fault order 1001 registered for 深圳 (its 接收确认 at 5201), which 5201 sends back."""
    from ticketing import reject

    async with demo_database(url) as demo:
        order = await demo.fault_order(site="440300", caller_number=CALLER)
        await reject(demo.db, demo.users["5201"], order, opinion=REASON)
        assert order.current_node == "accept"
        numbers["order"] = order.number


def test_a_return_reads_as_one_line_by_who_sent_it_back(tmp_path, browser):
    numbers: dict[str, str] = {}
    with (
        seeded_console(tmp_path / "returned.db", _seed, numbers) as server,
        signed_in(browser, server, "1001") as page,
    ):
        page.goto(f"{server.url}/orders/{numbers['order']}")
        expect(page.locator("#order-status")).to_have_text("已受理")
        timeline = page.locator("#order-timeline")
        returned = timeline.locator("li[data-action=reject]")
        expect(returned).to_have_count(1)
        expect(returned).to_contain_text("（5201）在「接收确认」退单，回到「受理」")
        expect(returned).to_contain_text("状态：已受理")
        expect(returned.locator(".return-reason")).to_have_text(REASON)
        # no line of 5201's but that one, and 已受理 said by it and by the order's 受理 alone
        expect(timeline.locator("li", has_text="（5201）")).to_have_count(1)
        expect(timeline.locator("li", has_text="状态：已受理")).to_have_count(2)
