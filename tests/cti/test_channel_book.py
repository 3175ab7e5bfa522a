"""The call model's channel and bridge bookkeeping in C (``_speedups.ChannelBook``, standing in for
``ChannelEvents``' Newchannel, Hangup, BridgeEnter and BridgeLeave handlers) does what the pure
Python handlers do: the same events published, the same calls, channels, bridges and agents after
every event of any sequence, the same errors."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.agents import AgentBook
from cti.ami import speedups
from cti.ami.fields import reads
from cti.ami.protocol import Frame
from cti.calls import CallModel
from cti.channel_calls import ChannelEvents
from cti.queues import QueueBoard

needs_c = pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")

SEATS = {
    "2001": "Local/2001@hotline-sim-phone/n",
    "2002": "Local/2002@hotline-sim-phone/n",
    "2003": "Local/2003@hotline-sim-phone/n",  # signed in, then out: its legs are nobody's
}
NAMES = [
    "",
    "Local/95598@hotline-inbound-00000001;1",
    "Local/95598@hotline-inbound-00000001;2",
    "Local/2001@hotline-sim-phone-00000002;1",
    "Local/2001@hotline-sim-phone-00000002;2",
    "Local/2002@hotline-sim-phone-00000003;1",
    "Local/2003@hotline-sim-phone-00000004;1",
    "Local/general@hotline-queue-00000005;2",
    "PJSIP/trunk-00000006",
]
LINKEDIDS = ["", "1.1", "1.1", "2.1", "3.1"]
UIDS = ["", "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.2"]
CONTEXTS = ["", "hotline-inbound", "hotline-outbound", "hotline-sim-phone", "hotline-queue"]
NUMBERS = ["", "<unknown>", "95598", "13800138000"]
CALLER_NAMES = ["", "<unknown>", "Zhang"]
BRIDGES = ["", "b1", "b1", "b2"]
CAUSES = ["", "16", "17", "x"]


class World:
    def __init__(self, c: bool) -> None:
        self.events: list[object] = []
        self.agents = AgentBook(self.events.append)
        self.queues = QueueBoard(self.events.append, self.agents)
        self.model = CallModel(self.events.append, self.agents, self.queues, speedups=c)
        for agent_id, seat in SEATS.items():
            agent = self.agents.ensure(agent_id, seat)
            self.agents.apply(agent, "login", 1.0)
            self.agents.apply(agent, "ready", 2.0)
        self.agents.apply(self.agents.get("2003"), "logout", 3.0)
        self.model.expect("3.1", direction="outbound", dnis="13800138000", caller="13800138000")

    def feed(self, fields: dict[str, str]) -> str:
        """The frame through the model's listener: "" or the error it raised."""
        try:
            self.model.handle(Frame.build(**fields))
        except Exception as exc:  # compared between the two models
            return f"{type(exc).__name__}: {exc}"
        return ""

    def state(self) -> dict[str, object]:
        m = self.model
        return {
            "events": [repr(e) for e in self.events],
            "calls": {k: dataclasses.asdict(c) for k, c in m.calls.items()},
            "channels": {k: dataclasses.asdict(c) for k, c in m.channels.items()},
            "by_name": {k: (c.uniqueid, m.channels.get(c.uniqueid) is c) for k, c in m.by_name.items()},
            "bridges": {k: set(v) for k, v in m.bridges.items()},
            "aliases": dict(m.aliases),
            "ended": list(m.ended),
            "expected": dict(m.expected),
            "agents": {k: a.snapshot() for k, a in self.agents.agents.items()},
        }


def _frame(kind: str, at: float, draw) -> dict[str, str]:
    fields = {"Event": kind, "Timestamp": f"{at:.6f}"}
    if kind == "Newchannel":
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Uniqueid=draw(st.sampled_from(UIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            Context=draw(st.sampled_from(CONTEXTS)),
            Exten=draw(st.sampled_from(["", "95598", "2001"])),
            CallerIDNum=draw(st.sampled_from(NUMBERS)),
            CallerIDName=draw(st.sampled_from(CALLER_NAMES)),
        )
    elif kind == "Hangup":
        fields.update(Uniqueid=draw(st.sampled_from(UIDS)), Cause=draw(st.sampled_from(CAUSES)))
    elif kind in ("BridgeEnter", "BridgeLeave"):
        fields.update(Channel=draw(st.sampled_from(NAMES)), BridgeUniqueid=draw(st.sampled_from(BRIDGES)))
    elif kind in ("QueueCallerJoin", "QueueCallerLeave"):
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            Queue="general",
            Position="1",
            CallerIDNum=draw(st.sampled_from(NUMBERS)),
        )
    elif kind == "AgentCalled":
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            Queue="general",
            MemberName=draw(st.sampled_from(list(SEATS))),
        )
    elif kind in ("Hold", "Unhold"):
        fields.update(Linkedid=draw(st.sampled_from(LINKEDIDS)))
    # absent fields: the handler reads "" for each (as it does from Asterisk)
    return {k: v for k, v in fields.items() if v or k in ("Event", "Timestamp")}


