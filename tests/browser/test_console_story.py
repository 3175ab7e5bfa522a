"""Issue 5's story in the real Chromium against the real console and the real Asterisk.

An agent signs in, goes ready, a real call from a known customer's number rings the
seat, the screen pops, the call is answered, the agent fills the intake form and
routes a fault order to the bureau's remote handler; the handler signs in in a
second browser context, acknowledges and dispatches; the order's timeline shows it.
The console process is then killed and started again: the page reconnects by
itself and shows the right state. `make screenshots` saves them into docs/screenshots/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE, VIEWPORT, sign_in, signed_in
from ticketing.demo import DEMO_PASSWORD, demo_account_no, demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
HANDLER = "5101"  # the demo's first remote handler of 广州市供电局 (440100)


def seconds(clock: str) -> int:
    """04:05 or 1:02:03 → seconds."""
    total = 0
    for part in clock.split(":"):
        total = total * 60 + int(part)
    return total


def fill_fault_order(page, opinion: str = "") -> None:
    """The intake form of the stories' fault call: a building out of power in Guangzhou."""
    page.select_option("#intake-category", label="故障报修")
    page.select_option("#intake-subcategory", label="低压故障")
    page.fill("#intake-故障名称", "整栋楼停电")
    page.fill("#intake-故障地址", "广州市天河区中山路 1 号 3 栋")
    page.select_option("#intake-所属供电局", "440100")
    page.fill("#intake-客户描述故障信息", "明天 9:00 前来")
    if opinion:
        page.fill("#intake-opinion", opinion)


