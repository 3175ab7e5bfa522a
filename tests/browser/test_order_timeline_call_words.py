"""处理过程 in Chromium: the customer's call reads 来电, a call out to them 回呼（呼出） with who placed
it (名字（1001）), not 通话 alike (QA 2026-11-29 #14). In-process console, no Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.test_list_status_pick import _seed_orders

pytestmark = [pytest.mark.browser]


async def _seed(url: str) -> dict[str, str]:
    from sqlalchemy import insert, select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Interaction, User, WorkOrder, order_interactions

    seeded = await _seed_orders(url)
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        order_id = await db.scalar(select(WorkOrder.id).where(WorkOrder.number == seeded["open"]))
        for call_id, direction in (("in.1", "inbound"), ("out.1", "outbound")):
            call = Interaction(
                kind="call", external_id=call_id, direction=direction, number="13912340361", agent_id="1001"
            )
            db.add(call)
            await db.flush()
            await db.execute(insert(order_interactions).values(order_id=order_id, interaction_id=call.id))
        seeded["name"] = await db.scalar(select(User.name).where(User.staff_no == "1001"))
    await engine.dispose()
    return seeded


@pytest.fixture
def timeline_console(tmp_path):
    with seeded_console(tmp_path / "timeline.db", _seed) as server:
        yield server


def test_a_call_in_reads_laidian_and_a_call_out_huihu_with_who_placed_it(timeline_console, browser):
    server = timeline_console
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{server.seeded['open']}")
        timeline = page.locator("#order-timeline")
        call_in = timeline.locator("li[data-kind='call'][data-direction='inbound']")
        call_out = timeline.locator("li[data-kind='call'][data-direction='outbound']")
        expect(call_in.locator("b")).to_have_text("来电")
        expect(call_out.locator("b")).to_have_text("回呼（呼出）")
        expect(call_out).to_contain_text(f"回呼（呼出） · {server.seeded['name']}（1001） 13912340361")
        expect(call_in).not_to_contain_text("（1001）")
