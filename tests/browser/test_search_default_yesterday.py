"""QA 2026-11-29 #28: 工单查询 opened on 今天 only, so at 00:25 the night shift saw 暂无工单 for the
orders taken an hour before. The page now opens on yesterday and today at the site: an order
taken at 23:55 yesterday (site time) is listed as the page opens. In-process console."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]

SITE = ZoneInfo("Asia/Shanghai")  # the console's default site time zone


async def _seed_late_order(url: str) -> dict[str, str]:
    from sqlalchemy import select

    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import Site, User
    from ticketing.workflow.engine import create_order

    await demo_only(url, 1)
    today = dt.datetime.now(SITE).date()
    late_last_night = dt.datetime.combine(today, dt.time(), SITE) - dt.timedelta(minutes=5)  # 23:55
    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        agent = await db.scalar(select(User).where(User.staff_no == "1001"))
        site_id = await db.scalar(select(Site.id).where(Site.code == "HQ"))
        order = await create_order(
            db, agent, workflow="consult", site_id=site_id, caller_number="13912340360",
            form={"咨询内容": "电费怎么交", "答复内容": "营业厅或网上国网"}, submit=True, link_call=False,
            now=late_last_night.astimezone(dt.UTC),
        )  # fmt: skip
        number = order.number
    await engine.dispose()
    return {
        "number": number,
        "today": today.isoformat(),
        "yesterday": (today - dt.timedelta(days=1)).isoformat(),
    }


@pytest.fixture
def late_console(tmp_path):
    with seeded_console(tmp_path / "night.db", _seed_late_order) as server:
        yield server


def test_the_search_opens_on_yesterday_and_today(late_console, browser):
    seeded = late_console.seeded
    with signed_in(browser, late_console, "1001") as page:
        page.goto(f"{late_console.url}/lists/search")
        filters = page.locator("#list-filters")
        expect(filters.locator("[name=from]")).to_have_value(seeded["yesterday"])
        expect(filters.locator("[name=to]")).to_have_value(seeded["today"])
        rows = page.locator("#list-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(seeded["number"])
