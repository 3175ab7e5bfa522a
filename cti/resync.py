"""Rebuilding the model after a (re)connect or a restart of the bridge.

Two sources: the bus (what this bridge, or its previous run, already
published: exact timestamps, which CallEnded went out) and Asterisk itself
(``CoreShowChannels``: the channels alive now; ``QueueStatus``: members,
pauses and waiting callers). Asterisk wins where they disagree; the bus fills
in what Asterisk cannot tell (when a call was answered, who was offered).
Corrections are published; what did not change is not published again.
"""

from __future__ import annotations

import logging
import time

from cti import agents as A
from cti.ami import AmiClient, Frame
from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered, CallQueued, CallStarted
from cti.calls import Call, CallModel, Channel
from cti.events import Event

log = logging.getLogger(__name__)


class History:
    """What the bus already carries about recent calls and agents."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.ended: set[str] = set()
        self.agents: dict[str, AgentStateChanged] = {}
        self.last_seq = 0

    def add(self, event: Event) -> None:
        self.last_seq = max(self.last_seq, event.seq)
        if isinstance(event, AgentStateChanged):
            self.agents[event.agent_id] = event
            return
        call_id = getattr(event, "call_id", None)
        if call_id is None:
            return
        if isinstance(event, CallEnded):
            self.ended.add(call_id)
            self.calls.pop(call_id, None)
            return
        if call_id in self.ended:
            return
        if isinstance(event, CallStarted):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.direction, call.caller, call.caller_name = event.direction, event.caller, event.caller_name
            call.dnis, call.started_at, call.started_published = event.dnis, event.started_at, True
        elif isinstance(event, CallQueued):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.queue, call.queued_at = event.queue, event.queued_at
        elif isinstance(event, CallOffered):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.ringing_at = call.ringing_at or event.offered_at
            if event.agent_id not in call.agents_offered:
                call.agents_offered.append(event.agent_id)
        elif isinstance(event, CallAnswered):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.agent_id, call.waited = event.agent_id, event.waited
            call.answered_at = call.answered_at or event.answered_at
            call.legs.append([event.agent_id, event.answered_at, 0.0])


def restore(model: CallModel, history: History) -> None:
    """Seed a fresh model from the bus history (before the first AMI connect)."""
    for call_id in history.ended:
        model.mark_ended(call_id)
    for event in history.agents.values():
        agent = model.agents.ensure(event.agent_id, event.seat)
        agent.state, agent.reason, agent.call_id, agent.since = (
            event.state,
            event.reason,
            event.call_id,
            event.at,
        )
    model.queues.recount()  # the states were set here, not by the book's transitions
    model.restored = dict(history.calls)


def _duration(text: str) -> float:
    try:
        h, m, s = (int(x) for x in text.split(":"))
        return h * 3600 + m * 60 + s
    except ValueError:
        return 0.0


async def resync(ami: AmiClient, model: CallModel) -> None:
    """Make the model match Asterisk now; publish what changed."""
    channels = await ami.action_list("CoreShowChannels")
    status = await ami.action_list("QueueStatus")
    now = time.time()
    apply_channels(model, channels, now)
    apply_queue_status(model, status, now)


def apply_channels(model: CallModel, frames: list[Frame], now: float) -> None:
    live_by_call: dict[str, list[Frame]] = {}
    for f in frames:
        linkedid = f.get("Linkedid")
        live_by_call.setdefault(model.aliases.get(linkedid, linkedid), []).append(f)
    # Calls that ended while we were away: close them once, with what we know.
    for call_id, call in list(model.calls.items()):
        if call_id not in live_by_call:
            model.end(call, now)
    live_uids = {f.get("Uniqueid") for f in frames}
    for uid in [u for u in model.channels if u not in live_uids]:
        chan = model.channels.pop(uid)
        model.by_name.pop(chan.name, None)
    model.bridges.clear()
    restored = model.restored
    # Calls the bus knows as running (a previous run published their start)
    # but Asterisk no longer has: they ended while no bridge was watching.
    for call_id in [c for c in restored if c not in live_by_call]:
        model.end(restored.pop(call_id), now)
    for call_id, chans in live_by_call.items():
        if call_id in model.ended:
            continue
        call = model.calls.get(call_id)
        if call is None:
            call = restored.pop(call_id, None) or Call(call_id)
            model.calls[call_id] = call
            oldest = max((_duration(f.get("Duration")) for f in chans), default=0.0)
            call.started_at = call.started_at or now - oldest
        for f in chans:
            _channel(model, call, f)
    for call in model.calls.values():
        model._check_answers(call, now)


def _channel(model: CallModel, call: Call, f: Frame) -> None:
    uid, name = f.get("Uniqueid"), f.get("Channel")
    chan = model.channels.get(uid)
    if chan is None:
        chan = Channel(uid, name, call.call_id, f.get("Context"), f.get("Exten"))
        model.channels[uid] = chan
        model.by_name[name] = chan
    call.channels.add(uid)
    chan.bridge = f.get("BridgeId")
    if chan.bridge:
        model.bridges.setdefault(chan.bridge, set()).add(name)
    if uid == call.call_id and call.direction == "internal" and chan.context == "hotline-inbound":
        call.direction, call.dnis = "inbound", chan.exten
    agent = model.agents.by_channel(name)
    if agent is not None:
        chan.agent_id = agent.agent_id
        call.agent_channels.setdefault(agent.agent_id, set()).add(uid)
    elif f.get("Application") == "Queue":
        call.customer_channel = name
        call.queue = call.queue or f.get("ApplicationData").split(",")[0]
        call.direction = "inbound" if call.direction == "internal" else call.direction
        for key, attr in (("CallerIDNum", "caller"), ("CallerIDName", "caller_name")):
            if not getattr(call, attr) and f.get(key) not in ("", "<unknown>"):
                setattr(call, attr, f.get(key))


def apply_queue_status(model: CallModel, frames: list[Frame], now: float) -> None:
    members: dict[str, dict[str, object]] = {}
    seen_queues: set[str] = set()
    seen_members: set[tuple[str, str]] = set()
    for f in frames:
        if f.name == "QueueParams":
            seen_queues.add(f.get("Queue"))
        elif f.name == "QueueMember":
            queue, interface = f.get("Queue"), f.get("StateInterface") or f.get("Location")
            agent_id = f.get("Name") or interface
            paused, reason = f.get("Paused") == "1", f.get("PausedReason")
            penalty = int(f.get("Penalty", "0") or 0)
            seen_members.add((queue, interface))
            model.queues.member(queue, interface, agent_id, penalty, paused, reason, now)
            entry = members.setdefault(
                agent_id, {"interface": interface, "skills": {}, "paused": paused, "reason": reason}
            )
            entry["skills"][queue] = penalty  # type: ignore[index]
        elif f.name == "QueueEntry":
            call_id = model.aliases.get(f.get("Linkedid"), f.get("Linkedid")) or f.get("Uniqueid")
            queue = model.queues.get(f.get("Queue"))
            queue.waiting.setdefault(call_id, now - float(f.get("Wait", "0") or 0))
    # Members Asterisk no longer has are gone from the board.
    for queue in model.queues.queues.values():
        if queue.name in seen_queues:
            for interface in [i for i in queue.members if (queue.name, i) not in seen_members]:
                del queue.members[interface]
    model.queues.recount()  # members were dropped here, not through the board
    for agent_id, info in members.items():
        agent = model.agents.ensure(agent_id, str(info["interface"]))
        agent.skills = dict(info["skills"])  # type: ignore[arg-type]
        agent.paused = bool(info["paused"])
        _agent_state(model, agent, str(info["reason"]), now)
    for agent in model.agents.agents.values():
        if agent.agent_id not in members and agent.state != A.LOGGED_OUT:
            model.agents.force(agent, A.LOGGED_OUT, now)
    for name in seen_queues | set(model.queues.queues):
        model.queues.publish(name, now)


def _agent_state(model: CallModel, agent: A.Agent, reason: str, now: float) -> None:
    call = next((c for c in model.calls.values() if c.agent_channels.get(agent.agent_id)), None)
    if call is not None:
        bridged = any(
            model.channels[u].bridge for u in call.agent_channels[agent.agent_id] if u in model.channels
        )
        state = (A.ON_HOLD if call.hold_started else A.TALKING) if bridged else agent.state
        if state in (A.TALKING, A.ON_HOLD):
            model.agents.force(
                agent, state, agent.since if agent.state == state else now, call_id=call.call_id
            )
            return
    if agent.paused:
        state = A.AFTER_CALL_WORK if reason == A.ACW_REASON else A.NOT_READY
        if agent.state != state or agent.reason != reason:
            model.agents.force(agent, state, now, reason=reason)
    elif agent.state != A.READY:
        model.agents.force(agent, A.READY, now)
