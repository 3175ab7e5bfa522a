"""调整技能队列 over Redis: a web process's queue_join / queue_leave reach the active bridge
(BRIDGE_COMMANDS) with their arguments, and the bridge's answer comes back."""

from __future__ import annotations

from cti.remote import bridge_handlers
from tests.cti.test_remote import SeatBridge, bus, prefix, remote_bridge, serving  # noqa: F401 (fixtures)


async def test_queue_join_and_leave_go_to_the_bridge_over_redis(prefix, bus):  # noqa: F811
    bridge = SeatBridge(bus)
    async with serving(prefix, bridge_handlers(bridge)), remote_bridge(prefix) as remote:
        joined = await remote.queue_join("1001", "ui-a", 2)
        assert bridge.seen[-1] == ("queue_join", "1001", "ui-a", 2)
        left = await remote.queue_leave("1001", "ui-a")
        assert bridge.seen[-1] == ("queue_leave", "1001", "ui-a")
        # this stand-in bridge refuses what it does not know: the refusal comes back as it was
        assert (joined.ok, left.ok) == (False, False) and left.reason == "agent_not_on_call"
