"""The call model's channel and bridge bookkeeping in C (``_speedups.ChannelBook``, standing in for
``ChannelEvents``' Newchannel, Hangup, BridgeEnter and BridgeLeave handlers) does what the pure
Python handlers do: the same events published, the same calls, channels, bridges and agents after
every event of any sequence, the same errors."""

from __future__ import annotations

import dataclasses
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.agents import AgentBook
from cti.ami import speedups
from cti.ami.fields import reads
from cti.ami.protocol import Frame
from cti.calls import CallModel
from cti.channel_calls import ChannelEvents
from cti.queue_calls import QueueCallEvents
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
    "Local/;1",  # a Local channel's half with nothing before it (_party: "Local/")
    "SIP/a;1",  # ";1" but no Local channel: a party of its own
]
LINKEDIDS = ["", "1.1", "1.1", "2.1", "3.1", "4.1"]
UIDS = ["", "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.2", "4.1", "4.2"]
CONTEXTS = ["", "hotline-inbound", "hotline-outbound", "hotline-sim-phone", "hotline-queue"]
NUMBERS = ["", "<unknown>", "95598", "13800138000"]
CALLER_NAMES = ["", "<unknown>", "Zhang"]
BRIDGES = ["", "b1", "b1", "b2"]
CAUSES = ["", "16", "17", "x", " 1_6 "]


class World:
    def __init__(self, c: bool, acw: float = 0.0) -> None:
        self.events: list[object] = []
        self.agents = AgentBook(self.events.append, acw_seconds=acw)
        self.queues = QueueBoard(self.events.append, self.agents)
        self.model = CallModel(self.events.append, self.agents, self.queues, speedups=c)
        for agent_id, seat in SEATS.items():
            agent = self.agents.ensure(agent_id, seat)
            self.agents.apply(agent, "login", 1.0)
            self.agents.apply(agent, "ready", 2.0)
        self.agents.apply(self.agents.get("2003"), "logout", 3.0)
        self.model.expect("3.1", direction="outbound", dnis="13800138000", caller="13800138000")
        self.model.expect("4.1", join="1.1")  # a leg we add to call 1.1 (a conference's invitation)

    def feed(self, fields: dict[str, str]) -> str:
        """The frame through the model's listener (or a command's doing, below): "" or the error it raised."""
        try:
            if fields["Event"] in ACTIONS:
                self.act(fields)
            else:
                self.model.handle(Frame.build(**fields))
        except Exception as exc:  # compared between the two models
            return f"{type(exc).__name__}: {exc}"
        return ""

    def act(self, fields: dict[str, str]) -> None:
        """What the bridge's commands and a resync do to the model between events."""
        m, at = self.model, float(fields["Timestamp"])
        call = m.calls.get(fields.get("Linkedid", ""))
        agent = self.agents.get(fields.get("MemberName", ""))
        if fields["Event"] == "Consult" and call is not None and agent is not None:
            m.consult_started(agent, call, fields.get("Channel", ""), "2002", at)
        elif fields["Event"] == "ConsultOver" and agent is not None:
            m.consult_over(agent, at)
        elif fields["Event"] == "Restored" and call is not None and not call.queue_legs:
            call.queue, call.queued_at = "general", at  # known from before a restart: no leg heard

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
            "agents": {k: (a.snapshot(), a.consult) for k, a in self.agents.agents.items()},
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
    elif kind == "NewCallerid":
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Uniqueid=draw(st.sampled_from(UIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            CallerIDNum=draw(st.sampled_from(NUMBERS)),
            CallerIDName=draw(st.sampled_from(CALLER_NAMES)),
        )
    elif kind in ("BridgeEnter", "BridgeLeave"):
        fields.update(Channel=draw(st.sampled_from(NAMES)), BridgeUniqueid=draw(st.sampled_from(BRIDGES)))
    elif kind in ("QueueCallerJoin", "QueueCallerLeave"):
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            Queue=draw(st.sampled_from(["general", "general", "sales"])),  # sales after general: its overflow
            Position=draw(st.sampled_from(["1", "1", "", "x"])),
            Priority=draw(st.sampled_from(["", "5"])),
            CallerIDNum=draw(st.sampled_from(NUMBERS)),
            CallerIDName=draw(st.sampled_from(CALLER_NAMES)),
        )
    elif kind == "AgentCalled":
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            Queue="general",
            MemberName=draw(st.sampled_from(list(SEATS))),
        )
    elif kind in ("Hold", "Unhold", "Restored"):
        fields.update(Linkedid=draw(st.sampled_from(LINKEDIDS)))
    elif kind in ("QueueCallerAbandon", "Consult"):
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            Queue="general",
            MemberName=draw(st.sampled_from(list(SEATS))),
        )
    elif kind in ("AgentConnect", "ConsultOver", "AgentRingNoAnswer"):
        fields.update(
            Linkedid=draw(st.sampled_from(LINKEDIDS)),
            Channel=draw(st.sampled_from(NAMES)),
            MemberName=draw(st.sampled_from(list(SEATS))),
            HoldTime=draw(st.sampled_from(["", "3"])),
        )
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
    "NewCallerid",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "AgentCalled",
    "Hold",
    "Unhold",
    "QueueCallerAbandon",
    "AgentConnect",
    "AgentRingNoAnswer",
    "Consult",
    "ConsultOver",
    "Restored",
]
#: not AMI events: what a command (a consultation begun or over) or a resync (a call known from
#: before a restart, its queue but no queue leg heard) does to the model between them
ACTIONS = ("Consult", "ConsultOver", "Restored")


