"""The wallboard's seat actions in the real Chromium, against ``hotline serve`` and the real
Asterisk: a supervisor clicks 置忙 on a ready seat's tile (the seat goes 未就绪 · 班长置忙, the
agent's state bar says who did it), then 强制下班 (confirmed; the seat leaves the board, the agent
is told); a team leader sees no actions on a seat outside their team; and 结束话后处理 on a seat whose
话后处理 an unsaved intake form holds past its limit."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.ami_line import AmiLine
from tests.browser.conftest import PASSWORD, QUEUE
from tests.browser.test_console_story import VIEWPORT, fill_fault_order, sign_in
from ticketing.demo import DEMO_PASSWORD, demo_phone

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]
SUPERVISOR = "3001"  # the demo's 质检 supervisor: every seat
TEAM_LEADER = "2001"  # the demo's 班长: the demo agents (1001–1006), not the story's seat
ACW_SECONDS = 2  # this module's console: each call is written up for at most 2 s, unless a form holds it


def ready_on_the_board(console, agent, boss) -> tuple[Locator, Locator]:
    """The story's seat signed in on ``agent`` and 就绪 (F2), and the supervisor's wallboard on
    ``boss`` showing its tile ready: (the seat's state, its tile)."""
    sign_in(agent, console.url, console.agent, PASSWORD)
    expect(agent.locator("#ami-status")).to_have_attribute("data-connected", "true", timeout=10_000)
    state = agent.locator("#agent-state")
    expect(state).not_to_have_attribute("data-state", "unknown", timeout=10_000)
    agent.keyboard.press("F2")
    expect(state).to_have_attribute("data-state", "ready", timeout=10_000)
    sign_in(boss, console.url, SUPERVISOR, DEMO_PASSWORD)
    boss.goto(f"{console.url}/wallboard")
    tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
    expect(tile).to_have_attribute("data-state", "ready", timeout=10_000)
    return state, tile


class SeatOnTheBoard(NamedTuple):
    ami: AmiLine
    agent: Page  # the story's seat's console
    boss: Page  # the supervisor's wallboard
    state: Locator  # the seat's state on its console
    tile: Locator  # its tile on the wallboard
    errors: list[str]  # both pages' uncaught script errors, for the story to assert none


@contextlib.contextmanager
def seat_on_the_board(console, browser, asterisk) -> Iterator[SeatOnTheBoard]:
    """The wallboard stories' set-up: the story's seat (its phone answers after one ring, then
    holds; its queue emptied) ready on one page and its tile on the supervisor's wallboard on
    another (``ready_on_the_board``); the pages and the AMI line closed after."""
    ami = AmiLine(asterisk)
    ami.clear_queue(QUEUE)
    ami.phone(console.agent, ring="1", talk="hold")
    contexts = [browser.new_context(viewport=VIEWPORT, locale="zh-CN") for _ in range(2)]
    errors: list[str] = []
    try:
        agent, boss = (ctx.new_page() for ctx in contexts)
        for page in (agent, boss):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        state, tile = ready_on_the_board(console, agent, boss)
        yield SeatOnTheBoard(ami, agent, boss, state, tile, errors)
    finally:
        for ctx in contexts:
            ctx.close()
        ami.close()


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
        # 监听 / 耳语 / 强插 are the supervisors': a team leader's board draws none, on any seat
        expect(leader_tile.locator(".spy")).to_be_hidden()
        expect(leader.locator("#wb-seats [data-spy]")).to_have_count(0)

        sign_in(boss, console.url, SUPERVISOR, DEMO_PASSWORD)
        boss.click("a[href='/wallboard']")
        tile = boss.locator(f"#wb-seats .seat[data-agent='{console.agent}']")
        expect(tile).to_have_attribute("data-state", "ready", timeout=10_000)
        expect(tile.locator(".force")).to_be_visible()
        expect(tile.locator("[data-spy=listen]")).to_be_visible()
        expect(boss.locator("#wb-force-reason")).to_have_value("班长置忙")
        expect(tile.locator("[data-force=force_acw_end]")).to_have_attribute("aria-disabled", "true")
        boss_name = re.split(r"\s*[（(]", boss.locator(".who .user").inner_text())[0].strip()  # 名字（工号）

        tile.locator("[data-force=force_pause]").click()
        expect(tile).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(tile.locator("small")).to_have_text("班长置忙")
        expect(agent.locator("#agent-state")).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(agent.locator("#state-reason")).to_have_text("班长置忙")
        notice = agent.locator("#forced-notice")
        expect(notice).to_be_visible(timeout=10_000)
        expect(notice.locator(".text")).to_have_text(f"质量监控员 {boss_name} 将您置为未就绪（班长置忙）")

        # 强制下班, confirmed in the browser's dialog: the seat leaves its queues and the board
        boss.once("dialog", lambda dialog: dialog.accept())
        tile.locator("[data-force=force_sign_out]").click()
        expect(tile).to_have_count(0, timeout=10_000)
        expect(agent.locator("#agent-state")).to_have_attribute("data-state", "logged_out", timeout=10_000)
        expect(notice.locator(".text")).to_have_text(f"质量监控员 {boss_name} 已将您强制下班")
        notice.locator("button").click()
        expect(notice).to_be_hidden()
        assert errors == []
    finally:
        for ctx in contexts:
            ctx.close()
        ami.close()


def test_a_supervisor_ends_the_after_call_work_an_unsaved_form_holds(console, browser, asterisk, screenshots):
    """置忙 during a call waits for it (the tile says so); the agent then leaves the intake form
    unsaved (an abandoned tab): the seat stays in 话后处理 past its limit, out of every queue, until
    the supervisor clicks 结束话后处理 on its tile, and goes to the break it was set to."""
    with seat_on_the_board(console, browser, asterisk) as (ami, agent, boss, state, tile, errors):
        ami.call_in(QUEUE, demo_phone(4), stay=60)
        expect(state).to_have_attribute("data-state", "talking", timeout=15_000)
        expect(tile).to_have_attribute("data-state", "talking", timeout=10_000)
        boss_name = re.split(r"\s*[（(]", boss.locator(".who .user").inner_text())[0].strip()  # 名字（工号）
        tile.locator("[data-force=force_pause]").click()
        pending = tile.locator(".forced")
        expect(pending).to_have_text(f"质量监控员 {boss_name}：通话结束后未就绪（班长置忙）", timeout=10_000)
        expect(agent.locator("#forced-notice .text")).to_have_text(
            f"质量监控员 {boss_name} 将您置为未就绪（班长置忙）：本次通话结束后生效", timeout=10_000
        )
        expect(state).to_have_attribute("data-state", "talking")  # the caller is not cut off
        boss.screenshot(path=str(screenshots / "wallboard-seat-actions.png"))
        agent.screenshot(path=str(screenshots / "seat-forced-notice.png"))
        agent.click("#btn-hangup")
        expect(state).to_have_attribute("data-state", "after_call_work", timeout=10_000)
        in_acw = time.monotonic()  # the limit's clock started before the page showed 话后处理
        fill_fault_order(agent, opinion="未保存")
        expect(agent.locator("#intake-held")).to_be_visible()
        past_the_limit = in_acw + ACW_SECONDS + 2  # 2 s past it
        agent.wait_for_timeout(max(0.0, 1000 * (past_the_limit - time.monotonic())))
        expect(state).to_have_attribute("data-state", "after_call_work")
        expect(tile).to_have_attribute("data-state", "after_call_work")

        end = tile.locator("[data-force=force_acw_end]")
        expect(end).not_to_have_attribute("aria-disabled", "true")
        end.click()
        expect(tile).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(tile.locator("small")).to_have_text("班长置忙")
        expect(pending).to_be_hidden()
        expect(state).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(agent.locator("#forced-notice .text")).to_contain_text("结束了您的话后处理", timeout=10_000)
        expect(agent.locator("#intake-opinion")).to_have_value("未保存")  # the form keeps its input
        expect(end).to_have_attribute("aria-disabled", "true")
        assert errors == []
