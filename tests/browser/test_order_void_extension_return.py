"""On the order page in Chromium: 申请延期 (dialog) and its approval, 退单 at 接收确认, and 作废 of
a duplicate naming the order it repeats; a double click sends an action (or the intake's 保存) once,
and 保存,现在处理's buttons stay disabled until the order's page is shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, demo_database, wall_time

pytestmark = [pytest.mark.browser]


async def _seed(url: str, numbers: dict[str, str]) -> None:
    async with demo_database(url) as demo:
        for name in ("first", "again", "twice"):
            order = await demo.fault_order(
                form={"大面积停电": True, "故障范围": "天河路一带"}, caller_number=CALLER
            )
            numbers[name] = order.number
            numbers[f"{name}_due"] = wall_time(order.due_at)


@pytest.fixture(scope="module")
def orders_console(tmp_path_factory):
    # one seeded console for the module: each story works on orders of its own
    numbers: dict[str, str] = {}
    with seeded_console(tmp_path_factory.mktemp("void") / "void.db", _seed, numbers) as server:
        assert "again" in numbers
        yield server, numbers


def test_extension_return_and_void_on_the_order_page(orders_console, browser):
    server, numbers = orders_console
    errors: list[str] = []
    with signed_in(browser, server, "5101", errors=errors) as page:
        page.goto(f"{server.url}/orders/{numbers['first']}")
        expect(page.locator("#order-reject")).to_have_text("退单")
        # 批准 as the step names it too (QA: 5101 at 接收确认 read 批准)
        expect(page.locator("#order-approve")).to_have_text("接收确认")
        page.click("#extension-request")
        later = dt.datetime.fromisoformat(numbers["first_due"]) + dt.timedelta(hours=2)
        page.fill("#extension-due", later.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#extension-reason", "暴雨，道路积水")
        page.click("#extension-send")
        expect(page.locator("#extension-pending")).to_contain_text("待审批")
        expect(page.locator("#extension-request")).to_have_count(0)

        with signed_in(browser, server, "3001", errors=errors) as boss:
            boss.on("dialog", lambda dialog: dialog.accept())
            boss.goto(f"{server.url}/orders/{numbers['first']}")
            boss.click("#extension-approve")
            expect(boss.locator("#extension-pending")).to_have_count(0)
            expect(boss.locator("#order-timeline li[data-action='extend_approve']")).to_contain_text(
                "批准延期"
            )

            # the duplicate: 作废, naming the order it repeats
            boss.goto(f"{server.url}/orders/{numbers['again']}")
            boss.fill("#order-opinion", "同一停电区域重复报修")
            boss.fill("#order-duplicate-of", numbers["first"])
            boss.click("#order-void")
            expect(boss.locator("#order-status")).to_have_text("已作废")
            expect(boss.locator("#order-links-duplicate_of")).to_contain_text(numbers["first"])
            boss.goto(f"{server.url}/orders/{numbers['first']}")
            expect(boss.locator("#order-links-duplicates")).to_contain_text(numbers["again"])

            # 退单: back to 受理, for the agent to correct 所属供电局
            page.reload()
            page.fill("#order-opinion", "退单：地址不在本局")
            page.click("#order-reject")
            expect(page.locator("#order-status")).to_have_text("已受理")
            assert not errors, errors


def _posts(page, path: str) -> list[str]:
    """The POSTs the page sends to ``path`` (an API path's end), as they leave the browser."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith(path) else None)
    return sent


def test_a_double_clicked_order_action_is_sent_once(orders_console, browser):
    """QA: a double click on 退单 (or any action) sent it twice; the server refused the second
    (409) and an error toast said so, for nothing."""
    server, numbers = orders_console
    with signed_in(browser, server, "5101") as page:
        page.goto(f"{server.url}/orders/{numbers['twice']}")
        sent = _posts(page, "/reject")
        page.fill("#order-opinion", "退单：地址不在本局")
        page.dblclick("#order-reject")
        expect(page.locator("#order-status")).to_have_text("已受理")
        expect(page.locator("#order-timeline li[data-action='reject']")).to_have_count(1)
        page.wait_for_timeout(300)  # a second request, if one went, has had its answer
        assert len(sent) == 1, sent
        expect(page.locator(".toast.refused")).to_have_count(0)


def test_a_double_clicked_intake_save_takes_one_order_in(orders_console, browser):
    """QA: a double click on 保存,处理完毕 took the caller's order in twice (two orders, one call).
    A refused save leaves the button usable and the form as typed."""
    from tests.browser.test_console_story import fill_fault_order

    server, _ = orders_console
    with signed_in(browser, server, "1001") as page:
        sent = _posts(page, "/api/orders")
        fill_fault_order(page, opinion="客户来电报修")
        page.fill("#intake-caller", "13912340000")
        page.fill("#intake-故障地址", "")
        page.click("#intake-save-close")
        expect(page.locator("#intake-故障地址")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#intake-save-close")).to_be_enabled()
        expect(page.locator("#intake-故障名称")).to_have_value("整栋楼停电")
        expect(page.locator("#intake-opinion")).to_have_value("客户来电报修")

        page.fill("#intake-故障地址", "广州市天河区中山路 1 号 3 栋")
        page.dblclick("#intake-save-close")
        expect(page.locator("#intake-saved-link")).to_be_visible()
        page.wait_for_timeout(300)
        assert len(sent) == 2, sent  # the refused one, and the double click's one
        taken = page.request.get(f"{server.url}/api/orders", params={"caller": "13912340000"}).json()
        assert len(taken["items"]) == 1, taken


# In the page, as a user would in the moment the order's page is loading (Playwright's own reads
# and clicks wait for that load): once the saved order is shown, say whether the 保存 buttons are
# disabled, then press both and Ctrl+Enter.
_IN_THE_GAP = """
new MutationObserver((_, seen) => {
  if (!document.getElementById("intake-saved-link")) return;
  seen.disconnect();
  setTimeout(() => {
    const buttons = ["intake-save-handle", "intake-save-close"].map((id) => document.getElementById(id));
    console.log(`gap disabled: ${buttons.map((b) => b.disabled).join(",")}`);
    buttons.forEach((b) => b.click());
    document.getElementById("intake-opinion").dispatchEvent(
      new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
  }, 50);
}).observe(document, { childList: true, subtree: true });
"""


def test_save_and_handle_keeps_its_buttons_disabled_until_the_page_leaves(orders_console, browser):
    """QA: after 保存,现在处理 took the order in, its buttons were usable again while the order's
    page loaded, and a click then took the caller's order in a second time."""
    from tests.browser.test_console_story import fill_fault_order

    server, _ = orders_console
    with signed_in(browser, server, "1001") as page:
        held: list = []  # the order page's load, held so that the moment before it lasts

        def hold(route):
            if route.request.resource_type == "document":
                held.append(route)
            else:
                route.continue_()

        page.route(re.compile(r"/orders/[^/?]+$"), hold)
        said: list[str] = []
        page.on("console", lambda m: said.append(m.text) if m.text.startswith("gap") else None)
        sent = _posts(page, "/api/orders")
        fill_fault_order(page)
        page.fill("#intake-caller", "13912340001")
        page.evaluate(_IN_THE_GAP)
        page.click("#intake-save-handle")
        while not held or not said:
            page.wait_for_timeout(20)
        page.wait_for_timeout(200)  # a second request, if one went, has left
        assert said == ["gap disabled: true,true"], said
        assert len(sent) == 1, sent
        held[0].continue_()
        page.wait_for_url(re.compile(r"/orders/[^/?]+$"))
        taken = page.request.get(f"{server.url}/api/orders", params={"caller": "13912340001"}).json()
        assert len(taken["items"]) == 1, taken