@needs_c
@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_c_bookkeeping_leaves_the_model_as_the_python_handlers_do(data):
    acw = data.draw(st.sampled_from([0.0, 30.0]))  # with a limit, a seat goes to 话后处理 after a call
    c, python = World(True, acw), World(False, acw)
    for n in range(data.draw(st.integers(1, 40))):
        fields = _frame(data.draw(st.sampled_from(KINDS)), 10.0 + n, data.draw)
        assert c.feed(fields) == python.feed(fields), fields
        assert c.state() == python.state(), fields


# The channels of the stories below: the caller's Local channel's two halves, the seats' legs
TRUNK, CALLER, SEAT1, SEAT1B, SEAT2, QUEUE_LEG = NAMES[1], NAMES[2], NAMES[3], NAMES[4], NAMES[5], NAMES[7]


def _new(uid: str, name: str, context: str = "hotline-sim-phone", linkedid: str = "1.1", **more: str) -> dict:
    return dict(Event="Newchannel", Linkedid=linkedid, Uniqueid=uid, Channel=name, Context=context, **more)


def _hangup(uid: str, cause: str = "16") -> dict:
    return dict(Event="Hangup", Uniqueid=uid, Cause=cause)


# An inbound call: its two legs, queued, rung to 2001
_ARRIVES = [
    _new("1.1", TRUNK, "hotline-inbound", Exten="95598", CallerIDNum="<unknown>"),
    _new("1.2", CALLER, "hotline-inbound", Exten="95598"),
    dict(Event="QueueCallerJoin", Linkedid="1.1", Channel=CALLER, Queue="general", Position="1",
         CallerIDNum="13800138000", CallerIDName="Zhang"),
    _new("1.3", SEAT1),
    dict(Event="AgentCalled", Linkedid="1.1", Channel=CALLER, Queue="general", MemberName="2001"),
    _new("1.4", SEAT1B),
]  # fmt: skip
_ANSWERED = [
    *_ARRIVES,
    dict(Event="BridgeEnter", Channel=CALLER, BridgeUniqueid="b1"),
    dict(Event="BridgeEnter", Channel=SEAT1, BridgeUniqueid="b1"),
]
STORIES = {
    # answered, 2002 brought in (its leg rings it: an answered inbound call's new seat), all hung up
    "answered": [
        *_ANSWERED,
        dict(Event="BridgeLeave", Channel=SEAT1, BridgeUniqueid="b1"),
        _hangup("1.3"),
        _hangup("1.4"),
        _new("1.5", SEAT2),
        dict(Event="BridgeEnter", Channel=SEAT2, BridgeUniqueid="b1"),
        dict(Event="BridgeLeave", Channel=SEAT2, BridgeUniqueid="b1"),
        dict(Event="BridgeLeave", Channel=CALLER, BridgeUniqueid="b1"),
        _hangup("1.5"),
        _hangup("1.2"),
        _hangup("1.1"),
    ],
    # answered, put on hold (the caller out of the bridge), then back: the caller's return to the
    # bridge after the hold began resumes the call
    "held": [
        *_ANSWERED,
        dict(Event="Hold", Linkedid="1.1"),
        dict(Event="BridgeLeave", Channel=CALLER, BridgeUniqueid="b1"),
        dict(Event="BridgeEnter", Channel=CALLER, BridgeUniqueid="b1"),
        _hangup("1.3"),
        _hangup("1.4"),
        _hangup("1.2"),
        _hangup("1.1"),
    ],
    # rung to 2001 and (by its interface alone) 2002; app_queue connects 2001 before the bridge
    # says so: 2002's ring is cancelled, the call answered with the wait app_queue counted
    "connected": [
        *_ARRIVES,
        dict(Event="AgentCalled", Linkedid="1.1", Channel=CALLER, Queue="general", Interface=SEATS["2002"]),
        dict(Event="AgentConnect", Linkedid="1.1", Channel=CALLER, MemberName="2001", HoldTime="3"),
        dict(Event="BridgeEnter", Channel=CALLER, BridgeUniqueid="b1"),
        dict(Event="BridgeEnter", Channel=SEAT1, BridgeUniqueid="b1"),
        dict(Event="AgentConnect", Linkedid="1.1", Channel=CALLER, MemberName="2001", HoldTime="3"),
        _hangup("1.3"),
        _hangup("1.4"),
        _hangup("1.2"),
        _hangup("1.1"),
    ],
    # heard again in general (the same wait), 2001's ring missed, general's timeout (app_queue's
    # abandon) and on to sales (general's overflow, as of that timeout), answered there by 2002
    "overflowed": [
        *_ARRIVES,
        _ARRIVES[2],
        dict(Event="AgentRingNoAnswer", Linkedid="1.1", MemberName="2001"),
        _hangup("1.3", "19"),
        _hangup("1.4", "19"),
        dict(Event="QueueCallerAbandon", Linkedid="1.1", Channel=CALLER, Queue="general"),
        dict(Event="QueueCallerJoin", Linkedid="1.1", Channel=CALLER, Queue="sales", Position="2", Priority="5",
             CallerIDNum="13800138000", CallerIDName="Zhang"),
        dict(Event="AgentCalled", Linkedid="1.1", Channel=CALLER, Queue="sales", MemberName="2002"),
        _new("1.5", SEAT2),
        dict(Event="AgentConnect", Linkedid="1.1", Channel=CALLER, MemberName="2002", HoldTime="4"),
        dict(Event="BridgeEnter", Channel=CALLER, BridgeUniqueid="b1"),
        dict(Event="BridgeEnter", Channel=SEAT2, BridgeUniqueid="b1"),
        _hangup("1.5"),
        _hangup("1.2"),
        _hangup("1.1"),
    ],
    # 2001 consults the general queue about their caller (咨询转接): the consultation's leg joins
    # it, not the caller, who stays 2001's
    "consulted_queue": [
        *_ANSWERED,
        dict(Event="Consult", Linkedid="1.1", MemberName="2001", Channel=SEAT1),
        _new("1.6", QUEUE_LEG, "hotline-queue"),
        dict(Event="QueueCallerJoin", Linkedid="1.1", Channel=QUEUE_LEG, Queue="general", Position="1"),
        dict(Event="QueueCallerAbandon", Linkedid="1.1", Channel=QUEUE_LEG, Queue="general"),
        _hangup("1.6"),
        dict(Event="ConsultOver", MemberName="2001"),
        _hangup("1.3"),
        _hangup("1.4"),
        _hangup("1.2"),
        _hangup("1.1"),
    ],
    # the caller gives up while 2001 rings: app_queue lets them go, their hang-up is the abandon
    "abandoned": [
        *_ARRIVES,
        dict(Event="QueueCallerAbandon", Linkedid="1.1", Channel=CALLER, Queue="general"),
        _hangup("1.3", "26"),
        _hangup("1.4", ""),
        _hangup("1.2"),
        _hangup("1.1", "x"),
    ],
    # the caller hangs up (the trunk's half first: the same party) while 2001 consults about them
    "consulted": [
        *_ANSWERED,
        dict(Event="Consult", Linkedid="1.1", MemberName="2001", Channel=SEAT1),
        _hangup("1.1"),
        _hangup("1.2", "17"),
        dict(Event="ConsultOver", MemberName="2001"),
        _hangup("1.3"),
        _hangup("1.4"),
    ],
    # a call known from before a restart (queued, no leg heard) whose caller hangs up
    "restored": [
        _new("1.1", TRUNK, "hotline-inbound", Exten="95598", CallerIDNum="13800138000"),
        dict(Event="Restored", Linkedid="1.1"),
        _hangup("1.1", ""),
    ],
    # click-to-dial (our own Originate, 3.1): the seat's phone rings first, then the customer's
    "outbound": [
        _new("3.1", SEAT1, "hotline-outbound", linkedid="3.1", Exten="13800138000", CallerIDNum="95598"),
        _new("3.2", TRUNK, "hotline-outbound", linkedid="3.1", CallerIDNum="13800138000"),
        dict(Event="BridgeEnter", Channel=SEAT1, BridgeUniqueid="b2"),
        dict(Event="BridgeEnter", Channel=TRUNK, BridgeUniqueid="b2"),
        _hangup("3.2"),
        _hangup("3.1"),
    ],
    # an internal call whose first leg is not the call's own id, and a conference's leg (4.1,
    # aliased to 1.1) showing the hotline's number
    "internal": [
        _new("2.2", NAMES[7], "hotline-queue", linkedid="2.1", CallerIDNum="2001", CallerIDName="Li"),
        _new("2.1", NAMES[9], "", linkedid="2.1", CallerIDNum="13800138000"),
        *_ANSWERED,
        _new("4.1", SEAT2, linkedid="4.1", CallerIDNum="95598"),
        _new("2.3", NAMES[10], "hotline-inbound", linkedid="2.1", CallerIDNum="<unknown>", CallerIDName="Wang"),
        _hangup("2.1"),
        _hangup("4.1"),
        _hangup("2.2"),
        _hangup("2.3"),
        _new("2.4", NAMES[6], linkedid="2.1"),  # a signed-out seat's leg: nobody's
        _hangup("2.4"),
    ],
    # a conference's legs (4.1, aliased to 1.1) before the caller's number is known: the hotline's
    # number they show is not the caller's
    "invited": [
        _ARRIVES[0],
        _new("4.1", SEAT2, linkedid="4.1", CallerIDNum="95598"),
        _new("4.2", NAMES[8], linkedid="4.1", CallerIDNum="95598", CallerIDName="Hotline"),
        _new("1.2", CALLER, "hotline-inbound", Exten="95598", CallerIDNum="13800138000"),
        _hangup("4.2"),
        _hangup("4.1"),
        _hangup("1.2"),
        _hangup("1.1"),
    ],
    # dialled out by a seat outside our commands: only the call's own leg gives it a caller ID
    "dialled": [
        _new("5.1", NAMES[8], "hotline-outbound", linkedid="5.1", Exten="13800138000", CallerIDNum="<unknown>"),
        _new("5.2", TRUNK, "hotline-outbound", linkedid="5.1", CallerIDNum="13800138000", CallerIDName="Zhao"),
        _hangup("5.2"),
        _hangup("5.1"),
    ],
}  # fmt: skip


