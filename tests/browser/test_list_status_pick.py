"""QA: on 工单查询 the 状态 filter was free text that had to match exactly (处理 found no 处理完毕,
without a word), and a 联系电话 tail (0360) found nothing. In Chromium 状态 is now picked from
the chosen category's workflow's statuses (every workflow's with none chosen), and a phone's
tail finds its order. In-process console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


async def _seed_orders(url: str) -> dict[str, str]:
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Site, User
    from ticketing.workflow.engine import create_order

    await demo_only(url, 1)
    engine = create_engine(url)
    numbers = {}
    async with sessionmaker(engine).begin() as db:
        agent = await db.scalar(select(User).where(User.staff_no == "1001"))
        site_id = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        for key, caller, submit in (("done", "13912340360", True), ("open", "13912340361", False)):
            form = {"咨询内容": "电费怎么交", "答复内容": "营业厅或网上国网"}
            order = await create_order(
                db, agent, workflow="consult", site_id=site_id, form=form, caller_number=caller,
                submit=submit, link_call=False,
            )  # fmt: skip
            numbers[key] = order.number
            numbers[f"{key}_status"] = order.status
    await engine.dispose()
    return numbers


@pytest.fixture
def list_console(tmp_path):
    with seeded_console(tmp_path / "lists.db", _seed_orders) as server:
        yield server


def test_the_status_is_picked_and_a_phone_tail_finds_its_order(list_console, browser):
    server = list_console
    numbers = server.seeded
    assert numbers["done_status"] != numbers["open_status"]
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/lists/search")
        filters = page.locator("#list-filters")
        status = filters.locator("select[name=status]")
        expect(status.locator(f"option[value='{numbers['done_status']}']")).to_have_count(1)
        every = status.locator("option").count()
        filters.locator("select[name=category]").select_option("consult")
        expect(status.locator("option[value='已派工']")).to_have_count(0)  # 故障报修's, not 信息咨询's
        assert status.locator("option").count() < every
        status.select_option(numbers["done_status"])
        filters.locator("button[type=submit]").click()
        rows = page.locator("#list-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(numbers["done"])

        status.select_option("")
        filters.locator("select[name=category]").select_option("")
        filters.locator("[name=caller]").fill("0360")
        # 受理日期 is the site's yesterday and today, as the page opened
        filters.locator("button[type=submit]").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(numbers["done"])
        expect(page.locator("#list-total")).to_have_text("1")
