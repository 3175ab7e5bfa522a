"""The ACW hold belongs to the tab whose intake form has unsaved input (QA F5): a tab closed for
good (a crash, the browser closed, another PC) releases it, so the seat's 话后处理 ends by its
limit instead of keeping it out of every queue indefinitely; a reload, whose new page takes the
hold over from its draft, does not; and a console opened meanwhile says why the seat is held."""

from __future__ import annotations

import asyncio

import pytest

import agent_ui.gateway
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.mirror import BridgeMirror
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next


class HoldingBridge(BridgeMirror):
    """The console's bridge, noting the ACW holds it is asked for."""

    connected = True

    def __init__(self, bus) -> None:
        super().__init__(bus)
        self.holds: list[tuple[str, str, bool]] = []

    async def hold_after_call_work(self, agent_id: str, call_id: str, hold: bool) -> dict:
        self.holds.append((agent_id, call_id, hold))
        return {"held": hold}


@pytest.fixture
def bridge(world, monkeypatch):
    monkeypatch.setattr(agent_ui.gateway, "ACW_RELEASE_GRACE", 0.2)
    world.services.bridge = HoldingBridge(world.bus)
    return world.services.bridge


async def _hold(ws, call_id: str = "c1") -> None:
    await ws.send_json({"id": 1, "cmd": "hold_after_call_work", "args": {"call_id": call_id, "hold": True}})
    assert (await _next(ws, "ack"))["id"] == 1


async def test_a_tab_closed_with_unsaved_input_releases_its_hold(client, bridge):
    await login(client, "1001")
    async with client.ws_connect("/ws") as other:  # a second tab (an order page), holding nothing
        await _next(other, "snapshot")
        async with client.ws_connect("/ws") as seat:
            await _next(seat, "snapshot")
            await _hold(seat)
        await asyncio.sleep(0.5)
    assert bridge.holds == [("1001", "c1", True), ("1001", "c1", False)]


async def test_a_reload_keeps_the_hold_its_new_page_takes_over(client, bridge):
    await login(client, "1001")
    async with client.ws_connect("/ws") as seat:
        await _next(seat, "snapshot")
        await _hold(seat)
    async with client.ws_connect("/ws") as reloaded:
        await _next(reloaded, "snapshot")
        await _hold(reloaded)  # the page restored its draft
        await asyncio.sleep(0.5)
        assert bridge.holds == [("1001", "c1", True), ("1001", "c1", True)]


async def test_a_hold_released_by_saving_is_not_released_again(client, bridge):
    await login(client, "1001")
    async with client.ws_connect("/ws") as seat:
        await _next(seat, "snapshot")
        await _hold(seat)
        await seat.send_json(
            {"id": 2, "cmd": "hold_after_call_work", "args": {"call_id": "c1", "hold": False}}
        )
        await _next(seat, "ack")
    await asyncio.sleep(0.5)
    assert bridge.holds == [("1001", "c1", True), ("1001", "c1", False)]


async def test_the_seat_snapshot_says_its_after_call_work_is_held():
    bridge = CtiBridge(CtiSettings(acw_seconds=20), InProcessBus())
    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "after_call_work", 1.0, reason="话后处理", call_id="c1")
    assert bridge.agent("1001")["acw_held"] is False
    await bridge.hold_after_call_work("1001", "c1", True)
    assert bridge.agent("1001")["acw_held"] is True
    await bridge.hold_after_call_work("1001", "c1", False)
    assert bridge.agent("1001")["acw_held"] is False
