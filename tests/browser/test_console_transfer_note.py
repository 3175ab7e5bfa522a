"""转接备注 in the real Chromium against the real console and the real Asterisk: the agent on a
call types the customer's words in the intake form and transfers the caller to a colleague; the
transfer dialog's 转接备注 starts from those words, the agent adds to it, and the colleague's pop
says 转接备注：… under 转接自 while their intake form's customer's-words field holds it, so the
caller does not have to say it all again. A note over the limit keeps the dialog open saying so."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
WORDS = "我家电表昨天开始一直跳闸，户号 0301234567"
ADDED = "，已核实户号"
CALLER = "13911113333"
WORDS_FIELD = '#intake-fields [data-kept-as="customer:description"]'


def _ready(page) -> None:
    expect(page.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
    page.keyboard.press("F2")
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)


def test_the_customers_words_go_with_the_caller_to_the_colleague(console, browser, asterisk):
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)  # only our seats may take the call
    ami.phone(console.agent, ring="1", talk="hold")
    ami.phone(console.colleague, ring="1", talk="hold")
    with (
        contextlib.closing(ami),
        signed_in(browser, console, console.agent, PASSWORD) as page,
        signed_in(browser, console, console.colleague, PASSWORD) as colleague,
    ):
        _ready(page)
        # the colleague signs in and takes a break, so the queue's call is the agent's
        _ready(colleague)
        colleague.keyboard.press("F3")
        expect(colleague.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)

        ami.call_in(QUEUE, CALLER)
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=15_000)
        page.select_option("#intake-category", label="用户信息查询")
        page.fill("#intake-咨询内容", WORDS)
        colleague.keyboard.press("F2")  # back from the break: ready for the transfer
        expect(colleague.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)

        page.click("#btn-transfer")
        note = page.locator("#xfer-note")
        expect(note).to_have_value(WORDS)  # started from the form's words
        expect(page.locator("#xfer-note-hint")).to_contain_text("最多 500 字")
        page.fill("#xfer-target", console.colleague)
        # over the limit: not sent, the dialog says why and stays open
        note.fill("停" * 501)
        page.click("#xfer-ok")
        assert "转接备注不能超过 500 字（现有 501 字）" in note.evaluate("(n) => n.validationMessage")
        expect(page.locator("#xfer-dialog")).to_be_visible()
        expect(page.locator("#agent-state")).to_have_attribute("data-state", "talking")
        note.fill(WORDS + ADDED)
        page.click("#xfer-ok")
        expect(page.locator("#xfer-dialog")).to_be_hidden()

        # the colleague's phone rings and answers: the pop says who handed the caller on, and what
        # they wrote; the form holds it, theirs to go on with
        expect(colleague.locator("#pop-caller")).to_have_text(CALLER, timeout=15_000)
        expect(colleague.locator("#pop-transferred")).to_have_text(re.compile(rf"^转接自 {console.agent}"))
        expect(colleague.locator("#pop-transfer-note")).to_have_text(f"转接备注：{WORDS}{ADDED}")
        expect(colleague.locator("#agent-state")).to_have_attribute("data-state", "talking", timeout=10_000)
        expect(colleague.locator(WORDS_FIELD)).to_have_value(f"{WORDS}{ADDED}")
        expect(colleague.locator("#intake-caller")).to_have_value(CALLER)
        # a reload of the colleague's console says it again (the call's snapshot)
        colleague.reload()
        expect(colleague.locator("#pop-transfer-note")).to_have_text(
            f"转接备注：{WORDS}{ADDED}", timeout=10_000
        )
        expect(colleague.locator(WORDS_FIELD)).to_have_value(f"{WORDS}{ADDED}")

        colleague.keyboard.press("-")  # hang up
        expect(colleague.locator("#agent-state")).not_to_have_attribute(
            "data-state", "talking", timeout=10_000
        )