KINDS = [
    "Newchannel",
    "Newchannel",
    "Newchannel",
    "Hangup",
    "Hangup",
    "BridgeEnter",
    "BridgeEnter",
    "BridgeLeave",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "AgentCalled",
    "Hold",
    "Unhold",
]


@needs_c
@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_c_bookkeeping_leaves_the_model_as_the_python_handlers_do(data):
    c, python = World(True), World(False)
    for n in range(data.draw(st.integers(1, 40))):
        fields = _frame(data.draw(st.sampled_from(KINDS)), 10.0 + n, data.draw)
        assert c.feed(fields) == python.feed(fields), fields
        assert c.state() == python.state(), fields


def _story(world: World) -> None:
    """An inbound call queued, rung to 2001, answered, 2002 brought in, all hung up."""
    for fields in (
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.1", Channel=NAMES[1], Context="hotline-inbound",
             Exten="95598", CallerIDNum="<unknown>"),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.2", Channel=NAMES[2], Context="hotline-inbound",
             Exten="95598"),
        dict(Event="QueueCallerJoin", Linkedid="1.1", Channel=NAMES[2], Queue="general", Position="1",
             CallerIDNum="13800138000", CallerIDName="Zhang"),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.3", Channel=NAMES[3], Context="hotline-sim-phone"),
        dict(Event="AgentCalled", Linkedid="1.1", Channel=NAMES[2], Queue="general", MemberName="2001"),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.4", Channel=NAMES[4], Context="hotline-sim-phone"),
        dict(Event="BridgeEnter", Channel=NAMES[2], BridgeUniqueid="b1"),
        dict(Event="BridgeEnter", Channel=NAMES[3], BridgeUniqueid="b1"),
        dict(Event="BridgeLeave", Channel=NAMES[3], BridgeUniqueid="b1"),
        dict(Event="Hangup", Uniqueid="1.3", Cause="16"),
        dict(Event="Hangup", Uniqueid="1.4", Cause="16"),
        dict(Event="Newchannel", Linkedid="1.1", Uniqueid="1.5", Channel=NAMES[5], Context="hotline-sim-phone"),
        dict(Event="BridgeEnter", Channel=NAMES[5], BridgeUniqueid="b1"),
        dict(Event="BridgeLeave", Channel=NAMES[5], BridgeUniqueid="b1"),
        dict(Event="BridgeLeave", Channel=NAMES[2], BridgeUniqueid="b1"),
        dict(Event="Hangup", Uniqueid="1.5", Cause="16"),
        dict(Event="Hangup", Uniqueid="1.2", Cause="16"),
        dict(Event="Hangup", Uniqueid="1.1", Cause="16"),
    ):  # fmt: skip
        assert world.feed({"Timestamp": "100.5", **fields}) == ""


@needs_c
def test_a_whole_call_is_the_same_in_c_and_in_python():
    c, python = World(True), World(False)
    _story(c)
    _story(python)
    assert c.state() == python.state()
    ended = [e for e in c.events if type(e).__name__ == "CallEnded"]
    assert len(ended) == 1 and ended[0].outcome == "answered"
    assert not c.model.channels and not c.model.by_name and not c.model.bridges


@needs_c
def test_the_c_handlers_run_by_default_when_built():
    model = World(True).model
    for name, method in (
        ("Newchannel", "newchannel"),
        ("Hangup", "hangup"),
        ("BridgeEnter", "bridge_enter"),
        ("BridgeLeave", "bridge_leave"),
    ):
        handler = model.listeners[name].handler
        assert type(handler.__self__).__name__ == "ChannelBook" and handler.__name__ == method
    assert World(False).model.listeners["Hangup"].__name__ == "listener(_on_Hangup)"


@needs_c
def test_a_model_that_overrides_a_handler_keeps_its_own():
    seen = []

    class Model(CallModel):
        @reads("Uniqueid", "Cause")
        def _on_Hangup(self, at, uid, cause):
            seen.append(uid)
            super()._on_Hangup(at, uid, cause)

    model = Model(seen.append, AgentBook(seen.append), QueueBoard(seen.append, AgentBook(seen.append)))
    assert model.listeners["Hangup"].handler == model._on_Hangup
    assert type(model.listeners["Newchannel"].handler.__self__).__name__ == "ChannelBook"
    model.handle(Frame.build(Event="Hangup", Timestamp="1.0", Uniqueid="9.9"))
    assert seen == ["9.9"]
    assert ChannelEvents._on_Hangup is CallModel._on_Hangup


@pytest.mark.parametrize("c", [False, pytest.param(True, marks=needs_c)])
@pytest.mark.parametrize("kind", ["Newchannel", "BridgeEnter", "BridgeLeave"])
def test_a_frame_without_its_channel_is_refused_by_both(c, kind):
    world = World(c)
    error = world.feed({"Event": kind, "Timestamp": "1.0", "Uniqueid": "1.1", "Linkedid": "1.1"})
    assert error.startswith("MalformedEvent: ") and "Channel" in error
