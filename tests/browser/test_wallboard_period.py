"""The wallboard's queue figures say their period (今日, from the site's midnight) and carry
放弃率, ASA, AHT, a 合计 row and the seats' 占用率, in the real Chromium against ``hotline serve``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]


def test_the_board_names_its_period_and_shows_the_kpis_and_a_total(console, browser):
    with signed_in(browser, console, "3001") as page:
        page.goto(f"{console.url}/wallboard")
        label = page.locator("#wb-period-label")
        expect(label).to_have_text(re.compile(r"^今日（\d{4}-\d\d-\d\d 00:00 起"), timeout=10_000)
        heads = page.locator("#wb-queues thead th")
        expect(heads).to_have_count(11)
        for i, name in ((7, "服务水平"), (8, "放弃率"), (9, "平均应答速度"), (10, "平均处理时长")):
            expect(heads.nth(i)).to_have_text(name)
        total = page.locator("#wb-queues tfoot tr[data-total]")
        expect(total.locator("th")).to_have_text("合计")
        expect(total.locator("td")).to_have_count(10)
        # every figure of the total row is a number, a share or a time, or — while there is none
        offered = total.locator("td").nth(3)
        expect(offered).to_have_text(re.compile(r"^\d+$"))
        expect(total.locator("td").nth(7)).to_have_text(re.compile(r"^(\d+\.\d%|—)$"))
        expect(page.locator("#wb-occupancy")).to_have_text(re.compile(r"^(\d+\.\d%|—)$"))
