"""The screen-pop words a bill's check in the IVR (ivr/selfservice.py BILL_CHECK): a bill read after
the last four digits of the account's phone, one not read (wrong answers, or no phone on the
account: why the caller is at the seat), never "account not found" as before; and a 停电查询 by
the caller's own number that found no one area registered for it, never "停电信息 no_home_area 条";
in the real Chromium on the real Asterisk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import QUEUE
from tests.browser.test_console_reload import ami, ready_seat  # noqa: F401 (ami: a fixture)
from tests.browser.test_console_story import VIEWPORT
from ticketing.demo import demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]


def test_the_pop_says_how_the_bill_was_checked(console, browser, ami):  # noqa: F811
    ami.phone(console.agent, ring="never", talk="hold")
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    try:
        ready_seat(page, console)
        caller = demo_phone(8)
        ami.call_in(
            QUEUE, caller, stay=30, ivr_path="bill:verified/bill:found/bill:unverifiable/outage:no_home_area"
        )
        expect(page.locator("#pop-caller")).to_have_text(caller, timeout=15_000)
        expect(page.locator("#pop-ivr")).to_have_text(
            "已核对户号登记电话后四位 → 已查到电费 → 户号未登记电话，未读出 → 本机号码未登记用电地址，未查停电"
        )
    finally:
        ctx.close()
