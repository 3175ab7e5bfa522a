"""保存 of the intake form while the phone still rings (QA: the server refused it as someone
else's call, 这通电话不是您接听的…, as if the form were lost): the console says to answer first,
keeps what was typed, and saves it once the call is answered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import QUEUE, signed_in
from tests.browser.test_console_reload import ami, ready_seat  # noqa: F401 (the fixture)
from tests.browser.test_console_story import VIEWPORT, fill_fault_order
from ticketing.demo import demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]


def test_saving_while_the_phone_rings_asks_to_answer_first_and_keeps_the_form(console, browser, ami):  # noqa: F811
    ami.phone(console.agent, ring="3", talk="hold")  # picks up after 3 s (the queue rings 5 s)
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    refused: list[str] = []
    page.on(
        "response", lambda r: refused.append(r.url) if "/api/orders" in r.url and r.status >= 400 else None
    )
    try:
        ready_seat(page, console)
        caller = demo_phone(9)
        ami.call_in(QUEUE, caller, stay=45)
        expect(page.locator("#pop-caller")).to_have_text(caller, timeout=15_000)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ringing")
        fill_fault_order(page)

        page.click("#intake-save-close")
        expect(page.locator(".toast.refused").last).to_contain_text("接听后才能保存受理单")
        expect(page.locator("#intake-故障地址")).to_have_value("广州市天河区中山路 1 号 3 栋")
        expect(page.locator("#intake-saved-link")).to_have_count(0)

        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
        page.click("#intake-save-close")
        expect(page.locator("#intake-saved-link")).to_have_text(re.compile(r"^GZ\d{13}$"), timeout=10_000)
        assert refused == [] and errors == []
        page.click("#btn-hangup")
        expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "talking", timeout=10_000)

        # the order opened by its id (as some links do): the tab reads its number, not the id
        number = page.locator("#intake-saved-link").inner_text()
        order_id = page.request.get(f"{console.url}/api/orders/{number}").json()["id"]
        page.goto(f"{console.url}/orders/{order_id}")
        expect(page).to_have_title(re.compile(rf"^工单 {number} · "))
    finally:
        ctx.close()


def test_the_admins_menu_keeps_each_label_on_one_line(console, browser):
    """QA: at 1366 px every label of the admin's 17-page menu broke over two lines (超期工 / 单)."""
    with signed_in(browser, console, "9001") as page:
        page.goto(f"{console.url}/reports")
        page.click("#nav-admin summary")  # 系统管理 open: its pages' labels shown too
        links = page.locator("nav.nav a")
        assert links.count() > 12
        heights = links.evaluate_all("(all) => all.map((a) => a.getBoundingClientRect().height)")
        assert max(heights) < 1.5 * min(heights), heights  # one line each
