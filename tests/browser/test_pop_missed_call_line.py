"""QA #17 on the seat's 最近联系: a call given up in the queue is one line, its 未接来电's (the
pop lists it, not the call beside it: tests/ticketing/test_pop_missed_call_once.py), marked with
the inbox's state of it, so an agent sees whether the customer was called back. The real
template and seat module in Chromium, fed the pop its socket would push; no console process."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import seat_page
from tests.browser.test_console_pop_outages import CALLER, CUSTOMER, _serve

pytestmark = pytest.mark.browser


def _line(kind: str, outcome: str, status: str, at: str) -> dict:
    return {"id": hash(at) % 1000, "kind": kind, "direction": "inbound", "number": CALLER, "occurred_at": at,
            "duration": 0, "status": status, "subject": "", "outcome": outcome, "recording": ""}  # fmt: skip


def test_a_missed_call_is_one_line_with_its_inbox_state(browser):
    ctx, page, errors = seat_page(browser, _serve([]), timezone_id="Asia/Shanghai")
    try:
        interactions = [
            _line("missed_call", "abandoned_queue", "assigned", "2026-11-29T19:59:18+00:00"),
            _line("missed_call", "abandoned_ringing", "handled", "2026-11-29T18:00:00+00:00"),
            _line("call", "answered", "ended", "2026-11-29T17:00:00+00:00"),
        ]
        page.evaluate(
            """([number, customer, interactions]) => window.push("screen_pop", {
                event: { event: "CallOffered", call_id: "c1", agent_id: "1005", direction: "inbound",
                         caller: number, queue: "general" },
                pop: { caller: number, customer, matches: [customer], open_orders: [], interactions } })""",
            [CALLER, CUSTOMER, interactions],
        )
        recent = page.locator("#pop-recent li")
        expect(recent).to_have_count(3)
        expect(recent.nth(0)).to_have_text("2026-11-30 03:59:18 未接来电 排队中放弃（待处理）")
        expect(recent.nth(1)).to_have_text("2026-11-30 02:00:00 未接来电 振铃中放弃（已处理）")
        expect(recent.nth(2)).to_have_text("2026-11-30 01:00:00 通话 已接通")  # a call: no inbox state
        assert errors == []
    finally:
        ctx.close()
