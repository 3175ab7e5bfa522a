"""The seat page reloaded mid-call, in the real Chromium on the real Asterisk: a reload while the
phone rings pops the same call with its answer / reject controls, an offer that ended (rejected,
or the caller hung up while it rang) leaves the seat at once and is not popped again, and the
language switch (which reloads the page) keeps the intake form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE
from tests.browser.test_console_story import VIEWPORT, fill_fault_order, sign_in
from ticketing.demo import demo_account_no, demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
IVR = "主菜单：按 6 故障报修菜单 → 故障报修菜单：按 1 转人工（故障报修）"
DRAFTS = "Object.keys(sessionStorage).filter((k) => k.startsWith('hotline.intake-draft:'))"


@pytest.fixture
def ami(asterisk):
    line = AmiLine(asterisk)
    line.clear_queue(QUEUE)  # only our seat may take the stories' calls
    yield line
    # no caller of a story waits on in the queue for the next one
    line.action("Hangup", Channel=f"/^Local\\/{QUEUE}@hotline-queue-/")
    line.close()


def ready_seat(page, console) -> None:
    sign_in(page, console.url, console.agent, PASSWORD)
    expect(page.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
    expect(page.locator("#intake-category")).to_be_visible()
    page.keyboard.press("F2")
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)


def test_a_reload_while_the_phone_rings_shows_the_same_pop_and_an_ended_offer_none(console, browser, ami):
    ami.phone(console.agent, ring="never", talk="hold")  # it rings until the queue's timeout (5 s)
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        ready_seat(page, console)
        caller = demo_phone(7)
        ami.call_in(QUEUE, caller, stay=45, ivr_path="top:6/faults:1")
        expect(page.locator("#pop-caller")).to_have_text(caller, timeout=15_000)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ringing")

        page.reload()
        # the same pop: the caller, the known customer, the IVR path in words, the wait running on
        expect(page.locator("#pop-caller")).to_have_text(caller, timeout=5_000)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ringing")
        expect(page.locator("#pop-ivr")).to_have_text(IVR)
        expect(page.locator("#pop-account")).to_have_text(demo_account_no(7))
        expect(page.locator("#pop-waited")).to_have_text(re.compile(r"^等待 \d+ 秒$"))
        assert page.locator("#pop-body").get_attribute("data-answered") is None
        # and the controls of a ringing phone: answer, or reject by hanging up; nothing of a call
        expect(page.locator("#btn-answer")).to_be_enabled()
        expect(page.locator("#btn-hangup")).to_be_enabled()
        expect(page.locator("#btn-hold")).to_be_disabled()

        page.click("#btn-hangup")  # rejected (or, a moment later, the queue's ring timeout)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)
        # the caller still waits in the queue, but this seat's offer is over: its pop goes at once,
        # and none comes back after a reload
        expect(page.locator("#pop-empty")).to_be_visible()
        expect(page.locator("#pop-body")).to_be_hidden()
        page.reload()
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(page.locator("#pop-empty")).to_be_visible()
        expect(page.locator("#pop-body")).to_be_hidden()

        # ready again, the waiting caller rings the seat once more and hangs up while it rings:
        # the pop goes without a reload, and the form is not left about that caller
        page.keyboard.press("F2")
        expect(page.locator("#pop-caller")).to_have_text(caller, timeout=10_000)
        expect(page.locator("#intake-caller")).to_have_value(caller)
        ami.action("Hangup", Channel=f"/^Local\\/{QUEUE}@hotline-queue-/")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(page.locator("#pop-empty")).to_be_visible()
        expect(page.locator("#pop-body")).to_be_hidden()
        expect(page.locator("#intake-caller")).to_have_value("")
        assert errors == []
    finally:
        ctx.close()


def test_switching_the_language_mid_call_keeps_the_intake_form_for_that_call_only(console, browser, ami):
    ami.phone(console.agent, ring="1", talk="hold")
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        ready_seat(page, console)
        caller = demo_phone(11)
        ami.call_in(QUEUE, caller, stay=60)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=15_000)
        expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(11)))

        fill_fault_order(page, opinion="已安抚客户")
        subcategory = page.locator("#intake-subcategory").input_value()

        def the_form_as_typed() -> None:
            expect(page.locator("#intake-category option:checked")).to_have_text("故障报修", timeout=10_000)
            expect(page.locator("#intake-subcategory")).to_have_value(subcategory)
            expect(page.locator("#intake-故障名称")).to_have_value("整栋楼停电")
            expect(page.locator("#intake-故障地址")).to_have_value("广州市天河区中山路 1 号 3 栋")
            expect(page.locator("#intake-所属供电局")).to_have_value("440100")
            expect(page.locator("#intake-客户描述故障信息")).to_have_value("明天 9:00 前来")
            expect(page.locator("#intake-opinion")).to_have_value("已安抚客户")
            expect(page.locator("#intake-caller")).to_have_value(caller)
            expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(11)))

        page.click("form[action='/lang'] button")  # English: the page reloads
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#agent-state")).to_have_text("Talking", timeout=10_000)
        expect(page.locator("#pop-caller")).to_have_text(caller)
        the_form_as_typed()
        page.click("form[action='/lang'] button")  # and back to Chinese
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        the_form_as_typed()

        # taken in: the draft is gone, a reload starts the form afresh
        page.click("#intake-save-close")
        expect(page.locator("#intake-saved-link")).to_have_text(re.compile(r"^GZ\d{13}$"), timeout=10_000)
        assert page.evaluate(DRAFTS) == []
        page.reload()
        expect(page.locator("#pop-caller")).to_have_text(caller, timeout=10_000)
        expect(page.locator("#intake-category option:checked")).not_to_have_text("故障报修")
        expect(page.locator("#intake-opinion")).to_have_value("")

        # typed for this call but never saved: the next call does not take it over, nor the next user
        page.fill("#intake-opinion", "上一通电话的草稿")
        assert len(page.evaluate(DRAFTS)) == 1
        page.click("#btn-hangup")
        expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "talking", timeout=10_000)
        page.keyboard.press("F2")
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)
        other = "13911113333"
        ami.call_in(QUEUE, other, stay=60)
        expect(page.locator("#pop-caller")).to_have_text(other, timeout=15_000)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)

        def the_form_of_the_last_call() -> None:
            # its number, its customer and what was typed, under a banner naming that call
            expect(page.locator("#intake-pending")).to_contain_text(caller, timeout=10_000)
            expect(page.locator("#intake-caller")).to_have_value(caller)
            expect(page.locator("#intake-customer")).to_have_value(re.compile(demo_account_no(11)))
            expect(page.locator("#intake-opinion")).to_have_value("上一通电话的草稿")

        the_form_of_the_last_call()
        page.reload()
        expect(page.locator("#pop-caller")).to_have_text(other, timeout=10_000)
        the_form_of_the_last_call()
        page.click("#intake-pending-clear")  # 清空 (asked first): now the form is the current call's
        page.click("#intake-reset-yes")
        expect(page.locator("#intake-pending")).to_be_hidden()
        expect(page.locator("#intake-caller")).to_have_value(other)
        expect(page.locator("#intake-customer")).to_have_value("")
        expect(page.locator("#intake-opinion")).to_have_value("")
        assert page.evaluate(DRAFTS) == []
        page.fill("#intake-opinion", "这通电话的草稿")
        assert len(page.evaluate(DRAFTS)) == 1
        # 退出 during the call is refused on the page itself: the pop, the form and its draft stay
        page.click("#logout-form button")
        expect(page.locator(".toast.refused").last).to_contain_text("通话中不能下班或退出")
        expect(page).to_have_url(f"{console.url}/")
        expect(page.locator("#pop-caller")).to_have_text(other)
        expect(page.locator("#intake-opinion")).to_have_value("这通电话的草稿")
        assert len(page.evaluate(DRAFTS)) == 1
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        page.click("#btn-hangup")  # no one signs out during a call
        expect(page.locator("#agent-state")).not_to_have_attribute("data-state", "talking", timeout=10_000)
        page.click("#logout-form button")
        expect(page).to_have_url(re.compile(r"/login"), timeout=10_000)
        assert page.evaluate(DRAFTS) == []
        assert errors == []
    finally:
        ctx.close()