def test_agent_takes_a_real_call_and_routes_a_fault_order_to_the_bureau(
    console, browser, asterisk, screenshots
):
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)  # only our seats may take the story's call
    ami.phone(console.agent, ring="2", talk="hold")
    agent_ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = agent_ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, console.url, console.agent, PASSWORD)
        expect(page.locator("#agent-state")).to_be_visible()
        expect(page.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        expect(page.locator("#ami-status b")).to_have_text("已连接")

        # signed out of the queues: no shift to end; 暂停 would sign the seat in 未就绪 (QA #13)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "logged_out")
        expect(page.locator("#btn-pause")).to_be_enabled()
        expect(page.locator("#btn-logout")).to_be_disabled()
        page.keyboard.press("F2")  # 就绪
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(page.locator("#btn-pause")).to_be_enabled()
        expect(page.locator("#btn-logout")).to_be_enabled()
        expect(page.locator("#intake-category")).to_be_visible()
        page.screenshot(path=str(screenshots / "agent-idle.png"))

        # a colleague signs in and takes a break: busy for transfers, out of the call's way
        colleague_ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        colleague = colleague_ctx.new_page()
        sign_in(colleague, console.url, console.colleague, PASSWORD)
        expect(colleague.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        colleague.keyboard.press("F2")
        expect(colleague.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        colleague.keyboard.press("F3")
        expect(colleague.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(colleague.locator("#state-reason")).to_have_text("小休")

        handler_ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        handler = handler_ctx.new_page()
        handler.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(handler, console.url, HANDLER, DEMO_PASSWORD)
        expect(handler).to_have_url(re.compile(r"/lists/mine$"))
        expect(handler.locator("#ws-status")).to_have_attribute("data-connected", "true", timeout=10_000)

        caller = demo_phone(7)
        ami.call_in(QUEUE, caller, ivr_path="top:6/faults:1")
        expect(page.locator("#pop-caller")).to_have_text(re.compile(caller), timeout=15_000)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ringing")
        expect(page.locator("#pop-queue")).to_have_text(QUEUE)  # a queue without a display name: its own
        # the caller's IVR choices in words (deploy/ivr.yaml's menus), not the codes top:6 / faults:1
        ivr = "主菜单：按 6 故障报修菜单 → 故障报修菜单：按 1 转人工（故障报修）"
        expect(page.locator("#pop-ivr")).to_have_text(ivr)
        expect(page.locator("#pop-account")).to_have_text(demo_account_no(7))  # the known customer
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(7)))
        page.screenshot(path=str(screenshots / "screen-pop.png"))

        # the simulated phone answers after 2 s; the intake form has the caller's number
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
        expect(page.locator("#intake-caller")).to_have_value(re.compile(caller))
        # the wait shown is the caller's in the queue up to the answer (a reload shows the same);
        # the call bar has the call's own clock
        expect(page.locator("#pop-body")).to_have_attribute("data-answered", "true")
        waited = page.locator("#pop-waited").inner_text()
        assert re.fullmatch(r"等待 \d+ 秒", waited), waited
        call_timer = page.locator("#call-timer .timer")
        expect(page.locator("#call-timer")).to_be_visible()

        # no break and no end of the shift during the call: neither is offered, F3 does nothing
        expect(page.locator("#btn-pause")).to_be_disabled()
        expect(page.locator("#btn-logout")).to_be_disabled()
        page.keyboard.press("F3")
        page.wait_for_timeout(500)
        expect(page.locator(".toast.refused")).to_have_count(0)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        # so is a transfer to the colleague on a break
        page.click("#btn-transfer")
        page.fill("#xfer-target", console.colleague)  # 自动识别: a 工号 the bridge knows
        page.click("#xfer-ok")
        expect(page.locator(".toast.refused").last).to_contain_text("转接目标未就绪（小休）")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        colleague_ctx.close()

        # 保持 and back: the time in the state starts again, the call's clock runs on from the answer
        expect(call_timer).to_have_text(re.compile(r"^00:0[3-9]$"), timeout=10_000)
        page.click("#btn-hold")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "on_hold", timeout=10_000)
        expect(page.locator("#call-timer")).to_be_visible()
        page.click("#btn-hold")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
        on_call = seconds(call_timer.inner_text())
        assert on_call >= 3 and on_call > seconds(page.locator("#state-timer").inner_text()), on_call

        # a reload shows the same call: the same IVR words and wait, the call's clock from its answer
        page.reload()
        expect(page.locator("#pop-caller")).to_have_text(re.compile(caller), timeout=10_000)
        expect(page.locator("#pop-ivr")).to_have_text(ivr)
        expect(page.locator("#pop-waited")).to_have_text(waited)
        expect(page.locator("#call-timer")).to_be_visible(timeout=10_000)
        assert seconds(call_timer.inner_text()) >= on_call
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(7)))

        fill_fault_order(page)
        page.click("#intake-save-close")
        link = page.locator("#intake-saved-link")
        expect(link).to_have_text(re.compile(r"^GZ\d{13}$"), timeout=10_000)
        number = link.inner_text()
        expect(page.locator("#intake-saved")).to_have_text(f"工单 {number} 已保存 · 已流转")

        page.keyboard.press("-")  # hang up
        expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "talking", timeout=10_000)

        # the bureau's handler, already at their desk: pop-up with the new order, list refreshed
        expect(handler.locator(".toast.alert").first).to_contain_text(number, timeout=10_000)
        expect(handler.locator("#list-table tbody")).to_contain_text(number, timeout=10_000)
        # the subcategory by its name (not its code fault_lv), in the list and on the order
        expect(handler.locator("#list-table tbody tr", has_text=number)).to_contain_text(" / 低压故障")
        # not the toast or the 提醒 list
        handler.locator("#list-table tbody a", has_text=number).first.click()
        expect(handler.locator("#order-status")).to_have_text("已流转")
        expect(handler.locator("#order-category")).to_have_text(re.compile(r" / 低压故障$"))
        handler.fill("#order-opinion", "已接收,马上派工")
        handler.click("#order-approve")  # 接收确认 (an approve step: 批准 or 退单)
        expect(handler.locator("#order-status")).to_have_text("接收确认", timeout=10_000)
        handler.fill("#order-抢修人员", "张师傅")
        # the crew leaves now: a 派工时间 before the call or ahead of the clock is refused
        now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
        handler.fill("#order-派工时间", now)
        handler.fill("#order-车辆", "粤A·12345")
        handler.click("#order-submit")  # 派工
        expect(handler.locator("#order-status")).to_have_text("已派工", timeout=10_000)
        timeline = handler.locator("#order-timeline")
        for status in ("已受理", "已流转", "接收确认", "已派工"):
            expect(timeline).to_contain_text(status)
        expect(timeline).to_contain_text("已接收,马上派工")
        # every step names who took it, with an opinion or not (派工 had none)
        expect(timeline.locator("li[data-kind=status]", has_text="已派工")).to_contain_text(f"（{HANDLER}）")
        # the holder may hand the step on (转派); 督办 and 强制归档 are the supervisors'
        expect(handler.locator("#order-forward")).to_be_visible()
        expect(handler.locator("#order-supervise")).to_have_count(0)
        # the call is on the order's timeline with its recording, playable with byte ranges
        expect(timeline.locator("li[data-kind=call]")).to_contain_text(caller)
        audio = timeline.locator("li[data-kind=call] audio")  # the call's line plays its recording
        expect(audio).to_have_count(1, timeout=10_000)
        src = audio.get_attribute("src")
        partial = handler.request.get(f"{console.url}{src}", headers={"Range": "bytes=0-99"})
        assert partial.status == 206 and len(partial.body()) == 100
        assert partial.headers["content-type"].startswith("audio/")
        handler.screenshot(path=str(screenshots / "order-handling.png"))

        # the agent's page follows the order (it is in the agent's open work)
        page.goto(f"{console.url}/orders/{number}")
        expect(page.locator("#order-status")).to_have_text("已派工")
        handler_ctx.close()
        assert errors == []
    finally:
        agent_ctx.close()
        ami.close()


def test_the_page_reconnects_after_the_console_restarts_and_shows_the_right_state(console, browser):
    with signed_in(browser, console, console.agent, PASSWORD) as page:
        page.keyboard.press("F2")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        console.kill()
        expect(page.locator("#ws-status")).to_have_attribute("data-connected", "false", timeout=10_000)
        expect(page.locator("#ami-status")).not_to_have_attribute("data-connected", "true")
        console.start()
        expect(page.locator("#ws-status")).to_have_attribute("data-connected", "true", timeout=20_000)
        expect(page.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=15_000)
        # the restarted bridge rebuilt the seat from Asterisk: still ready, still signed in
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=15_000)


