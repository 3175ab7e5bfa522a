"""The wallboard's seat actions in the real Chromium, against ``hotline serve`` and the real
Asterisk: a supervisor clicks 置忙 on a ready seat's tile (the seat goes 未就绪 · 班长置忙, the
agent's state bar says who did it), then 强制下班 (confirmed; the seat leaves the board, the agent
is told); a team leader sees no actions on a seat outside their team."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE
from tests.browser.test_console_story import VIEWPORT, sign_in
from ticketing.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
SUPERVISOR = "3001"  # the demo's 质检 supervisor: every seat
TEAM_LEADER = "2001"  # the demo's 班长: the demo agents (1001–1006), not the story's seat


def test_a_supervisor_sets_a_seat_not_ready_and_signs_it_out_from_its_tile(console, browser, asterisk):
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="1", talk="hold")
    contexts = [browser.new_context(viewport=VIEWPORT, locale="zh-CN") for _ in range(3)]
    errors: list[str] = []
    try:
        agent, boss, leader = (ctx.new_page() for ctx in contexts)
        for page in (agent, boss, leader):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(agent, console.url, console.agent, PASSWORD)
        expect(agent.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
        agent.keyboard.press("F2")
        expect(agent.locator("#agent-state")).to_have_attribute("data-state", "ready", timeout=10_000)

        sign_in(leader, console.url, TEAM_LEADER, DEMO_PASSWORD)
        leader.goto(f"{console.url}/wallboard")
        leader_tile = leader.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
        expect(leader_tile).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(leader_tile.locator(".force")).to_be_hidden()  # not their team's seat

        sign_in(boss, console.url, SUPERVISOR, DEMO_PASSWORD)
        boss.click("a[href='/wallboard']")
        tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
        expect(tile).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(tile.locator(".force")).to_be_visible()
        expect(boss.locator("#wb-force-reason")).to_have_value("班长置忙")
        expect(tile.locator("[data-force=force_acw_end]")).to_have_attribute("aria-disabled", "true")
        boss_name = boss.locator(".who .user").inner_text().split(" (")[0].strip()

        tile.locator("[data-force=force_pause]").click()
        expect(tile).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(tile.locator("small")).to_have_text("班长置忙")
        expect(agent.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(agent.locator("#state-reason")).to_have_text("班长置忙")
        notice = agent.locator("#forced-notice")
        expect(notice).to_be_visible(timeout=10_000)
        expect(notice.locator(".text")).to_have_text(f"质量监控员 {boss_name} 将你置为未就绪（班长置忙）")

        # 强制下班, confirmed in the browser's dialog: the seat leaves its queues and the board
        boss.once("dialog", lambda dialog: dialog.accept())
        tile.locator("[data-force=force_sign_out]").click()
        expect(tile).to_have_count(0, timeout=10_000)
        expect(agent.locator("#agent-state")).to_have_attribute("data-state", "logged_out", timeout=10_000)
        expect(notice.locator(".text")).to_have_text(f"质量监控员 {boss_name} 已将你强制下班")
        notice.locator("button").click()
        expect(notice).to_be_hidden()
        assert errors == []
    finally:
        for ctx in contexts:
            ctx.close()
        ami.close()