def _story(world: World, story: str = "answered") -> None:
    for fields in STORIES[story]:
        assert world.feed({"Timestamp": "100.5", **fields}) == ""


@needs_c
@pytest.mark.parametrize("story", list(STORIES))
def test_each_story_is_the_same_in_c_and_in_python_at_every_step(story):
    c, python = World(True, 30.0), World(False, 30.0)
    for n, fields in enumerate(STORIES[story]):
        fields = {"Timestamp": f"{100 + n}.5", **fields}
        assert c.feed(fields) == python.feed(fields) == "", fields
        assert c.state() == python.state(), fields
    assert any(type(e).__name__ == "CallEnded" for e in c.events)


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.data())
def test_stories_told_otherwise_are_the_same_in_c_and_in_python(data):
    """Each story with events left out, repeated, moved or changed, and others put in: the paths
    near the usual ones (a hang-up before its bridge, a seat's second leg first, a cause garbled)."""
    acw = data.draw(st.sampled_from([0.0, 30.0]))
    c, python = World(True, acw), World(False, acw)
    events = list(STORIES[data.draw(st.sampled_from(list(STORIES)))])
    for _ in range(data.draw(st.integers(0, 6))):
        i = data.draw(st.integers(0, len(events) - 1))
        change = data.draw(st.sampled_from(["drop", "repeat", "move", "random", "field"]))
        if change == "drop" and len(events) > 1:
            events.pop(i)
        elif change == "repeat":
            events.insert(data.draw(st.integers(0, len(events))), events[i])
        elif change == "move":
            events.insert(data.draw(st.integers(0, len(events) - 1)), events.pop(i))
        elif change == "random":
            events.insert(i, _frame(data.draw(st.sampled_from(KINDS)), 0.0, data.draw))
        elif change == "field" and len(events[i]) > 1:
            key = data.draw(st.sampled_from(sorted(k for k in events[i] if k != "Event")))
            pool = {"Channel": NAMES, "Uniqueid": UIDS, "Linkedid": LINKEDIDS, "Cause": CAUSES}.get(key, [""])
            events[i] = {**events[i], key: data.draw(st.sampled_from(pool))}
    for n, fields in enumerate(events):
        fields = {**fields, "Timestamp": f"{100 + n}.5"}
        assert c.feed(fields) == python.feed(fields), fields
        assert c.state() == python.state(), fields


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
def test_an_ordinary_call_s_channels_are_the_c_bookkeeping_s_own(monkeypatch):
    """Every Newchannel and Hangup of a queued call, answered, with a colleague brought in, is done
    in C: the call made, its direction and caller ID read, the seats' legs filed (the Python
    ``_seat_rings`` told when one rings), the hang-ups' side, cause and the call's end. Neither
    Python handler, to which the C code hands what it does not do itself, is called."""
    called = []
    for name in ("_on_Newchannel", "_on_Hangup", "_hung_up", "_customer_leg"):
        original = getattr(ChannelEvents, name)

        def spy(self, *args, _name=name, _original=original):
            called.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(ChannelEvents, name, functools.update_wrapper(spy, original))  # keeps @reads
    c = World(True)
    _story(c)
    assert called == []
    (ended,) = [e for e in c.events if type(e).__name__ == "CallEnded"]
    assert (ended.direction, ended.dnis, ended.outcome, ended.hangup_cause) == (
        "inbound",
        "95598",
        "answered",
        16,
    )
    python = World(False)
    _story(python)
    assert called and c.state() == python.state()


