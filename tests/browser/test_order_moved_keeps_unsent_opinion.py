"""QA #25 in the real Chromium: 5101 types a 处理意见 on a fault order at 接收确认; meanwhile the
order moves on from another tab (their own 接收确认 there, to 派工, theirs again). The page heard
of it and drew 派工, but the words typed for 接收确认 stayed in the box, to go out with 派工's
提交. Now the page says the order went to 「派工」 and by whom, keeps the words beside it, read-only,
to copy, and 派工's box starts empty."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.test_bell_unread_alerts import sla_console

pytestmark = [pytest.mark.browser]
__all__ = ["sla_console"]  # the fixture

TYPED = "已联系客户，确认为本局辖区"


async def _confirm_elsewhere(services, number: str) -> None:
    """5101 confirms receipt (接收确认) from another tab: the order goes on to 派工, theirs."""
    from sqlalchemy import select

    from ticketing import approve, commit_and_publish, load_order
    from ticketing.models import User

    async with services.sessionmaker() as db:
        handler = await db.scalar(select(User).where(User.staff_no == "5101"))
        await approve(db, handler, await load_order(db, handler, number), opinion="收到")
        await commit_and_publish(db, services.bus)


def test_words_typed_for_a_step_the_order_left_are_kept_aside(sla_console, browser):
    server, numbers = sla_console
    with signed_in(browser, server, "5101") as page:
        page.goto(f"{server.url}/orders/{numbers['order']}")
        expect(page.locator("#order-node")).to_have_text("接收确认")
        opinion = page.locator("#order-opinion")
        opinion.fill(TYPED)  # not sent

        run = _confirm_elsewhere(server.services, numbers["order"])
        asyncio.run_coroutine_threadsafe(run, server.loop).result(30)

        expect(page.locator("#order-node")).to_have_text("派工", timeout=10_000)
        moved = page.locator("#order-moved")
        expect(moved).to_be_visible()
        # by whom (the demo's name, then 工号), where to, and from which step
        expect(moved.locator("p")).to_have_text(
            re.compile(
                r"^工单已由\S+（5101）转到「派工」。您在「接收确认」填写的以下内容未提交，已从表单中移出，如需使用请复制：$"
            )
        )
        expect(page.locator("#order-moved-copy")).to_have_value(TYPED)
        expect(page.locator("#order-moved-copy")).to_have_attribute("readonly", "")
        # 派工 is theirs: its box is there, empty, not holding what was written for 接收确认
        expect(opinion).to_be_visible()
        expect(opinion).to_have_value("")
        page.locator("#order-moved-dismiss").click()
        expect(moved).to_be_hidden()
