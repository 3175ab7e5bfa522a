"""The wallboard's second round in the real Chromium, against ``hotline serve`` and the real
Asterisk: a board reloaded while a forced 置忙 waits for the seat's call still shows it (the
board's ``forced``) until the call's 话后处理 is over (the server's ``forced_waits_in``), and the
调整技能队列 picker: 移出队列 on the seat's last queue is refused (that is 强制下班)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import QUEUE
from tests.browser.test_wallboard_seat_force import seat_on_the_board
from ticketing.demo import demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]


def test_a_reloaded_board_keeps_a_pending_force_and_the_last_queue_stays(console, browser, asterisk):
    with seat_on_the_board(console, browser, asterisk) as (ami, agent, boss, state, tile, errors):
        # 调整技能队列: the seat's only queue is not taken away (that would be 强制下班)
        boss.locator("#wb-queue-pick").select_option(QUEUE)
        asked: list[str] = []
        # 移出队列 asks first, naming the queue picked above the map (QA: one click took a seat out)
        boss.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        tile.locator("[data-force=seat_queue_remove]").click()
        expect(boss.locator(".toast")).to_have_count(0)  # dismissed: nothing asked of the server
        assert asked and "移出" in asked[0] and console.agent in asked[0], asked
        boss.once("dialog", lambda dialog: dialog.accept())
        tile.locator("[data-force=seat_queue_remove]").click()
        expect(boss.locator(".toast.refused").last).to_contain_text("强制下班", timeout=10_000)
        expect(tile).to_have_attribute("data-state", "ready")

        ami.call_in(QUEUE, demo_phone(5), stay=60)
        expect(tile).to_have_attribute("data-state", "talking", timeout=15_000)
        tile.locator("[data-force=force_pause]").click()
        pending = tile.locator(".forced")
        expect(pending).to_contain_text("通话结束后未就绪（班长置忙）", timeout=10_000)
        boss.reload()  # a board opened afresh: the change still waits for the call
        tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
        pending = tile.locator(".forced")
        expect(tile).to_have_attribute("data-state", "talking", timeout=10_000)
        expect(pending).to_contain_text("通话结束后未就绪（班长置忙）", timeout=10_000)
        agent.click("#btn-hangup")
        expect(tile).to_have_attribute("data-state", "not_ready", timeout=15_000)
        expect(pending).to_be_hidden()
        assert errors == []