def test_the_next_call_does_not_keep_the_last_callers_customer(console, browser, asterisk):
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="1", talk="hold")
    with contextlib.closing(ami), signed_in(browser, console, console.agent, PASSWORD) as page:
        expect(page.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        page.keyboard.press("F2")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)

        known = demo_phone(11)
        ami.call_in(QUEUE, known)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=15_000)
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(11)))
        # 用户信息查询 shares 信息咨询's workflow: the order is the category picked, with its own CX…
        page.select_option("#intake-category", label="用户信息查询")
        page.fill("#intake-咨询内容", "我的户号是多少")
        page.fill("#intake-答复内容", "已告知户号")
        page.click("#intake-save-close")
        expect(page.locator("#intake-saved-link")).to_have_text(re.compile(r"^CX\d{13}$"), timeout=10_000)
        page.keyboard.press("-")
        expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "talking", timeout=10_000)
        page.keyboard.press("F2")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)

        unknown = "13911112222"
        ami.call_in(QUEUE, unknown)
        expect(page.locator("#pop-caller")).to_have_text(unknown, timeout=15_000)
        expect(page.locator("#pop-none")).to_be_visible()  # nobody has this number
        expect(page.locator("#intake-caller")).to_have_value(unknown)
        expect(page.locator("#intake-customer")).to_have_value("")
        expect(page.locator("#intake-saved-link")).to_have_count(0)  # the last call's order is not this one's
        page.keyboard.press("-")

        # the first call's order, listed under its category's name (not the code 'query')
        page.goto(f"{console.url}/lists/search")
        expect(page.locator("#list-table tbody tr").first.locator("td").nth(1)).to_have_text("用户信息查询")
        # a reversed date range is refused, and the rows of the last answer go with it
        page.fill("#list-filters [name=from]", "2026-11-20")
        page.fill("#list-filters [name=to]", "2026-11-10")
        page.locator("#list-filters button[type=submit]").click()
        expect(page.locator("#toasts .toast.refused").last).to_have_text("结束日期早于开始日期，请重新选择。")
        expect(page.locator("#list-table tbody tr")).to_have_count(0)
        expect(page.locator("#list-total")).to_have_text("—")


def test_a_bureau_handler_links_inbox_events_and_filters_lists_by_category(console, browser):
    """The handler takes no calls and no new orders: the menu, the inbox and the list filters
    offer what the handler may do, and nothing that the server would refuse."""
    from tests.browser.conftest import put_in_inbox

    put_in_inbox(console, "13700000010", "抢修队伍到了吗?", staff_no="5101")
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    refused: list[str] = []
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        sign_in(page, console.url, "5101", DEMO_PASSWORD)
        nav = page.locator("nav.nav")
        expect(nav.locator("a[href='/inbox']")).to_be_visible()
        expect(nav.locator("a[href='/']")).to_have_count(0)  # no seat, no console
        banner = page.locator("#inbox-banner")
        expect(banner).to_have_text("您有 1 个未处理事件", timeout=10_000)
        banner.click()
        row = page.locator("#inbox-table tbody tr").first
        expect(row).to_contain_text("抢修队伍到了吗", timeout=10_000)
        expect(row.locator("td[data-status]")).to_have_text("待处理")  # not its code, assigned
        expect(row.locator("button", has_text="关联到已受理工单")).to_be_visible()
        expect(row.locator("select")).to_have_count(0)
        expect(row.locator("text=填写受理工单")).to_have_count(0)

        page.goto(f"{console.url}/lists/search")
        category = page.locator("#list-filters select[name=category]")
        expect(category.locator("option", has_text="故障报修")).to_have_count(1)
        category.select_option(label="故障报修")
        with page.expect_response(lambda r: "/api/orders?" in r.url and "category=fault" in r.url) as asked:
            page.locator("#list-filters button[type=submit]").click()
        assert asked.value.status == 200
        assert refused == []
    finally:
        ctx.close()


def test_an_sms_in_the_inbox_becomes_an_order_from_the_console(console, browser):
    from tests.browser.conftest import put_in_inbox

    put_in_inbox(console, "13700000009", "小区整片停电,什么时候恢复?")
    with signed_in(browser, console, console.agent, PASSWORD) as page:
        banner = page.locator("#inbox-banner")
        expect(banner).to_have_text("您有 1 个未处理事件", timeout=10_000)
        banner.click()
        row = page.locator("#inbox-table tbody tr").first
        expect(row).to_contain_text("小区整片停电")
        row.locator("select").select_option(label="信息咨询")
        row.locator("text=填写受理工单").click()
        expect(page).to_have_url(re.compile(r"/orders/ZX\d+$"), timeout=10_000)
        expect(page.locator("#order-咨询内容")).to_have_value("小区整片停电,什么时候恢复?", timeout=10_000)
        expect(page.locator("#order-timeline li[data-kind=sms]")).to_contain_text("13700000009")
        page.goto(f"{console.url}/inbox")
        expect(page.locator("#inbox-count")).to_have_text("0")
