"""A web process's 强制下班 reaches the active bridge over Redis with its reason (班长强制下班):
the seat on a call is paused with it until the call ends, not with the disabled account's 账号停用."""

from __future__ import annotations

from cti import agents as A
from cti.remote import bridge_handlers
from tests.cti.test_remote import SeatBridge, bus, prefix, remote_bridge, serving

__all__ = ["bus", "prefix"]  # the fixtures


async def test_sign_out_seat_carries_its_reason_to_the_bridge(prefix, bus):  # noqa: F811
    bridge = SeatBridge(bus)
    async with serving(prefix, bridge_handlers(bridge)), remote_bridge(prefix) as remote:
        await remote.sign_out_seat("1001", A.FORCED_SIGN_OUT_REASON)
        assert bridge.seen[-1] == ("sign_out_seat", "1001", "班长强制下班")
        await remote.sign_out_seat("1002")  # an admin's disabling: the reason it always had
        assert bridge.seen[-1] == ("sign_out_seat", "1002", A.SIGN_OUT_REASON)