@needs_c
def test_a_bridge_s_answer_is_the_c_bookkeeping_s_own(monkeypatch):
    """A bridge of two channels the model knows is looked at in C (``_check_answer`` written out):
    the answer (the seat's ring ends, the call answered), a hold ended by the caller's return to
    the bridge, a blind transfer's target taking the call. The Python method is not called, and
    the model is the same as the Python handlers leave it after every event."""
    called: list[object] = []
    original = ChannelEvents._check_answer

    def spy(self, bridge, at):
        called.append(self)
        return original(self, bridge, at)

    monkeypatch.setattr(ChannelEvents, "_check_answer", spy)
    for story in ("answered", "held"):
        c, python = World(True), World(False)
        for n, fields in enumerate(STORIES[story]):
            fields = {"Timestamp": f"{100 + n}.5", **fields}
            assert c.feed(fields) == python.feed(fields) == "", fields
            assert c.state() == python.state(), fields
        assert c.model not in called and python.model in called, story
        held = [e.held for e in c.events if type(e).__name__ == "CallHeld"]
        (ended,) = [e for e in c.events if type(e).__name__ == "CallEnded"]
        if story == "held":
            assert held == [True, False] and ended.hold_seconds == 2.0
        else:  # 2001's legs gone, 2002's enters the caller's bridge: theirs (a blind transfer)
            assert ended.agent_id == "2002" and [leg[0] for leg in ended.legs] == ["2001", "2002"]


