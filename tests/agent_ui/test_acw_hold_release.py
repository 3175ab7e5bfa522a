"""The ACW hold belongs to the tab whose intake form has unsaved input (QA F5): a tab closed for
good (a crash, the browser closed, another PC) releases it, so the seat's 话后处理 ends by its
limit instead of keeping it out of every queue indefinitely; a reload, whose new page takes the
hold over from its draft, does not; and a console opened meanwhile says why the seat is held.

A hold is its tab's (QA r3 F2): with several web processes behind nginx a reload's new page
usually lands on another process, and the old tab's release must leave the new page's hold be."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
import redis.asyncio as aioredis

import agent_ui.gateway
from agent_ui import create_app
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import AmiConnectionChanged
from cti.mirror import BridgeMirror
from cti.redis_bus import RedisBus
from cti.remote import bridge_handlers, keys_for
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next
from tests.cti.test_remote import REDIS_URL, prefix, remote_bridge, serving, until

__all__ = ["prefix"]  # the fixture, for the test with two web processes


class HoldingBridge(BridgeMirror):
    """The console's bridge, noting the ACW holds it is asked for."""

    connected = True

    def __init__(self, bus) -> None:
        super().__init__(bus)
        self.holds: list[tuple[str, str, bool]] = []
        self.holders: dict[str, set[str]] = {}  # call id -> the tabs holding it, as the bridge keeps

    async def hold_after_call_work(self, agent_id: str, call_id: str, hold: bool, holder: str) -> dict:
        self.holds.append((agent_id, call_id, hold))
        holders = self.holders.setdefault(call_id, set())
        if hold:
            holders.add(holder)
        else:
            holders.discard(holder)
        return {"held": bool(holders)}


@pytest.fixture
def bridge(world, monkeypatch):
    # long enough for a reload's page to connect and hold again on a busy machine (0.2 s was not)
    monkeypatch.setattr(agent_ui.gateway, "ACW_RELEASE_GRACE", 1.0)
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
        await asyncio.sleep(1.5)
    assert bridge.holds == [("1001", "c1", True), ("1001", "c1", False)]


async def test_a_reload_keeps_the_hold_its_new_page_takes_over(client, bridge):
    await login(client, "1001")
    async with client.ws_connect("/ws") as seat:
        await _next(seat, "snapshot")
        await _hold(seat)
    async with client.ws_connect("/ws") as reloaded:
        await _next(reloaded, "snapshot")
        await _hold(reloaded)  # the page restored its draft
        await asyncio.sleep(1.5)
        # the closed tab let go of its own hold only: the new page's holds it still
        assert bridge.holds == [("1001", "c1", True), ("1001", "c1", True), ("1001", "c1", False)]
        assert len(bridge.holders["c1"]) == 1


async def test_a_hold_released_by_saving_is_not_released_again(client, bridge):
    await login(client, "1001")
    async with client.ws_connect("/ws") as seat:
        await _next(seat, "snapshot")
        await _hold(seat)
        await seat.send_json(
            {"id": 2, "cmd": "hold_after_call_work", "args": {"call_id": "c1", "hold": False}}
        )
        await _next(seat, "ack")
    await asyncio.sleep(1.5)
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


async def test_the_bridge_keeps_the_hold_while_any_tab_holds_it():
    bridge = CtiBridge(CtiSettings(acw_seconds=20), InProcessBus())
    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "after_call_work", 1.0, reason="话后处理", call_id="c1")
    await bridge.hold_after_call_work("1001", "c1", True, "old-tab")
    await bridge.hold_after_call_work("1001", "c1", True, "reloaded-page")  # web-2, from its draft
    assert (await bridge.hold_after_call_work("1001", "c1", False, "old-tab")).data == {"held": True}
    assert bridge.agent("1001")["acw_held"] is True
    assert (await bridge.hold_after_call_work("1001", "c1", False, "reloaded-page")).data == {"held": False}
    assert bridge.agent("1001")["acw_held"] is False


async def test_another_process_mirror_says_the_after_call_work_is_held():
    bus = InProcessBus()
    bridge = CtiBridge(CtiSettings(acw_seconds=20), bus)
    mirror = BridgeMirror(bus)
    await mirror.start()

    def held() -> bool | None:
        agent = mirror.agent("1001")
        return None if agent is None else agent["acw_held"]

    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "after_call_work", 1.0, reason="话后处理", call_id="c1")
    await until(lambda: held() is False)
    await bridge.hold_after_call_work("1001", "c1", True, "tab")
    await until(lambda: held() is True)
    assert mirror.agents()[0]["acw_held"] is True
    await bridge.hold_after_call_work("1001", "c1", False, "tab")
    await until(lambda: held() is False)
    # a hold of the call the agent wrote up before does not hold the next one's after-call work
    await bridge.hold_after_call_work("1001", "c1", True, "tab")
    await until(lambda: held() is True)
    bridge.agent_book.force(agent, "after_call_work", 2.0, reason="话后处理", call_id="c2")
    await until(lambda: mirror.agent("1001")["call_id"] == "c2")
    assert held() is False
    await mirror.stop()
    await bridge.publisher.close()


async def test_a_reload_onto_another_web_process_keeps_the_hold(world, aiohttp_client, prefix, monkeypatch):
    """Tab A on web-1 holds, the agent reloads, the new page B lands on web-2 and holds from its
    draft within the grace: web-1's release of A must leave B's hold, and both processes' seat
    snapshots say the after-call work is held."""
    monkeypatch.setattr(agent_ui.gateway, "ACW_RELEASE_GRACE", 0.3)
    bus = RedisBus(REDIS_URL, stream=f"{prefix}:events", block_ms=50)
    bridge = CtiBridge(CtiSettings(acw_seconds=600), bus)
    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "after_call_work", time.time(), reason="话后处理", call_id="c1")
    bridge._emit(AmiConnectionChanged(connected=True))
    await bridge.flush()
    redis = aioredis.Redis.from_url(REDIS_URL)
    await redis.set(keys_for(prefix)[1], "bridge", px=60_000)  # an active bridge holds the lock
    handlers = bridge_handlers(bridge)
    asked: list[tuple] = []
    hold = handlers["hold_after_call_work"]

    async def noted(*args):
        asked.append(args[2:])
        return await hold(*args)

    handlers["hold_after_call_work"] = noted
    try:
        async with serving(prefix, handlers), remote_bridge(prefix) as web1, remote_bridge(prefix) as web2:
            await until(lambda: all(w.connected and w.agent("1001") for w in (web1, web2)))
            tabs = []
            for web in (web1, web2):
                services = dataclasses.replace(world.services, bus=web.console_bus, bridge=web)
                tabs.append(await aiohttp_client(create_app(services)))
                await login(tabs[-1], "1001")
            async with tabs[0].ws_connect("/ws") as a:
                await _next(a, "snapshot")
                await _hold(a)
            async with tabs[1].ws_connect("/ws") as b:  # the reloaded page, on web-2
                await _next(b, "snapshot")
                await _hold(b)
                await until(lambda: len(asked) == 3)  # web-1 released A's hold after the grace
                assert [a[0] for a in asked] == [True, True, False]
                assert bridge.agent("1001")["acw_held"] is True
                await until(lambda: web1.agent("1001")["acw_held"] and web2.agent("1001")["acw_held"])
            await until(lambda: len(asked) == 4)  # B closed for good: its own release ends the hold
            assert bridge.agent("1001")["acw_held"] is False
            await until(lambda: not web1.agent("1001")["acw_held"] and not web2.agent("1001")["acw_held"])
    finally:
        await bridge.publisher.close()
        await bus.close()
        await redis.aclose()
