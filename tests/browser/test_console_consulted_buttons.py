"""The colleague consulted (咨询转接, 咨询来电：来自 1001) is not offered 转接 / 咨询转接 / 三方通话 /
保持 on the consultation's leg (QA 2026-11-29 #7): the buttons are greyed and say why on hover,
live and after a reload, until the consulting agent completes the transfer and the caller is
theirs. In the real Chromium from the real template; the socket is a stand-in."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.page_harness import bar_after_snapshot, consultation_answered, consultation_completed

pytestmark = pytest.mark.browser

HANDING_ON = ("#btn-transfer", "#btn-consult", "#btn-conference", "#btn-hold")
WHY = "同事的咨询通话：转接、咨询转接、三方通话和保持由发起咨询的同事操作"


def _greyed_saying_why(page) -> None:
    for button in HANDING_ON:
        expect(page.locator(button)).to_be_disabled()
        expect(page.locator(button)).to_have_attribute("title", WHY)


def _offered(page) -> None:
    for button in HANDING_ON:
        expect(page.locator(button)).to_be_enabled()
        expect(page.locator(button)).not_to_have_attribute("title", WHY)


def test_the_consultation_answered_offers_the_colleague_no_transfer_nor_hold(browser):
    ctx, page, errors = bar_after_snapshot(
        browser, "1005", "ringing", [{"call_id": "c1", "caller": "13100000021"}]
    )
    try:
        consultation_answered(page)
        _greyed_saying_why(page)
        expect(page.locator("#btn-hangup")).to_be_enabled()  # answered, the colleague hangs up
        # completed into a transfer: announced again without consult_from, the caller is 1005's
        consultation_completed(page)
        _offered(page)
        assert errors == []
    finally:
        ctx.close()


def test_a_reload_during_the_consultation_still_offers_none_of_them(browser):
    calls = [
        {
            "call_id": "c1",
            "caller": "13100000021",
            "answered_at": time.time() - 9,
            "consulted": {"1005": "1001"},
        }
    ]
    ctx, page, errors = bar_after_snapshot(browser, "1005", "talking", calls)
    try:
        _greyed_saying_why(page)
        assert errors == []
    finally:
        ctx.close()


def test_the_agents_own_caller_is_offered_them(browser):
    calls = [{"call_id": "c1", "caller": "13100000021", "answered_at": time.time() - 9}]
    ctx, page, errors = bar_after_snapshot(browser, "1005", "talking", calls)
    try:
        _offered(page)
        assert errors == []
    finally:
        ctx.close()