@needs_c
def test_a_queue_s_ring_and_answer_are_the_c_bookkeeping_s_own(monkeypatch):
    """AgentCalled and AgentConnect are handled in C (the seat found by its member name or its
    interface, the ring, the others' rings cancelled by the answer, the answer's wait): neither
    Python handler is called, and the model is the same as theirs after every event."""
    called: list[tuple[object, str]] = []
    for name in ("_on_AgentCalled", "_on_AgentConnect"):
        original = getattr(QueueCallEvents, name)

        def spy(self, *args, _name=name, _original=original):
            called.append((self, _name))
            return _original(self, *args)

        monkeypatch.setattr(QueueCallEvents, name, functools.update_wrapper(spy, original))  # keeps @reads
    for story in ("answered", "connected"):
        c, python = World(True), World(False)
        for n, fields in enumerate(STORIES[story]):
            fields = {"Timestamp": f"{100 + n}.5", **fields}
            assert c.feed(fields) == python.feed(fields), fields
            assert c.state() == python.state(), fields
        assert [name for model, name in called if model is c.model] == [], story
        assert {name for model, name in called if model is python.model} >= {"_on_AgentCalled"}, story
    offered = [e for e in c.events if type(e).__name__ == "CallOffered"]
    assert [e.agent_id for e in offered] == ["2001", "2002"]
    assert c.agents.get("2002").state == "ready"  # its ring cancelled by 2001's answer
    (ended,) = [e for e in c.events if type(e).__name__ == "CallEnded"]
    # the wait since the caller queued (102.5 to 107.5), as the Python handler sets it
    assert (ended.agent_id, ended.outcome, ended.waited) == ("2001", "answered", 5.0)
    assert ended.agents_offered == ("2001", "2002")
    # an answer whose HoldTime is no number: the same error from both, the model the same after it
    c, python = World(True), World(False)
    errors = []
    for n, fields in enumerate([*_ARRIVES, {**STORIES["connected"][7], "HoldTime": "x"}]):
        fields = {"Timestamp": f"{100 + n}.5", **fields}
        errors.append(c.feed(fields))
        assert errors[-1] == python.feed(fields), fields
        assert c.state() == python.state(), fields
    assert errors[-1].startswith("ValueError") and not any(errors[:-1])


