"""QA finding 12: the screen-pop of a customer tells the agent of the outages published for the
customer's site (我家怎么停电了): each 发布中 notice's 停电范围, 开始至结束 and 原因, as
GET /api/notices/published answers for the customer's site, and its 停电信息 link opens the list
of that site's notices (?site=), the caller's number filled in. The real template and seat module
in Chromium, fed what its socket would push; no console process."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import ORIGIN, seat_page
from tests.browser.test_console_keyboard_and_labels import _serve as serve_seat

pytestmark = pytest.mark.browser
CALLER = "13200000012"
TIANHE = 7
CUSTOMER = {"id": 12, "account_no": "1000000012", "name": "孟涵华", "address": "广州市天河区人民路240号",
            "tier": "", "vip": False, "site_id": TIANHE, "site": "天河区供电所", "phones": [CALLER]}  # fmt: skip
NOTICE = {"key": "N1", "site_id": TIANHE, "area": "天河区中山路一带", "reason": "10kV线路故障抢修",
          "starts_at": "2026-11-29T14:00:00+00:00", "ends_at": "2026-11-29T20:00:00+00:00"}  # fmt: skip


def _serve(asked: list[str]):
    def serve(route) -> None:
        url = route.request.url.removeprefix(ORIGIN)
        path = url.split("?")[0]
        if path == "/api/sites":
            route.fulfill(json={"sites": [{"id": TIANHE, "code": "440106", "name": "天河区供电所"}]})
        elif path == "/api/notices/published":
            asked.append(url)
            items = [NOTICE] if f"site_id={TIANHE}" in url else []
            route.fulfill(json={"items": items})
        else:
            serve_seat(route)

    return serve


def _pop(browser, customer: dict):
    asked: list[str] = []
    ctx, page, errors = seat_page(browser, _serve(asked), timezone_id="Asia/Shanghai")
    page.evaluate(
        """([number, customer]) => window.push("screen_pop", {
            event: { event: "CallOffered", call_id: "c1", agent_id: "1005", direction: "inbound",
                     caller: number, queue: "general" },
            pop: { caller: number, customer, matches: [customer], open_orders: [], interactions: [] } })""",
        [CALLER, customer],
    )
    expect(page.locator("#pop-account")).to_have_text(customer["account_no"])
    return ctx, page, errors, asked


def test_the_pop_names_the_outages_published_for_the_customers_site(browser):
    ctx, page, errors, asked = _pop(browser, CUSTOMER)
    try:
        expect(page.locator("#pop-outages h3")).to_have_text("停电信息（发布中）（1）")
        expect(page.locator("#pop-outage-list li")).to_have_text(
            "天河区中山路一带，2026-11-29 22:00至2026-11-30 04:00，原因：10kV线路故障抢修"
        )
        link = page.locator("#pop-send-notice")
        expect(link).to_have_attribute("href", f"/notices?to={CALLER}&site=440106")
        assert asked == [f"/api/notices/published?site_id={TIANHE}"]
        assert errors == []
    finally:
        ctx.close()


def test_no_outage_line_for_a_site_without_notices_nor_a_customer_without_a_site(browser):
    ctx, page, errors, asked = _pop(browser, {**CUSTOMER, "site_id": None, "site": ""})
    try:
        expect(page.locator("#pop-send-notice")).to_have_attribute("href", f"/notices?to={CALLER}")
        expect(page.locator("#pop-outages")).to_be_hidden()
        assert asked == [] and errors == []
    finally:
        ctx.close()
    ctx, page, errors, asked = _pop(browser, {**CUSTOMER, "site_id": TIANHE + 1})
    try:
        page.wait_for_timeout(300)
        assert len(asked) == 1
        expect(page.locator("#pop-outages")).to_be_hidden()
        assert errors == []
    finally:
        ctx.close()


LATER = {**NOTICE, "key": "N2", "area": "天河区体育西路", "reason": "配电房检修",
         "starts_at": "2026-11-30T01:00:00+00:00", "ends_at": "2026-11-30T05:00:00+00:00"}  # fmt: skip
NEW = {**NOTICE, "key": "N3", "area": "天河区天河北路", "reason": "用户内部故障"}


def test_the_open_pop_follows_a_notice_withdrawn_ended_or_published_meanwhile(browser):
    """QA #3: 3001 withdrew the notice the agent's pop listed; 15 s later the pop still read it as
    发布中. Told over the socket (outage_notice), the pop asks again: a notice withdrawn or ended
    stays struck through and marked 已撤销 / 已结束 (the agent may have read it out), one
    published for the customer's site appears; a change to a notice not on the pop asks nothing."""
    published = [NOTICE, LATER]
    asked: list[str] = []

    def serve(route) -> None:
        url = route.request.url.removeprefix(ORIGIN)
        if url.split("?")[0] == "/api/notices/published":
            asked.append(url)
            route.fulfill(json={"items": list(published)})
        else:
            _serve([])(route)

    ctx, page, errors = seat_page(browser, serve, timezone_id="Asia/Shanghai")
    try:
        page.evaluate(
            """([number, customer]) => window.push("screen_pop", {
                event: { event: "CallOffered", call_id: "c1", agent_id: "1005", direction: "inbound",
                         caller: number, queue: "general" },
                pop: { caller: number, customer, matches: [customer], open_orders: [], interactions: [] } })""",
            [CALLER, CUSTOMER],
        )
        box = page.locator("#pop-outages")
        items = page.locator("#pop-outage-list li")
        expect(box.locator("h3")).to_have_text("停电信息（发布中）（2）")
        tell = "(change) => window.push('outage_notice', { event: { site_id: 7, ...change } })"

        published.remove(NOTICE)  # 撤销 on /notices
        page.evaluate(tell, {"key": "N1", "change": "withdrawn", "active": False})
        expect(box.locator("h3")).to_have_text("停电信息（发布中）（1）")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_have_attribute("data-key", "N2")
        gone = page.locator("#pop-outage-list li[data-gone=withdrawn]")
        expect(gone).to_have_text(
            "天河区中山路一带，2026-11-29 22:00至2026-11-30 04:00，原因：10kV线路故障抢修（已撤销）"
        )
        expect(gone.locator("s")).to_have_count(1)

        published.remove(LATER)  # 提前结束
        page.evaluate(tell, {"key": "N2", "change": "ended", "active": False})
        expect(page.locator("#pop-outage-list li[data-gone=ended]")).to_contain_text("天河区体育西路")
        expect(page.locator("#pop-outage-list li[data-gone=ended]")).to_contain_text("（已结束）")
        expect(box.locator("h3")).to_have_text("停电信息（发布中）（0）")

        published.append(NEW)  # a new outage for the customer's site
        page.evaluate(tell, {"key": "N3", "change": "published", "active": True})
        expect(page.locator("#pop-outage-list li[data-key=N3]:not([data-gone])")).to_contain_text(
            "天河区天河北路"
        )
        expect(box.locator("h3")).to_have_text("停电信息（发布中）（1）")
        expect(items).to_have_count(3)

        before = len(asked)
        page.evaluate(tell, {"key": "N9", "change": "withdrawn", "active": False})  # on no pop of ours
        page.wait_for_timeout(300)
        assert len(asked) == before
        assert errors == []
    finally:
        ctx.close()
