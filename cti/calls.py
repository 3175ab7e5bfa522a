"""Channels → calls, grouped by linkedid, built from AMI events.

``CallModel.handle(frame)`` is pure bookkeeping: it updates calls, agents
(through ``AgentBook``) and queues (through ``QueueBoard``) and hands every
resulting event to ``notify``. Times come from Asterisk's ``Timestamp:``
header, so a record is as exact as Asterisk's own clock even when the bridge
lags. The bridge does the I/O (publishing, pausing a missed agent, recording).
"""

from __future__ import annotations

import collections
import dataclasses
import time
from collections.abc import Callable

from cti import agents as A
from cti.agents import AgentBook
from cti.ami.protocol import Frame
from cti.call_events import (
    CallAnswered,
    CallEnded,
    CallHeld,
    CallStarted,
    CallTransferred,
)
from cti.events import Event
from cti.queue_calls import QueueCallEvents
from cti.queues import QueueBoard

INBOUND_CONTEXTS = ("hotline-inbound",)
OUTBOUND_CONTEXTS = ("hotline-outbound",)
UNKNOWN = ("", "<unknown>")

# The events the model listens to; everything else is never parsed.
EVENTS = (
    "Newchannel",
    "NewCallerid",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentRingNoAnswer",
    "AgentDump",
    "AgentConnect",
    "AgentComplete",
    "BridgeEnter",
    "BridgeLeave",
    "Hold",
    "Unhold",
    "Hangup",
    "UserEvent",
    "MixMonitorStart",
    "QueueMemberAdded",
    "QueueMemberRemoved",
    "QueueMemberPause",
)


@dataclasses.dataclass
class Call:
    call_id: str
    direction: str = "internal"
    caller: str = ""
    caller_name: str = ""
    dnis: str = ""
    queue: str = ""
    ivr_path: list[str] = dataclasses.field(default_factory=list)
    agent_id: str = ""
    agents_offered: list[str] = dataclasses.field(default_factory=list)
    ringing: set[str] = dataclasses.field(default_factory=set)
    started_at: float = 0.0
    queued_at: float = 0.0
    ringing_at: float = 0.0
    answered_at: float = 0.0
    ended_at: float = 0.0
    hold_started: float = 0.0
    hold_seconds: float = 0.0
    waited: float = 0.0
    hangup_cause: int = 0
    hangup_side: str = ""
    outcome: str = ""
    overflow_target: str = ""
    recording: str = ""
    channels: set[str] = dataclasses.field(default_factory=set)  # uniqueids
    customer_channel: str = ""  # channel name of the caller/customer leg
    started_published: bool = False
    agent_channels: dict[str, set[str]] = dataclasses.field(default_factory=dict)  # agent -> uniqueids
    overflowed_from: set[str] = dataclasses.field(default_factory=set)

    def snapshot(self) -> dict[str, object]:
        body = dataclasses.asdict(self)
        for key in (
            "channels",
            "ringing",
            "agent_channels",
            "started_published",
            "hold_started",
            "overflowed_from",
        ):
            body.pop(key)
        body["ringing"] = sorted(self.ringing)
        body["on_hold"] = bool(self.hold_started)
        return body


@dataclasses.dataclass
class Channel:
    uniqueid: str
    name: str
    linkedid: str
    context: str = ""
    exten: str = ""
    agent_id: str = ""
    bridge: str = ""