@needs_c
def test_a_leg_s_caller_id_is_the_c_bookkeeping_s_own(monkeypatch):
    """NewCallerid comes for each of a call's channels. The C code does what the Python handler
    does: nothing while the call has the caller ID the leg shows (or is not inbound, or unknown),
    else the customer's leg's caller ID taken, an agent's leg's left; the Python handler is not
    called, and the model is the same after each event."""
    called: list[tuple[object, str]] = []
    original = ChannelEvents._on_NewCallerid

    def spy(self, at, linkedid, uid, name, num, cname):
        called.append((self, uid))
        return original(self, at, linkedid, uid, name, num, cname)

    monkeypatch.setattr(ChannelEvents, "_on_NewCallerid", functools.update_wrapper(spy, original))
    c, python = World(True), World(False)

    def caller_id(uid: str, name: str, num: str, cname: str = "", linkedid: str = "1.1") -> dict:
        return dict(Event="NewCallerid", Linkedid=linkedid, Uniqueid=uid, Channel=name, CallerIDNum=num,
                    CallerIDName=cname)  # fmt: skip

    story = [
        _new("1.1", TRUNK, "hotline-inbound", Exten="95598"),  # no caller ID yet
        caller_id("1.1", TRUNK, "<unknown>"),  # still none: nothing to look at
        _new("1.2", CALLER, "hotline-inbound", Exten="95598"),
        caller_id("1.2", CALLER, "13800138000"),  # the customer's number: looked at in Python
        caller_id("1.2", CALLER, "13800138000"),  # known now, the name unknown: nothing
        _new("1.3", SEAT1),
        caller_id("1.3", SEAT1, "2001", "Zhang"),  # a name the call lacks: looked at (a seat's: not taken)
        caller_id("9.1", "PJSIP/trunk-00000009", "2001", "Zhang", linkedid="9.1"),  # no such call
    ]
    for n, fields in enumerate(story):
        fields = {**fields, "Timestamp": f"{100 + n}.5"}
        assert c.feed(fields) == python.feed(fields), fields
        assert c.state() == python.state(), fields
    call = c.model.calls["1.1"]
    assert (call.caller, call.caller_name) == ("13800138000", "")
    assert [uid for model, uid in called if model is c.model] == []
    assert len([uid for model, uid in called if model is python.model]) == 5  # every one of them


