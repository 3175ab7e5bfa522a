"""In Chromium: an SMS's delivery time sits in its row's one pair of brackets, 短信（已送达
13:02:43）, not 短信（已送达（2026-11-29 13:02:43））: the time alone when it was delivered today
(at the site), the date too when not; the full moment stays on hover. In-process console."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_database, sms_order, take_reports

pytestmark = [pytest.mark.browser]

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


async def _seed_story(url: str) -> dict:
    from ticketing.sms_status import DeliveryReport

    async with demo_database(url, customers=1) as demo:
        order, ids = await sms_order(demo, {"gw-today": "gw-today", "gw-before": "gw-before"})
        number = order.number
    now = dt.datetime.now(SHANGHAI).replace(microsecond=0)
    before = (now - dt.timedelta(days=3)).replace(hour=13, minute=2, second=43)
    await take_reports(
        url,
        DeliveryReport("gw-today", "delivered", "", now),
        DeliveryReport("gw-before", "delivered", "", before),
    )
    return {"order": number, "ids": ids, "now": now.strftime("%H:%M:%S"), "before": before}


@pytest.fixture
def story(tmp_path):
    with seeded_console(tmp_path / "sms-time.db", _seed_story) as server:
        yield server


def test_the_delivery_time_is_not_bracketed_twice_and_has_its_date_when_not_today(story, browser):
    server, seeded = story, story.seeded
    before = seeded["before"]
    with signed_in(browser, server, "1001") as page:
        page.goto(f"{server.url}/orders/{seeded['order']}")
        timeline = page.locator("#order-timeline")
        today = timeline.locator("li[data-kind='sms']", has_text="gw-today")
        expect(today.locator("[data-delivery='delivered']")).to_have_text(f"已送达 {seeded['now']}")
        expect(today).to_contain_text(f"短信（已送达 {seeded['now']}）")
        expect(today.locator("[data-delivery='delivered']")).to_have_attribute(
            "title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        )
        earlier = timeline.locator("li[data-kind='sms']", has_text="gw-before")
        expect(earlier).to_contain_text(f"短信（已送达 {before:%Y-%m-%d} 13:02:43）")
        expect(timeline).not_to_contain_text("已送达（")
        expect(timeline).not_to_contain_text("））")
