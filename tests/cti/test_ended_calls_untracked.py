"""The ended calls the bridge keeps for ``ended_call()`` (up to ``ENDED_CALLS_KEPT``, each with a dozen
sets, lists and dicts) are out of the garbage collector's sight with the C accelerator
(``cti.ami.speedups.untrack_plain``): plain data, in no cycle, not walked by every collection.
``untrack_plain`` sets aside only what holds nothing but plain data."""

from __future__ import annotations

import dataclasses
import gc

import pytest

from cti.ami import speedups
from cti.ami.protocol import Frame
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.calls import Call, QueueLeg

needs_c = pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")

SEAT = "Local/2001@hotline-sim-phone/n"
TRUNK = "Local/95598@hotline-inbound-00000001;1"
CALLER = "Local/95598@hotline-inbound-00000001;2"
LEG, LEG_B = "Local/2001@hotline-sim-phone-00000002;1", "Local/2001@hotline-sim-phone-00000002;2"


def _answered_call() -> list[dict[str, str]]:
    """An inbound call queued, rung to 2001, answered, recorded, and hung up."""
    return [
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.1", Channel=TRUNK, Context="hotline-inbound",
             Exten="95598", CallerIDNum="13800138000"),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.2", Channel=CALLER, Context="hotline-inbound",
             Exten="95598"),
        dict(Event="QueueCallerJoin", Linkedid="1.1", Channel=CALLER, Queue="general", Position="1",
             CallerIDNum="13800138000", CallerIDName="Zhang"),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.3", Channel=LEG, Context="hotline-sim-phone"),
        dict(Event="AgentCalled", Linkedid="1.1", Channel=CALLER, Queue="general", MemberName="2001",
             Interface=SEAT),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.4", Channel=LEG_B, Context="hotline-sim-phone"),
        dict(Event="AgentConnect", Linkedid="1.1", Channel=CALLER, Queue="general", MemberName="2001",
             Interface=SEAT, HoldTime="3"),
        dict(Event="BridgeEnter", Channel=CALLER, BridgeUniqueid="b1"),
        dict(Event="BridgeEnter", Channel=LEG, BridgeUniqueid="b1"),
        dict(Event="MixMonitorStart", Linkedid="1.1", Channel=CALLER),
        dict(Event="BridgeLeave", Channel=CALLER, BridgeUniqueid="b1"),
        dict(Event="BridgeLeave", Channel=LEG, BridgeUniqueid="b1"),
        *(dict(Event="Hangup", Uniqueid=uid, Cause="16") for uid in ("1.3", "1.4", "1.2", "1.1")),
    ]  # fmt: skip


def _containers(call: Call) -> list[object]:
    """The call and every container it holds, its queue legs included."""
    found: list[object] = [call]
    for field in dataclasses.fields(call):
        value = getattr(call, field.name)
        if isinstance(value, (list, set, dict)):
            found.append(value)
    found += call.legs + call.queue_legs + list(call.agent_channels.values())
    return found


async def test_a_call_the_bridge_keeps_after_its_end_is_out_of_the_collector_s_sight():
    bridge = CtiBridge(CtiSettings(acw_seconds=0.0), InProcessBus())
    agent = bridge.agent_book.ensure("2001", SEAT)
    bridge.agent_book.apply(agent, "login", 1.0)
    bridge.agent_book.apply(agent, "ready", 2.0)
    for n, fields in enumerate(_answered_call()):
        bridge.model.handle(Frame.build(Timestamp=f"{100 + n}.5", **fields))
    call = bridge._ended_calls["1.1"]
    assert call.legs and call.queue_legs and call.agent_channels and call.agents_offered
    tracked = [type(part).__name__ for part in _containers(call) if gc.is_tracked(part)]
    if speedups.c is None:  # the pure Python implementation untracks nothing
        assert "Call" in tracked
    else:
        assert tracked == []
    snapshot = bridge.ended_call("1.1")
    assert (snapshot["outcome"], snapshot["agent_id"], snapshot["caller"]) == (
        "answered",
        "2001",
        "13800138000",
    )
    for task in list(bridge._tasks):
        task.cancel()


class Opaque:
    """A class untrack_plain is not told of: what it holds is not known to be plain."""

    def __init__(self) -> None:
        self.me = self


@needs_c
def test_only_plain_data_is_set_aside_and_whatever_holds_anything_else_stays_tracked():
    untrack = speedups.c.untrack_plain
    leg = QueueLeg("general", 1.0)
    plain = {"a": [1, "x", (2.0, None)], "b": {"s"}, "c": frozenset({("t", 1)}), "leg": leg}
    assert untrack(plain, (QueueLeg,)) is True
    assert not any(gc.is_tracked(x) for x in (plain, plain["a"], plain["b"], leg))

    opaque = Opaque()
    kept, sibling = [opaque], ["only", "text"]
    mixed = {"kept": kept, "sibling": sibling}
    assert untrack(mixed, (QueueLeg,)) is False
    assert gc.is_tracked(mixed) and gc.is_tracked(kept) and gc.is_tracked(opaque)
    assert not gc.is_tracked(sibling)  # the plain part is set aside all the same

    cycle: list[object] = []
    cycle.append(cycle)
    assert untrack(cycle, ()) is False and gc.is_tracked(cycle)

    assert untrack(QueueLeg("general", 1.0), ()) is False  # an instance of a class not named
    deep: list[object] = ["end"]
    for _ in range(12):
        deep = [deep]
    assert untrack(deep, ()) is False and gc.is_tracked(deep)  # deeper than it looks
    assert untrack("text", ()) is True  # never tracked
    with pytest.raises(TypeError):
        untrack([], [QueueLeg])