@needs_c
@pytest.mark.parametrize("method", ["_call_for", "_caller_from", "_hung_up", "_agent_channel_gone"])
def test_a_model_that_overrides_what_the_c_code_writes_out_keeps_the_python_handler(method):
    model_class = type(
        "Model", (CallModel,), {method: lambda self, *args: getattr(CallModel, method)(self, *args)}
    )
    book = AgentBook(lambda _e: None)
    model = model_class(lambda _e: None, book, QueueBoard(lambda _e: None, book))
    event = "Newchannel" if method in ("_call_for", "_caller_from") else "Hangup"
    assert model.listeners[event].handler == getattr(model, "_on_" + event)


@needs_c
def test_the_c_handlers_run_by_default_when_built():
    model = World(True).model
    for name, method in (
        ("Newchannel", "newchannel"),
        ("Hangup", "hangup"),
        ("BridgeEnter", "bridge_enter"),
        ("BridgeLeave", "bridge_leave"),
        ("NewCallerid", "newcallerid"),
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


@needs_c
def test_a_seat_s_legs_are_found_by_its_prefix_in_c_and_a_book_of_its_own_is_asked(monkeypatch):
    """Newchannel in C finds the seat of a leg in the book's prefix table itself (the same answer
    as AgentBook.by_channel, which an ordinary call no longer calls); a book with a by_channel of
    its own is asked each time, and its answer taken."""
    asked = []
    original = AgentBook.by_channel

    def spy(self, channel):
        asked.append(channel)
        return original(self, channel)

    monkeypatch.setattr(AgentBook, "by_channel", spy)
    c, python = World(True), World(False)
    _story(python)
    assert SEAT1 in asked  # the Python handler asks for each leg
    asked.clear()
    _story(c)
    assert asked == []
    assert c.state() == python.state()

    class Book(AgentBook):
        def by_channel(self, channel):
            asked.append(channel)
            return None  # nobody's seat: every leg is the caller's side

    events: list[object] = []
    book = Book(events.append)
    model = CallModel(events.append, book, QueueBoard(events.append, book), speedups=True)
    for agent_id, seat in SEATS.items():
        agent = book.ensure(agent_id, seat)
        book.apply(agent, "login", 1.0)
    model.handle(Frame.build(**_new("1.3", SEAT1), Timestamp="1.0"))
    assert asked == [SEAT1] and model.channels["1.3"].agent_id == ""


@needs_c
def test_a_caller_s_queue_join_is_the_c_bookkeeping_s_own(monkeypatch):
    """QueueCallerJoin is handled in C (the call found, the caller ID and channel, the queue leg, a
    new queue's overflow of the last one, the bridge's on_queued, the board's join, CallQueued):
    neither the Python handler nor _queued is called, and the model is the same as theirs after
    every event. A consultation's leg joining a queue is the Python handler's, in C too."""
    called: list[tuple[object, str]] = []
    for name in ("_on_QueueCallerJoin", "_queued", "_call_for", "_consult_leg_of"):
        owner = QueueCallEvents if name in vars(QueueCallEvents) else CallModel
        original = getattr(owner, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            called.append((self, _name))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, functools.update_wrapper(spy, original))  # keeps @reads
    told: dict[bool, list[tuple[str, str]]] = {True: [], False: []}
    for story in ("answered", "overflowed", "consulted_queue"):
        c, python = World(True), World(False)
        for world in (c, python):
            world.model.on_queued = lambda call, channel, _c=world is c: told[_c].append(
                (call.call_id, channel)
            )
        for n, fields in enumerate(STORIES[story]):
            fields = {"Timestamp": f"{100 + n}.5", **fields}
            assert c.feed(fields) == python.feed(fields) == "", fields
            assert c.state() == python.state(), fields
        in_c = [name for model, name in called if model is c.model]
        in_python = {name for model, name in called if model is python.model}
        assert in_python >= {"_on_QueueCallerJoin", "_queued", "_call_for"}, story
        if story == "consulted_queue":  # the consultation's leg: Python's to tell from the caller
            assert in_c == ["_on_QueueCallerJoin", "_call_for", "_consult_leg_of"], story
        else:
            assert in_c == [], story
        called.clear()
    # the caller's joins (answered's, overflowed's three, consulted_queue's first), not the consultation's leg's
    assert told[True] == told[False] == [("1.1", CALLER)] * 5
    (ended,) = [e for e in c.events if type(e).__name__ == "CallEnded"]
    assert c.model.calls == {} and ended.queue == "general" and ended.agent_id == "2001"
    # the overflow: general's leg closed as of its timeout (104.5 → 110.5), sales answered by 2002
    c = World(True)
    _story(c, "overflowed")
    (ended,) = [e for e in c.events if type(e).__name__ == "CallEnded"]
    assert [leg[:4] for leg in ended.queue_legs] == [
        ("general", 100.5, 100.5, "overflow"),
        ("sales", 100.5, 100.5, "answered"),
    ]
    assert (ended.queue, ended.agent_id, ended.ivr_path) == ("sales", "2002", ("overflow:general",))
    queued = [(e.queue, e.position, e.priority) for e in c.events if type(e).__name__ == "CallQueued"]
    assert queued == [("general", 1, 0), ("general", 1, 0), ("sales", 2, 5)]
    # a position that is no number: the same error from both, the model the same after it
    c, python = World(True), World(False)
    errors = []
    for n, fields in enumerate([*_ARRIVES[:2], {**_ARRIVES[2], "Position": "first"}]):
        fields = {"Timestamp": f"{100 + n}.5", **fields}
        errors.append(c.feed(fields))
        assert errors[-1] == python.feed(fields), fields
        assert c.state() == python.state(), fields
    assert errors[-1].startswith("ValueError") and not any(errors[:-1])
    assert c.model.calls["1.1"].customer_channel == CALLER  # set before the position is read, as in Python


@needs_c
@pytest.mark.parametrize("method", ["_queued", "_open_leg", "_consult_leg_of", "_start", "_call_for"])
def test_a_model_that_overrides_what_the_c_join_writes_out_keeps_the_python_handler(method):
    model_class = type(
        "Model",
        (CallModel,),
        {method: lambda self, *args, **kw: getattr(CallModel, method)(self, *args, **kw)},
    )
    book = AgentBook(lambda _e: None)
    model = model_class(lambda _e: None, book, QueueBoard(lambda _e: None, book), speedups=True)
    assert model.listeners["QueueCallerJoin"].handler == model._on_QueueCallerJoin
    handler = (
        CallModel(lambda _e: None, book, QueueBoard(lambda _e: None, book), speedups=True)
        .listeners["QueueCallerJoin"]
        .handler
    )
    assert type(handler.__self__).__name__ == "ChannelBook" and handler.__name__ == "queue_caller_join"