class CallModel(QueueCallEvents):
    def __init__(
        self,
        notify: Callable[[Event], object],
        agents: AgentBook,
        queues: QueueBoard,
        *,
        on_missed: Callable[[A.Agent, str], object] | None = None,
        on_call_end: Callable[[Call], object] | None = None,
        on_recording_started: Callable[[Call, str], object] | None = None,
        on_acw: Callable[[A.Agent], object] | None = None,
        on_queued: Callable[[Call, str], object] | None = None,
    ) -> None:
        self.notify = notify
        self.agents = agents
        self.queues = queues
        self.on_missed = on_missed
        self.on_call_end = on_call_end
        self.on_recording_started = on_recording_started
        self.on_acw = on_acw
        self.on_queued = on_queued
        self.calls: dict[str, Call] = {}
        self.channels: dict[str, Channel] = {}
        self.by_name: dict[str, Channel] = {}
        self.bridges: dict[str, set[str]] = {}  # bridge id -> channel names
        self.expected: dict[str, dict[str, str]] = {}  # linkedid -> facts from our own Originate
        self.aliases: dict[str, str] = {}  # linkedid of a leg we added (conference) -> its call
        self.ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.restored: dict[str, Call] = {}  # calls known from the bus, not yet seen on AMI
        self._handlers = {name: getattr(self, "_on_" + name) for name in EVENTS}

    # -- entry point --------------------------------------------------------
    def handle(self, frame: Frame) -> None:
        handler = self._handlers.get(frame.name)
        if handler is not None:
            handler(frame, frame.timestamp or time.time())

    def expect(self, linkedid: str, **facts: str) -> None:
        """Facts about a call we originate ourselves (direction, agent, customer number)."""
        self.expected[linkedid] = facts

    def mark_ended(self, call_id: str) -> None:
        """Remember a call whose CallEnded is already published (by us or a previous run)."""
        self.ended[call_id] = None
        while len(self.ended) > 100_000:
            self.ended.popitem(last=False)

    # -- helpers ----------------------------------------------------------------
    def _find(self, frame: Frame) -> Call | None:
        linkedid = frame.get("Linkedid")
        return self.calls.get(self.aliases.get(linkedid, linkedid))

    def _call_of(self, frame: Frame, at: float) -> Call | None:
        linkedid = frame.get("Linkedid")
        if not linkedid or linkedid in self.ended:
            return None
        linkedid = self.aliases.get(linkedid, linkedid)
        call = self.calls.get(linkedid)
        if call is None:
            facts = self.expected.pop(linkedid, None)
            if facts and facts.get("join") in self.calls:
                self.aliases[linkedid] = facts["join"]
                return self.calls[facts["join"]]
            call = self.calls[linkedid] = Call(linkedid, started_at=at)
            if facts:
                call.direction = facts.get("direction", call.direction)
                call.dnis = facts.get("dnis", "")
                call.caller = facts.get("caller", "")
        return call

    def _start(self, call: Call) -> None:
        if not call.started_published:
            call.started_published = True
            self.notify(
                CallStarted(
                    call_id=call.call_id,
                    direction=call.direction,
                    caller=call.caller,
                    caller_name=call.caller_name,
                    dnis=call.dnis,
                    started_at=call.started_at,
                )
            )

    def _caller_from(self, call: Call, frame: Frame) -> None:
        if call.caller and call.caller_name:
            return
        num, name = frame.get("CallerIDNum"), frame.get("CallerIDName")
        if num not in UNKNOWN and not call.caller:
            call.caller = num
        if name not in UNKNOWN and not call.caller_name:
            call.caller_name = name

    def _agent_of(self, frame: Frame) -> A.Agent | None:
        agent = None
        member = frame.get("MemberName")
        if member:
            agent = self.agents.get(member)
        if agent is None:
            interface = frame.get("Interface")
            agent = self.agents.by_interface(interface) if interface else None
        return agent

    def _transition(self, agent: A.Agent, trigger: str, at: float, call_id: str = "") -> None:
        try:
            self.agents.apply(agent, trigger, at, call_id=call_id)
        except A.InvalidTransition:
            return
        if agent.state == A.AFTER_CALL_WORK and self.on_acw:
            self.on_acw(agent)

    # -- channels ---------------------------------------------------------------
    def _on_Newchannel(self, f: Frame, at: float) -> None:
        call = self._call_of(f, at)
        if call is None:
            return
        uid, name, context = f["Uniqueid"], f["Channel"], f.get("Context")
        chan = Channel(uid, name, call.call_id, context, f.get("Exten"))
        if uid in self.channels:
            return
        self.channels[uid] = chan
        self.by_name[name] = chan
        call.channels.add(uid)
        if uid == call.call_id and call.direction == "internal":
            if context in INBOUND_CONTEXTS:
                call.direction, call.dnis = "inbound", f.get("Exten")
            elif context in OUTBOUND_CONTEXTS:
                call.direction, call.dnis = "outbound", f.get("Exten")
        self._caller_from(call, f)
        agent = self.agents.by_channel(name)
        if agent is not None and agent.state != A.LOGGED_OUT:
            chan.agent_id = agent.agent_id
            call.agent_channels.setdefault(agent.agent_id, set()).add(uid)
            if len(call.agent_channels[agent.agent_id]) == 1 and agent.state in (
                A.READY,
                A.NOT_READY,
                A.AFTER_CALL_WORK,
            ):
                # Rings outside app_queue (click-to-dial, transfer target): no AgentCalled comes.
                self._transition(agent, "offer", at, call.call_id)
                if call.direction == "inbound" and call.answered_at:
                    self._offer(call, agent.agent_id, at)  # a transfer target gets the screen-pop too
        elif not call.customer_channel and call.direction == "inbound" and uid != call.call_id:
            call.customer_channel = name

    def _on_NewCallerid(self, f: Frame, at: float) -> None:
        call = self._find(f)
        if call is not None and call.direction == "inbound":
            self._caller_from(call, f)

    def _on_BridgeEnter(self, f: Frame, at: float) -> None:
        name, bridge = f["Channel"], f.get("BridgeUniqueid")
        members = self.bridges.setdefault(bridge, set())
        members.add(name)
        chan = self.by_name.get(name)
        if chan is not None:
            chan.bridge = bridge
        self._check_answer(bridge, at)

    def _check_answer(self, bridge: str, at: float) -> None:
        members = [self.by_name[n] for n in self.bridges.get(bridge, ()) if n in self.by_name]
        if len(members) < 2:
            return
        talkers = [c for c in members if c.agent_id]
        others = [c for c in members if not c.agent_id]
        for chan in talkers:
            call = self.calls.get(chan.linkedid)
            agent = self.agents.get(chan.agent_id)
            if call is None or agent is None:
                continue
            if others and not call.customer_channel:
                call.customer_channel = others[0].name
            # Only a bridge entered after the hold began resumes the call: a BridgeEnter
            # still in flight from the answer must not undo a hold made right after it.
            held = agent.state == A.ON_HOLD and call.hold_started and call.agent_id == agent.agent_id
            if held and at > call.hold_started:
                self.set_hold(call, False, at)
            elif agent.state in (A.RINGING, A.READY, A.NOT_READY, A.AFTER_CALL_WORK):
                self._transition(agent, "answer", at, call.call_id)
            if not call.answered_at:
                self._answered(call, agent.agent_id, at)
            elif call.agent_id != agent.agent_id and agent.state == A.TALKING:
                call.agent_id = agent.agent_id  # a transfer target took over

    def _check_answers(self, call: Call, at: float) -> None:
        """Resync: answer/customer facts from the bridges the call's channels are in."""
        for bridge in {self.channels[u].bridge for u in call.channels if u in self.channels} - {""}:
            self._check_answer(bridge, at)

    def _on_BridgeLeave(self, f: Frame, at: float) -> None:
        name, bridge = f["Channel"], f.get("BridgeUniqueid")
        members = self.bridges.get(bridge)
        if members is not None:
            members.discard(name)
            if not members:
                del self.bridges[bridge]
        chan = self.by_name.get(name)
        if chan is not None and chan.bridge == bridge:
            chan.bridge = ""

    def _answered(self, call: Call, agent_id: str, at: float, waited: float | None = None) -> None:
        call.answered_at = at
        call.agent_id = agent_id
        if waited is None:
            waited = at - call.queued_at if call.queued_at else 0.0
        call.waited = round(max(0.0, waited), 3)
        self._start(call)
        self.notify(
            CallAnswered(
                call_id=call.call_id,
                agent_id=agent_id,
                queue=call.queue,
                caller=call.caller,
                answered_at=at,
                waited=call.waited,
            )
        )

    def set_hold(self, call: Call, held: bool, at: float) -> None:
        """Hold started or ended by our own command (no Hold event comes for a redirect)."""
        if not call.answered_at or bool(call.hold_started) == held:
            return
        if held:
            call.hold_started = at
        else:
            call.hold_seconds += at - call.hold_started
            call.hold_started = 0.0
        agent = self.agents.get(call.agent_id)
        if agent is not None:
            self._transition(agent, "hold" if held else "unhold", at, call.call_id)
        self.notify(CallHeld(call_id=call.call_id, agent_id=call.agent_id, held=held, at=at))

    def transferred(self, call: Call, agent_id: str, kind: str, target: str, at: float) -> None:
        call.ivr_path.append(f"{kind}:{target}")
        self.notify(CallTransferred(call_id=call.call_id, agent_id=agent_id, kind=kind, target=target, at=at))

    def _on_Hold(self, f: Frame, at: float) -> None:
        self._hold(f, at, True)

    def _on_Unhold(self, f: Frame, at: float) -> None:
        self._hold(f, at, False)

    def _hold(self, f: Frame, at: float, held: bool) -> None:
        call = self._find(f)
        if call is not None:
            self.set_hold(call, held, at)

    def _on_Hangup(self, f: Frame, at: float) -> None:
        uid = f.get("Uniqueid")
        chan = self.channels.pop(uid, None)
        if chan is None:
            return
        if self.by_name.get(chan.name) is chan:
            del self.by_name[chan.name]
        if chan.bridge:
            self.bridges.get(chan.bridge, set()).discard(chan.name)
        call = self.calls.get(chan.linkedid)
        if call is None:
            return
        call.channels.discard(uid)
        cause = int(f.get("Cause", "0") or 0)
        if chan.agent_id:
            self._agent_leg_gone(call, chan, at)
            if call.answered_at and not call.hangup_side:
                call.hangup_side = "agent"
        else:
            if call.answered_at and not call.hangup_side and chan.name == call.customer_channel:
                call.hangup_side = "caller"
            if not call.hangup_cause or chan.name == call.customer_channel:
                call.hangup_cause = cause
        if not call.channels:
            self.end(call, at)

    def _agent_leg_gone(self, call: Call, chan: Channel, at: float) -> None:
        legs = call.agent_channels.get(chan.agent_id, set())
        legs.discard(chan.uniqueid)
        if legs:
            return
        agent = self.agents.get(chan.agent_id)
        if agent is None or agent.call_id != call.call_id:
            return
        if agent.state == A.RINGING:
            self._transition(agent, "cancel", at)
        elif agent.state in (A.TALKING, A.ON_HOLD):
            self._transition(agent, "end", at, call.call_id)

    # -- the end ------------------------------------------------------------------
    def end(self, call: Call, at: float) -> CallEnded | None:
        """Close ``call`` and publish its record, exactly once."""
        self.calls.pop(call.call_id, None)
        for uid in list(call.channels):
            chan = self.channels.pop(uid, None)
            if chan is not None and self.by_name.get(chan.name) is chan:
                del self.by_name[chan.name]
        for agent_id in list(call.ringing):
            agent = self.agents.get(agent_id)
            if agent is not None and agent.state == A.RINGING and agent.call_id == call.call_id:
                self._transition(agent, "cancel", at)
        for agent_id in call.agent_channels:
            agent = self.agents.get(agent_id)
            if agent is not None and agent.call_id == call.call_id and agent.state in (A.TALKING, A.ON_HOLD):
                self._transition(agent, "end", at, call.call_id)
            elif agent is not None and agent.call_id == call.call_id and agent.state == A.RINGING:
                self._transition(agent, "cancel", at)
        if call.call_id in self.ended:
            return None
        self.mark_ended(call.call_id)
        for leg in [k for k, v in self.aliases.items() if v == call.call_id]:
            del self.aliases[leg]
        call.ended_at = at
        if call.hold_started:
            call.hold_seconds += at - call.hold_started
            call.hold_started = 0.0
        if call.answered_at:
            call.outcome = "answered"
        elif not call.outcome:
            if call.queued_at:
                call.outcome = "abandoned_ringing" if call.ringing_at and call.ringing else "abandoned_queue"
                call.waited = round(at - call.queued_at, 3)
                if not call.hangup_side:
                    call.hangup_side = "caller"
            else:
                call.outcome = "failed"
        if call.queue:
            self.queues.leave(call.queue, call.call_id, at)
            if call.outcome != "overflow":
                # the wait that counts for the service level: queue join to answer
                waited = call.answered_at - call.queued_at if call.answered_at and call.queued_at else None
                self.queues.outcome(call.queue, call.outcome, at, waited)
        self._start(call)
        event = CallEnded(
            call_id=call.call_id,
            direction=call.direction,
            outcome=call.outcome,
            caller=call.caller,
            caller_name=call.caller_name,
            dnis=call.dnis,
            queue=call.queue,
            agent_id=call.agent_id,
            agents_offered=tuple(call.agents_offered),
            ivr_path=tuple(call.ivr_path),
            started_at=call.started_at,
            queued_at=call.queued_at,
            ringing_at=call.ringing_at,
            answered_at=call.answered_at,
            ended_at=at,
            hold_seconds=round(call.hold_seconds, 3),
            hangup_cause=call.hangup_cause,
            hangup_side=call.hangup_side or ("system" if call.outcome == "failed" else ""),
            overflow_target=call.overflow_target,
            recording=call.recording,
            waited=call.waited,
        )
        self.notify(event)
        if self.on_call_end:
            self.on_call_end(call)
        return event
