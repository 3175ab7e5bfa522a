"""QA-23: what a handler typed on the order page (a step's fields, 处理意见) was lost when the
session ended under them (idle timeout, 退出 in another tab, a password change): the tab went
to sign in and came back to the order with both empty, while the seat's intake form keeps its
draft. Now the order page keeps a draft per user, order and step as it is typed, puts it back
after signing in again with a notice saying so (and a button to throw it away), drops it once an
action has taken it (暂存 here), and another user signing in on the same tab gets none of it
(nor of the intake's).
In Chromium against an in-process console (no Asterisk)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import CALLER, demo_database

pytestmark = [pytest.mark.browser]

HANDLER = "5101"  # 广州's handler: holds the order's 派工 step


async def _seed(url: str, numbers: dict[str, str]) -> None:
    """A fault order 1001 took, 5101 took in (接收确认): at 5101's 派工."""
    from ticketing import approve

    async with demo_database(url) as demo:
        order = await demo.fault_order(caller_number=CALLER)
        await approve(demo.db, demo.users[HANDLER], order, opinion="已接收")
        assert order.current_node == "dispatch"
        numbers["order"] = order.number


def _signed_out_elsewhere(page, url: str) -> None:
    """退出 in a second tab of the same browser: this tab's session is gone with it, and this tab
    is sent to sign in, with the order to come back to (the other tab closed only then)."""
    other = page.context.new_page()
    other.goto(url)
    other.click("#logout-form button")
    page.wait_for_url(lambda u: "/login" in u and "next=" in u)
    other.close()


def _sign_in_again(page, staff_no: str) -> None:
    """The sign-in form the ended session led to, filled in and sent, left for the page it leads
    to. A request of the page that ended can reach the server after that form was drawn and leave
    its token stale (登录页面已过期，请重新输入…, ``/login?stale=1``); one then signs in once more,
    as anyone would, and the draft is still there."""
    for _ in range(2):
        page.fill("#staff_no", staff_no)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(lambda u: "/login" not in u or "stale=1" in u)
        if "stale=1" not in page.url:
            return
    raise AssertionError(f"not signed in again: {page.url}")


def test_what_was_typed_comes_back_after_signing_in_again(tmp_path, browser):
    numbers: dict[str, str] = {}
    with (
        seeded_console(tmp_path / "draft.db", _seed, numbers) as server,
        signed_in(browser, server, HANDLER) as page,
    ):
        url = f"{server.url}/orders/{numbers['order']}"
        page.goto(url)
        expect(page.locator("#order-status")).to_have_text("接收确认")
        expect(page.locator("#order-draft-notice")).to_be_hidden()
        page.fill("#order-抢修人员", "输入中的抢修人员")
        page.fill("#order-opinion", "写了一半的处理意见")

        _signed_out_elsewhere(page, url)
        _sign_in_again(page, HANDLER)
        assert page.url.endswith(f"/orders/{numbers['order']}")
        expect(page.locator("#order-status")).to_have_text("接收确认")
        expect(page.locator("#order-抢修人员")).to_have_value("输入中的抢修人员")
        expect(page.locator("#order-opinion")).to_have_value("写了一半的处理意见")
        notice = page.locator("#order-draft-notice")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("已恢复您上次未保存的输入")

        # 暂存 takes it: a reload shows the saved step, no draft over it
        page.click("#order-save")
        expect(page.locator(".toast.ok").last).to_contain_text("工单状态", timeout=10_000)
        expect(notice).to_be_hidden()
        page.reload()
        expect(page.locator("#order-status")).to_have_text("接收确认")
        expect(page.locator("#order-抢修人员")).to_have_value("输入中的抢修人员")  # saved on the order
        expect(page.locator("#order-opinion")).to_have_value("")  # went with 暂存
        expect(page.locator("#order-draft-notice")).to_be_hidden()

        # typed again, then discarded: the step as saved
        page.fill("#order-抢修人员", "又改了一次")
        page.reload()
        expect(page.locator("#order-抢修人员")).to_have_value("又改了一次")
        page.click("#order-draft-discard")
        expect(page.locator("#order-抢修人员")).to_have_value("输入中的抢修人员")
        expect(notice).to_be_hidden()
        page.reload()
        expect(page.locator("#order-status")).to_have_text("接收确认")
        expect(page.locator("#order-抢修人员")).to_have_value("输入中的抢修人员")
        expect(page.locator("#order-draft-notice")).to_be_hidden()


def test_another_user_on_the_same_tab_finds_none_of_it(tmp_path, browser):
    numbers: dict[str, str] = {}
    with (
        seeded_console(tmp_path / "shared.db", _seed, numbers) as server,
        signed_in(browser, server, HANDLER) as page,
    ):
        url = f"{server.url}/orders/{numbers['order']}"
        page.goto(url)
        expect(page.locator("#order-status")).to_have_text("接收确认")
        page.fill("#order-opinion", "5101 没写完的话")
        _signed_out_elsewhere(page, url)
        _sign_in_again(page, "5102")  # 广州's other handler, on the same tab
        # 5101 had an intake form half written on this tab too: the order page drops it as well
        page.evaluate(
            "sessionStorage.setItem('hotline.intake-draft:5101:', JSON.stringify({ category: 'fault' }))"
        )
        page.goto(url)
        expect(page.locator("#order-status")).to_have_text("接收确认")
        expect(page.locator("#order-opinion")).to_have_value("")
        expect(page.locator("#order-draft-notice")).to_be_hidden()
        kept = page.evaluate("Object.keys(sessionStorage).filter((k) => k.startsWith('hotline.'))")
        assert kept == []
