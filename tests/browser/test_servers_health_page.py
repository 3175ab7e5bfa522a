"""The Asterisk servers' health on the screen: a seat whose own server is refused as misconfigured
(its Asterisk reports another systemname) shows 配置错误 with what to do, not just 未连接; the
supervisor's wallboard lists each server (正常 / 未连接 / 配置错误 and why), the header's indicator
the same on hover, both live as a server's link changes. In-process console with a fake bridge of
two servers (no Asterisk)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.agent_ui.test_console_server_health import WRONG, Servers
from tests.browser.conftest import signed_in
from tests.browser.in_process import InProcessConsole, seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


class TwoServersConsole(InProcessConsole):
    """gz up, sz refused as misconfigured (1001's seat is on sz)."""

    async def _start(self) -> None:
        await super()._start()
        from agent_ui.services import SERVICES

        self.services = self.runner.app[SERVICES]
        self.services.bridge = Servers()

    def changed(self, server: str, connected: bool, misconfigured: str = "", reason: str = "") -> None:
        """``server``'s link changes, and its bridge says so on the bus."""
        from cti.call_events import AmiConnectionChanged

        self.services.bridge.bridges[server] = SimpleNamespace(
            connected=connected, misconfigured=misconfigured
        )
        event = AmiConnectionChanged(connected=connected, server=server, reason=misconfigured or reason)
        asyncio.run_coroutine_threadsafe(self.services.bus.publish(event), self.loop).result(10)


@pytest.fixture
def servers_console(tmp_path):
    with seeded_console(tmp_path / "servers.db", demo_only, 1, console=TwoServersConsole) as server:
        yield server


def test_misconfigured_server_in_words_for_its_seat_and_on_the_wallboard(servers_console, browser):
    server = servers_console
    with signed_in(browser, server, "1001") as seat, signed_in(browser, server, "3001") as boss:
        indicator = seat.locator("#ami-status")
        expect(indicator.locator("b")).to_have_text("配置错误", timeout=10_000)
        expect(indicator).to_have_attribute("data-state", "misconfigured")
        expect(indicator).to_have_attribute(
            "title",
            f"您的坐席所在的电话服务器配置错误（其系统名称与配置不符），暂时无法接打电话，请告知班长或管理员。\n{WRONG}",
        )

        boss.goto(f"{server.url}/wallboard")
        strip = boss.locator("#wb-servers")
        expect(strip).to_be_visible(timeout=10_000)
        expect(strip.locator("[data-server=gz] .server-state")).to_have_text("正常")
        sz = strip.locator("[data-server=sz]")
        expect(sz.locator(".server-state")).to_have_text("配置错误")
        expect(sz.locator(".server-reason")).to_have_text(WRONG)
        head = boss.locator("#ami-status")
        expect(head.locator("b")).to_have_text("已连接")  # 3001's own seat is on gz
        expect(head).to_have_attribute("title", f"电话服务器：\ngz：正常\nsz：配置错误（{WRONG}）")

        # sz is put right and gz is lost: both screens follow, live
        server.changed("sz", True)
        server.changed("gz", False, reason="connection refused")
        expect(indicator.locator("b")).to_have_text("已连接")
        expect(sz.locator(".server-state")).to_have_text("正常")
        expect(strip.locator("[data-server=gz] .server-state")).to_have_text("未连接")
        expect(head.locator("b")).to_have_text("未连接")
        expect(head).to_have_attribute("title", "电话服务器：\ngz：未连接\nsz：正常")
