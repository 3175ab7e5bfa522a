"""The supervisors' wallboard and sending an outage notice, in the real Chromium against
``hotline serve`` and the real Asterisk. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE, signed_in
from ticketing.demo import demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
SUPERVISOR = "3001"  # the demo's 质检 supervisor


def test_the_wallboard_follows_a_real_call_and_a_notice_goes_out_by_sms(
    console, browser, asterisk, screenshots
):
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="1", talk="hold")
    errors: list[str] = []
    with (
        contextlib.closing(ami),
        signed_in(browser, console, console.agent, PASSWORD, errors=errors) as agent,
    ):
        expect(agent.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        agent.keyboard.press("F2")
        expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)

        with signed_in(browser, console, SUPERVISOR, errors=errors) as boss:
            boss.click("a[href='/wallboard']")
            tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
            expect(tile).to_have_attribute("data-state", "ready", timeout=10_000)
            expect(boss.locator(f"#wb-queues tr[data-queue='{QUEUE}']")).to_be_visible()
            # the hotline's own queues show while empty; Asterisk's others (the benchmarks') do not
            expect(boss.locator("#wb-queues tr[data-queue='complaint']")).to_be_visible()
            expect(boss.locator("#wb-queues tr[data-queue='bench-a']")).to_have_count(0)
            expect(tile.locator("[data-spy=listen]")).to_be_disabled()

            caller = demo_phone(3)
            ami.call_in(QUEUE, caller)
            expect(tile).to_have_attribute("data-state", "talking", timeout=15_000)
            expect(tile.locator(".call")).to_contain_text(caller)
            expect(tile.locator("[data-spy=listen]")).to_be_enabled()
            # 监听: the supervisor's own seat answers and listens; the tile says so, switches to 耳语
            # without hanging up, and 结束监听 leaves the call with the agent
            ami.phone(SUPERVISOR, ring="0", talk="hold")
            tile.locator("[data-spy=listen]").click()
            mine = tile.locator(".spied.mine")
            expect(mine).to_have_text("您正在监听", timeout=10_000)
            tile.locator("[data-spy-mode=whisper]").click()
            expect(mine).to_have_attribute("data-spied", "whisper", timeout=5_000)
            expect(tile.locator("[data-spy-mode=whisper]")).to_have_attribute("aria-pressed", "true")
            expect(agent.locator("body")).not_to_contain_text("监听")  # the agent is not told
            tile.locator("[data-spy-stop]").click()
            expect(tile.locator(".spied")).to_have_count(0, timeout=10_000)
            expect(tile).to_have_attribute("data-state", "talking")
            expect(tile.locator("[data-spy=listen]")).to_be_enabled()
            expect(tile.locator(".timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
            # the supervisor's own state bar still shows the supervisor, not the agent on the call
            expect(boss.locator("#agent-state")).not_to_have_attribute("data-state", "talking")
            # the call counts as answered from the answer on, not from its end
            row = boss.locator(f"#wb-queues tr[data-queue='{QUEUE}'] td")
            expect(row.nth(5)).not_to_have_text("0", timeout=10_000)  # answered
            expect(row.nth(7)).to_have_text(re.compile(r"^\d+%$"))  # service level
            boss.screenshot(path=str(screenshots / "wallboard.png"))

            agent.click("#btn-hangup")
            expect(tile).not_to_have_attribute("data-state", "talking", timeout=10_000)
            # ready again after the call: the queue's ready agents follow the seat (no queue news comes)
            expect(tile).to_have_attribute("data-state", "ready", timeout=10_000)
            expect(row.nth(3)).to_have_text("1")
            # the hotline's queues by their names, any other by its own
            expect(boss.locator("#wb-queues tr[data-queue='complaint'] td").first).to_have_text("投诉")
            expect(row.first).to_have_text(QUEUE)

            # a caller waits while the agent is on a break: the longest wait runs on, on the board and on
            # the seat, and another queue's news does not set it back. F3 is offered only once the
            # seat's own page knows the call is over (the board may know it first).
            expect(agent.locator("#btn-pause")).to_be_enabled(timeout=10_000)
            agent.keyboard.press("F3")
            expect(tile).to_have_attribute("data-state", "not_ready", timeout=10_000)
            expect(row.nth(3)).to_have_text("0")
            ami.call_in(QUEUE, demo_phone(5))
            expect(row.nth(1)).to_have_text("1", timeout=10_000)
            expect(row.nth(2)).to_have_text(re.compile(r"^00:0[3-9]$"), timeout=10_000)
            seat_row = agent.locator(f"#queue-board tr[data-queue='{QUEUE}'] td")
            expect(seat_row.nth(2)).to_have_text(re.compile(r"^00:0[3-9]$"), timeout=10_000)
            longest = boss.evaluate(
                """(queue) => {
                  window.hotline.socket.emit("queue", { type: "queue", event: { queue: "ui-elsewhere",
                    waiting: 0, longest_wait: 0, agents_ready: 0, agents_logged_in: 0, ts: Date.now() / 1000 } });
                  return document.querySelector(`#wb-queues tr[data-queue='${queue}'] td:nth-child(3)`).textContent;
                }""",
                QUEUE,
            )
            assert longest >= "00:03", longest
            # the caller is served: the story leaves the queue empty
            agent.keyboard.press("F2")
            expect(tile).to_have_attribute("data-state", "talking", timeout=15_000)
            agent.click("#btn-hangup")
            expect(tile).not_to_have_attribute("data-state", "talking", timeout=10_000)

            # 停电信息 → 发送给客户: a landline is refused in words, a mobile is queued
            boss.click("a[href='/notices']")
            form = boss.locator("#notice-table form.send").first
            expect(form).to_be_visible(timeout=10_000)
            form.locator("input[name=to]").fill("020-88886666")
            form.locator("button").click()
            expect(boss.locator(".toast.refused").last).to_contain_text("手机号")
            form.locator("input[name=to]").fill("13800138000")
            form.locator("button").click()
            expect(boss.locator(".toast.ok").last).to_contain_text("13800138000")
            boss.screenshot(path=str(screenshots / "notice-send.png"))
            assert errors == []


def test_consult_a_colleague_from_the_call_bar_then_cancel(console, browser, asterisk, screenshots):
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="1", talk="hold")
    ami.phone(console.colleague, ring="1", talk="hold")
    errors: list[str] = []
    with contextlib.closing(ami), signed_in(browser, console, console.agent, PASSWORD, errors=errors) as page:
        expect(page.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "unknown")
        if page.locator("#agent-state").get_attribute("data-state") != "logged_out":
            # signed in by an earlier story, but the queue was cleared above: 下班, then sign in again
            page.click("#btn-logout")
            expect(page.locator("#agent-state")).to_have_attribute("data-state", "logged_out", timeout=10_000)
        page.keyboard.press("F2")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        with signed_in(browser, console, console.colleague, PASSWORD) as other:
            expect(other.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
            other.keyboard.press("F2")
            expect(other.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
            other.keyboard.press("F3")  # a break: the call goes to our agent
            expect(other.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)

            ami.call_in(QUEUE, demo_phone(4))
            expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=15_000)
            expect(page.locator("#btn-consult")).to_be_enabled()
            expect(page.locator("#btn-complete-transfer")).to_be_hidden()

            # on hold (保持) the agent's leg is bridged to nobody: 转接 and 咨询转接 wait for 取回, and say so
            page.click("#btn-hold")
            expect(page.locator("#agent-state")).to_have_attribute("data-state", "on_hold", timeout=10_000)
            for button in ("#btn-transfer", "#btn-consult"):
                expect(page.locator(button)).to_be_disabled()
                expect(page.locator(button)).to_have_attribute("title", "通话保持中：请先取回通话再转接")
            page.click("#btn-hold")  # 取回
            expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
            expect(page.locator("#btn-consult")).to_be_enabled()
            expect(page.locator("#btn-consult")).to_have_attribute("title", "")

            # a refusal is shown in words: the colleague is still on a break, and asked to join, not
            # to take a transfer
            page.click("#btn-conference")  # the colleague picked in the 三方通话 dialog (no window.prompt)
            expect(page.locator("#xfer-dialog")).to_be_visible()
            page.fill("#xfer-target", console.colleague)
            page.click("#xfer-ok")
            expect(page.locator(".toast.refused").last).to_contain_text("三方通话对象未就绪（小休）")
            expect(page.locator("#xfer-dialog")).to_be_hidden()

            other.keyboard.press("F2")
            expect(other.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
            page.click("#btn-consult")
            expect(page.locator("#xfer-dialog")).to_be_visible()
            page.fill("#xfer-target", console.colleague)
            page.locator("#xfer-dialog").get_by_role("radio", name="工号（坐席）", exact=True).check()
            page.click("#xfer-ok")
            expect(page.locator("#xfer-dialog")).to_be_hidden()
            expect(page.locator("#consulting")).to_contain_text(console.colleague, timeout=10_000)
            expect(page.locator("#btn-cancel-transfer")).to_be_visible()
            expect(other.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=15_000)
            # the caller waits on hold for our agent, whose hold and transfer wait for the outcome
            expect(page.locator("#agent-state")).to_have_attribute("data-state", "on_hold", timeout=10_000)
            expect(page.locator("#btn-hold")).to_be_disabled()
            expect(page.locator("#btn-transfer")).to_be_disabled()
            page.screenshot(path=str(screenshots / "consulting.png"))

            page.click("#btn-cancel-transfer")
            expect(page.locator("#btn-cancel-transfer")).to_be_hidden(timeout=10_000)
            expect(other.locator("#agent-state")).not_to_have_attribute(
                "data-state", "talking", timeout=15_000
            )
            # back with the caller, as before the consultation
            expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
            expect(page.locator("#btn-hold")).to_be_enabled()
            page.click("#btn-hangup")
            expect(page.locator("#agent-state")).not_to_have_attribute(
                "data-state", "talking", timeout=10_000
            )
            assert errors == []


def test_a_seat_signing_in_is_named_and_its_call_is_timed_through_hold_and_a_reload(
    console, browser, asterisk
):
    """A supervisor spots a long call: the tile's 通话 timer counts from the answer, where the
    state's restarts on 取回, and a reload of the board keeps it, as it keeps the seat's name."""
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="1", talk="hold")
    errors: list[str] = []
    with (
        contextlib.closing(ami),
        signed_in(browser, console, console.agent, PASSWORD, errors=errors) as agent,
    ):
        expect(agent.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        state = agent.locator("#agent-state")
        expect(state).not_to_have_attribute("data-state", "unknown")
        if state.get_attribute("data-state") in ("ringing", "talking", "on_hold"):
            agent.click("#btn-hangup")  # a call an earlier story left
            expect(state).not_to_have_attribute(
                "data-state", re.compile("ringing|talking|on_hold"), timeout=10_000
            )
        if state.get_attribute("data-state") != "logged_out":
            agent.click("#btn-logout")  # signed in by an earlier story: the board must see it sign in
            expect(state).to_have_attribute("data-state", "logged_out", timeout=10_000)

        with signed_in(browser, console, SUPERVISOR, errors=errors) as boss:
            # the live path names the seat (a seat the bridge knew before is named by the board too)
            named: list[str] = []
            boss.on(
                "websocket",
                lambda ws: ws.on("framereceived", lambda f: named.append(f) if "board_agent" in f else None),
            )
            boss.click("a[href='/wallboard']")
            expect(boss.locator(f"#wb-queues tr[data-queue='{QUEUE}']")).to_be_visible(timeout=10_000)
            tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
            expect(tile).to_have_count(0)

            agent.keyboard.press("F2")  # signs in while the board is open
            expect(tile).to_have_attribute("data-state", "ready", timeout=10_000)
            expect(tile.locator(".top b")).to_have_text(f"测试坐席 {console.agent}", timeout=5_000)
            # the tile may have its name from the board's first data (the bridge knew the seat):
            # the live message can come a moment after it
            for _ in range(50):
                if any(console.agent in f and "测试坐席" in f for f in named):
                    break
                boss.wait_for_timeout(100)
            assert any(console.agent in f and "测试坐席" in f for f in named), named
            expect(tile.locator(".call-timer")).to_have_count(0)

            ami.call_in(QUEUE, demo_phone(6))
            expect(tile).to_have_attribute("data-state", "talking", timeout=15_000)
            expect(tile.locator(".call-duration")).to_contain_text("通话")
            call_timer = tile.locator(".call-timer")
            expect(call_timer).to_have_text(re.compile(r"^00:0[3-9]$"), timeout=10_000)
            agent.click("#btn-hold")
            expect(tile).to_have_attribute("data-state", "on_hold", timeout=10_000)
            agent.click("#btn-hold")  # 取回
            expect(tile).to_have_attribute("data-state", "talking", timeout=10_000)
            # the state's timer starts again, the call's runs on from the answer
            expect(tile.locator(".timer")).to_have_text(re.compile(r"^00:0[0-2]$"))
            expect(call_timer).to_have_text(re.compile(r"^00:(0[4-9]|1\d)$"))
            expect(agent.locator("#call-timer .timer")).to_have_text(re.compile(r"^00:(0[4-9]|1\d)$"))

            boss.reload()
            tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
            expect(tile).to_have_attribute("data-state", "talking", timeout=10_000)
            expect(tile.locator(".top b")).to_have_text(f"测试坐席 {console.agent}")
            expect(tile.locator(".call-timer")).to_have_text(re.compile(r"^00:(0[4-9]|1\d)$"))

            agent.click("#btn-hangup")
            expect(tile).not_to_have_attribute("data-state", "talking", timeout=10_000)
            expect(tile.locator(".call-timer")).to_have_count(0)
            assert errors == []
