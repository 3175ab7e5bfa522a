"""A console tab opened during a call, after another tab's intake form already holds that call's
after-call work, knows of the hold from its first snapshot (``agent.acw_hold_call``), so its state
bar says why the 话后处理 outlasts its limit as soon as the call ends, without waiting for the
next ``acw_hold`` push or snapshot. The same from another web process's mirror of the bus, and
from the bridge's present a mirror fills in from."""

from __future__ import annotations

import time

from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.mirror import BridgeMirror
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next
from tests.cti.test_remote import until


class UpBridge(CtiBridge):
    """The bridge, its AMI taken as up (no Asterisk is needed for holds and snapshots)."""

    connected = True


def _talking(bridge: CtiBridge, call_id: str = "c1") -> None:
    agent = bridge.agent_book.ensure("1001", "PJSIP/1001")
    bridge.agent_book.force(agent, "talking", time.time(), call_id=call_id)


async def test_a_tab_opened_during_the_call_gets_the_hold_in_its_first_snapshot(client, world):
    bridge = UpBridge(CtiSettings(acw_seconds=20), world.bus)
    world.services.bridge = bridge
    _talking(bridge)
    await login(client, "1001")
    try:
        async with client.ws_connect("/ws") as seat:
            await _next(seat, "snapshot")
            await seat.send_json(
                {"id": 1, "cmd": "hold_after_call_work", "args": {"call_id": "c1", "hold": True}}
            )
            assert (await _next(seat, "ack"))["result"] == {"held": True}
            async with client.ws_connect("/ws") as opened:  # an order page, opened while talking
                agent = (await _next(opened, "snapshot"))["agent"]
                assert (agent["state"], agent["call_id"]) == ("talking", "c1")
                assert agent["acw_held"] is False  # nothing outlasts anything yet
                assert agent["acw_hold_call"] == "c1"  # but the write-up to come is held
    finally:
        await bridge.publisher.close()


async def test_another_process_mirror_names_the_held_call_during_the_call():
    bus = InProcessBus()
    bridge = CtiBridge(CtiSettings(acw_seconds=20), bus)
    mirror = BridgeMirror(bus)
    await mirror.start()
    try:
        _talking(bridge)
        await until(lambda: mirror.agent("1001") is not None)
        assert mirror.agent("1001")["acw_hold_call"] == ""
        await bridge.hold_after_call_work("1001", "c1", True, "tab")
        await until(lambda: mirror.agent("1001")["acw_hold_call"] == "c1")
        assert mirror.agent("1001")["acw_held"] is False

        # a web process started after the hold's event left the retained history: the bridge's
        # present says which call is held, while it still goes on
        late = BridgeMirror(InProcessBus())
        late.fill({"agents": bridge.agents()})
        assert late.agent("1001")["acw_hold_call"] == "c1"
        assert late.agent("1001")["acw_held"] is False
        await bridge.hold_after_call_work("1001", "c1", False, "tab")
        await until(lambda: mirror.agent("1001")["acw_hold_call"] == "")
    finally:
        await mirror.stop()
        await bridge.publisher.close()
