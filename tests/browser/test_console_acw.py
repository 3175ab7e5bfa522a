"""After-call work (话后处理) on the seat page, in the real Chromium on the real Asterisk: the call
that ended stays on the screen (the pop and the intake form, through a reload and the language
switch) until the agent is done; unsaved input keeps ACW past its limit, and a call that pops
anyway does not take over the form written for the one before."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import QUEUE
from tests.browser.test_console_reload import DRAFTS, IVR, ami, ready_seat  # noqa: F401 (ami: a fixture)
from tests.browser.test_console_story import VIEWPORT, fill_fault_order
from ticketing.demo import demo_account_no, demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
ACW_SECONDS = 4  # this module's console: each call is written up for at most 4 s


def test_the_call_being_written_up_stays_on_the_seat_and_keeps_its_form(console, browser, ami):  # noqa: F811
    ami.phone(console.agent, ring="1", talk="hold")
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        ready_seat(page, console)
        first = demo_phone(5)
        ami.call_in(QUEUE, first, stay=60, ivr_path="top:6/faults:1")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=15_000)
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(5)))
        page.click("#btn-hangup")
        state = page.locator("#agent-state")
        expect(state).to_have_attribute("data-state", "after_call_work", timeout=10_000)
        in_acw = time.monotonic()  # the limit's clock started before the page showed 话后处理
        # after the call: a break or 下班 may end the write-up
        expect(page.locator("#btn-pause")).to_be_enabled()
        expect(page.locator("#btn-logout")).to_be_enabled()

        # a reload in ACW: the call that ended, as it popped, with the form's number and customer
        page.reload()
        expect(page.locator("#pop-caller")).to_have_text(first, timeout=10_000)
        expect(page.locator("#pop-body")).to_have_attribute("data-ended", "true")
        expect(page.locator("#pop-ivr")).to_have_text(IVR)
        expect(page.locator("#pop-account")).to_have_text(demo_account_no(5))
        expect(page.locator("#pop-empty")).to_be_hidden()
        expect(page.locator("#intake-caller")).to_have_value(first)
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(5)))
        # the call just ended is among the recent contacts, its outcome in words
        expect(page.locator("#pop-recent")).to_contain_text("通话 已接通")
        expect(page.locator("#pop-recent")).not_to_contain_text("answered")

        # unsaved input: ACW goes on past its limit, and the seat says why
        fill_fault_order(page, opinion="已安抚客户")
        expect(page.locator("#intake-held")).to_be_visible()
        page.click("form[action='/lang'] button")  # English: the page reloads
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#pop-caller")).to_have_text(first, timeout=10_000)
        expect(page.locator("#intake-opinion")).to_have_value("已安抚客户", timeout=10_000)
        expect(page.locator("#intake-故障名称")).to_have_value("整栋楼停电")
        expect(page.locator("#pop-recent")).to_contain_text("Call Answered")
        page.click("form[action='/lang'] button")  # and back to Chinese
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("#intake-opinion")).to_have_value("已安抚客户", timeout=10_000)
        expect(page.locator("#intake-held")).to_be_visible()
        reloaded = time.monotonic()
        # 2 s past the limit, and past the let-go of the last reload's old page (its socket's end)
        page.wait_for_timeout(1000 * max(in_acw + ACW_SECONDS + 2, reloaded + 1.5) - 1000 * time.monotonic())
        expect(state).to_have_attribute("data-state", "after_call_work")

        # the next caller waits; the agent makes the seat ready by hand and the call pops, but the
        # form stays the first call's until it is saved
        second = "13911114444"
        ami.call_in(QUEUE, second, stay=60)
        page.keyboard.press("F2")
        expect(page.locator("#pop-caller")).to_have_text(second, timeout=15_000)
        expect(page.locator("#intake-pending")).to_contain_text(first)
        expect(page.locator("#intake-caller")).to_have_value(first)
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(5)))
        expect(page.locator("#intake-opinion")).to_have_value("已安抚客户")
        page.click("#intake-pending-save")
        link = page.locator("#intake-saved-link")
        expect(link).to_have_text(re.compile(r"^GZ\d{13}$"), timeout=10_000)
        order = page.evaluate(f"fetch('/api/orders/{link.inner_text()}').then((r) => r.json())")
        assert order["caller_number"] == first, order
        # saved: the form is the current call's now
        expect(page.locator("#intake-pending")).to_be_hidden()
        expect(page.locator("#intake-caller")).to_have_value(second)
        expect(page.locator("#intake-customer")).to_have_value("")
        expect(page.locator("#intake-opinion")).to_have_value("")
        assert page.evaluate(DRAFTS) == []

        # the second call is written up and done with, nothing typed: ACW ends by its limit
        expect(state).to_have_attribute("data-state", "talking", timeout=10_000)
        page.click("#btn-hangup")
        expect(state).to_have_attribute("data-state", "after_call_work", timeout=10_000)
        expect(page.locator("#intake-held")).to_be_hidden()
        expect(state).to_have_attribute("data-state", "ready", timeout=(ACW_SECONDS + 4) * 1000)
        page.reload()  # done with: no pop any more
        expect(state).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(page.locator("#pop-empty")).to_be_visible()
        assert errors == []
    finally:
        ctx.close()
