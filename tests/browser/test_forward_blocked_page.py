"""In Chromium: at 故障报修's 派工 of a bureau whose only active handler holds it (广州: 5102
disabled), 5101's order page offered 转派 with an empty 交给 list, and every pick was refused
target_not_operator. Now the page shows 转派 disabled, why on hover (the order view's
manage_blocked, the server's word), and no 交给 list. No Asterisk needed (in_process)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, demo_database

pytestmark = [pytest.mark.browser]


async def _seed(url: str, numbers: dict[str, str]) -> None:
    from sqlalchemy import update

    from ticketing.models import User

    async with demo_database(url, customers=2) as demo:
        await demo.db.execute(update(User).where(User.staff_no == "5102").values(active=False))
        numbers["order"] = (await demo.fault_order(caller_number=CALLER)).number


def test_forward_is_disabled_with_why_where_nobody_else_may_hold_the_step(tmp_path, browser):
    numbers: dict[str, str] = {}
    errors: list[str] = []
    with (
        seeded_console(tmp_path / "forward.db", _seed, numbers) as server,
        signed_in(browser, server, "5101", errors=errors) as page,
    ):
        page.goto(f"{server.url}/orders/{numbers['order']}")
        expect(page.locator("#order-status")).to_have_text("已流转")
        page.fill("#order-opinion", "已接收")
        page.click("#order-approve")  # 接收确认: 派工 is theirs, and nobody else's to take
        expect(page.locator("#order-status")).to_have_text("接收确认", timeout=10_000)
        forward = page.locator("#order-forward")
        expect(forward).to_be_visible()
        expect(forward).to_be_disabled()
        expect(forward).to_have_attribute(
            "title",
            "当前步骤的处理人规则中没有其他可处理人，无法转派；如需换人，请联系班长或质量监控员改派。",
        )
        expect(forward).to_have_attribute("data-blocked", "no_other_operator")
        expect(page.locator("#order-manage-target")).to_have_count(0)
        # the step's own actions are untouched: 派工 can still be submitted
        expect(page.locator("#order-submit")).to_be_enabled()
    assert errors == []
