"""A caller a colleague handed on pops on the seat saying so (QA 2026-11-29 #9): 转接自 1001（潘红）
with the time, live (the ring's ``transferred_from``), after 完成转接 of a consultation (whose pop
said 咨询来电) and after a reload (the call's snapshot), but not on the seat of whoever handed the
caller on. The real template and seat module in Chromium, fed what its socket would push; no
console process and no Asterisk."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import ORIGIN, seat_page
from tests.browser.test_console_keyboard_and_labels import _serve as serve_seat

pytestmark = pytest.mark.browser
CALLER = "13700000007"
HANDED_ON = re.compile(r"^转接自 1001（潘红），\d{2}:\d{2}:\d{2} 转入$")


# 信息咨询 with its customer's words (咨询内容: ``customer: description``), where a 转接备注 goes
INTAKE = {
    "categories": [
        {
            "name": "信息咨询",
            "code": "consult",
            "workflow": "consult",
            "fields": [{"name": "咨询内容", "type": "textarea", "customer": "description"}],
            "subcategories": [],
        }
    ],
    "phrases": [],
}


def _serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/api/colleagues":
        route.fulfill(
            json={"items": [{"agent_id": "1001", "name": "潘红", "state": "after_call_work", "reason": ""}]}
        )
    elif path == "/api/intake":
        route.fulfill(json=INTAKE)
    else:
        serve_seat(route)


def test_a_blind_transfer_pops_saying_who_handed_the_caller_on(browser):
    ctx, page, errors = seat_page(browser, _serve, "1005", {"state": "ready"}, [])
    try:
        page.evaluate(
            """([number, at]) => window.push("screen_pop", {
                event: { event: "CallOffered", call_id: "c1", agent_id: "1005", direction: "inbound",
                         caller: number, queue: "general", transferred_from: "1001", transferred_at: at },
                pop: { matches: [] } })""",
            [CALLER, time.time() - 4],
        )
        expect(page.locator("#pop-caller")).to_have_text(CALLER)
        expect(page.locator("#pop-transferred")).to_have_text(HANDED_ON)
        expect(page.locator("#intake-caller")).to_have_value(CALLER)  # theirs: the form takes them
        assert errors == []
    finally:
        ctx.close()


def test_a_completed_consultation_pops_as_handed_on_by_the_agent_who_asked(browser):
    ctx, page, errors = seat_page(browser, _serve, "1005", {"state": "ready"}, [])
    try:
        page.evaluate(
            """(number) => {
                window.push("screen_pop", {
                    event: { event: "CallOffered", call_id: "c1", agent_id: "1005", direction: "inbound",
                             caller: number, queue: "general", consult_from: "1001" },
                    pop: { matches: [] } });
                window.push("agent_state", { event: { agent_id: "1005", state: "talking", call_id: "c1" } });
                window.push("call", { event: { event: "CallAnswered", call_id: "c1", agent_id: "1005",
                                               answered_at: 5, consult_from: "1001" } });
            }""",
            CALLER,
        )
        expect(page.locator("#pop-title")).to_have_text("咨询来电：来自 1001")
        expect(page.locator("#pop-transferred")).to_have_count(0)  # a question, nobody handed on yet
        page.evaluate(
            """(at) => window.push("call", { event: { event: "CallAnswered", call_id: "c1", agent_id: "1005",
                                                      answered_at: 5, transferred_from: "1001", transferred_at: at } })""",
            time.time(),
        )
        expect(page.locator("#pop-title")).to_have_text("来电信息")
        expect(page.locator("#pop-transferred")).to_have_text(HANDED_ON)
        assert errors == []
    finally:
        ctx.close()


def _call(**more) -> dict:
    now = time.time()
    return {"call_id": "c1", "direction": "inbound", "caller": CALLER, "queue": "general", "agent_id": "1005",
            "answered_at": now - 30, "transferred_from": "1001", "transferred_at": now - 20, **more}  # fmt: skip


def test_a_reload_still_says_it_but_not_on_the_seat_that_handed_the_caller_on(browser):
    ctx, page, errors = seat_page(browser, _serve, "1005", {"state": "talking", "call_id": "c1"}, [_call()])
    try:
        expect(page.locator("#pop-transferred")).to_have_text(HANDED_ON)
        assert errors == []
    finally:
        ctx.close()
    wrapping_up = _call(agent_id="1001", ended=True)
    ctx, page, errors = seat_page(
        browser, _serve, "1001", {"state": "after_call_work", "call_id": "c1"}, [wrapping_up]
    )
    try:
        expect(page.locator("#pop-caller")).to_have_text(CALLER)
        expect(page.locator("#pop-transferred")).to_have_count(0)
        assert errors == []
    finally:
        ctx.close()


NOTE = "客户说电表一直跳闸，户号 0301234567"
WORDS_FIELD = "#intake-咨询内容"


def _pop(page, call_id: str, **more) -> None:
    page.evaluate(
        """([callId, number, more]) => window.push("screen_pop", {
            event: { event: "CallOffered", call_id: callId, agent_id: "1005", direction: "inbound",
                     caller: number, queue: "general", ...more },
            pop: { matches: [] } })""",
        [call_id, CALLER, more],
    )


def test_the_transfer_note_shows_under_who_and_goes_in_the_form_until_the_next_call(browser):
    ctx, page, errors = seat_page(browser, _serve, "1005", {"state": "ready"}, [])
    try:
        _pop(page, "c1", transferred_from="1001", transferred_at=time.time() - 4, transfer_note=NOTE)
        expect(page.locator("#pop-transferred")).to_have_text(HANDED_ON)
        expect(page.locator("#pop-transfer-note")).to_have_text(f"转接备注：{NOTE}")
        expect(page.locator(WORDS_FIELD)).to_have_value(NOTE)  # put in, theirs to edit
        # never typed over, it is not the next caller's words
        _pop(page, "c2")
        expect(page.locator("#pop-transfer-note")).to_have_count(0)
        expect(page.locator(WORDS_FIELD)).to_have_value("")
        # what the agent typed stays as typed: a note does not replace it
        page.fill(WORDS_FIELD, "客户自己说的")
        _pop(page, "c3", transferred_from="1001", transferred_at=time.time(), transfer_note=NOTE)
        expect(page.locator("#pop-transfer-note")).to_have_text(f"转接备注：{NOTE}")
        expect(page.locator(WORDS_FIELD)).to_have_value("客户自己说的")
        assert errors == []
    finally:
        ctx.close()


def test_a_consultations_ring_shows_no_note(browser):
    ctx, page, errors = seat_page(browser, _serve, "1005", {"state": "ready"}, [])
    try:
        _pop(page, "c1", consult_from="1001", transfer_note=NOTE)
        expect(page.locator("#pop-title")).to_have_text("咨询来电：来自 1001")
        expect(page.locator("#pop-transfer-note")).to_have_count(0)
        expect(page.locator(WORDS_FIELD)).to_have_value("")
        assert errors == []
    finally:
        ctx.close()
