"""The bridge's agents, queues and calls as the bus tells them, for other processes.

A web process does not hold the bridge, yet its console needs the same
snapshots (an agent's state before a command, the seat's call after a
reconnect, the wallboard). ``BridgeMirror`` rebuilds them from the bus: the
history first (``replay``), then every new event, each applied once (an
event's ``seq`` at or below the last one applied changes nothing, so the
history and the live subscription may overlap).

An agent's skills and a queue's members come with ``QueueMemberChanged`` (a
seat joined a queue, at a penalty, or left it), a queue's waiting calls with the
calls' own events (queued, answered, ended). What the events cannot give, the
present of a bridge that has been running longer than the bus keeps history,
or the members Asterisk had when the bridge (re)connected, ``fill`` takes
from the active bridge's own present (``cti.remote``); the mirror says when it
wants it (``on_details_missing``): after it started, and when the bridge
(re)connects to Asterisk. Not when an agent signs in or out: with 500 agents
starting a shift, that was the whole present, every agent and every member,
once per sign-in.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from typing import Any

from cti import agents as A
from cti.bus import Bus, Subscription
from cti.call_events import (
    AcwHoldChanged,
    AgentStateChanged,
    AmiConnectionChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallOffered,
    CallQueued,
    CallStarted,
    CallTransferred,
    ConferenceLeft,
    ConsultChanged,
    QueueMemberChanged,
    QueueUpdated,
    SpyChanged,
)
from cti.events import Event

MIRRORED = (
    AgentStateChanged,
    AcwHoldChanged,
    AmiConnectionChanged,
    QueueMemberChanged,
    CallStarted,
    CallQueued,
    CallOffered,
    CallAnswered,
    CallHeld,
    CallTransferred,
    CallEnded,
    QueueUpdated,
    SpyChanged,
    ConsultChanged,
    ConferenceLeft,
)
_REPLAY_BATCH = 10_000
_ENDED_KEPT = 2_000  # ended calls remembered, so that a late present cannot bring one back


_ON_A_CALL = (A.TALKING, A.ON_HOLD)


def _call(call_id: str) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "direction": "internal",
        "caller": "",
        "caller_name": "",
        "dnis": "",
        "queue": "",
        "ivr_path": [],
        "agent_id": "",
        "agents_offered": [],
        "ringing": [],
        "started_at": 0.0,
        "queued_at": 0.0,
        "ringing_at": 0.0,
        "answered_at": 0.0,
        "waited": 0.0,
        "on_hold": False,
        # who last handed the caller on, and when (the bridge's ``transferred_from``: the next
        # seat's console, reloaded, still says 转接自 1001)
        "transferred_from": "",
        "transferred_at": 0.0,
        "transfer_note": "",  # and what they wrote for the next seat (转接备注)
        # each queue the caller entered, as the bridge's ``QueueLeg``s (the board counts per leg)
        "queue_legs": [],
        # a colleague in a 三方通话 -> the agent who brought them into it (the bridge's ``invited``)
        "invited": {},
        # a colleague consulted (咨询转接) -> the agent who consults them (the bridge's ``consulted``:
        # their console, reloaded, still says whose consultation it is)
        "consulted": {},
    }


def _handed_on(call: dict[str, Any], event: CallOffered | CallAnswered) -> None:
    """A ring or answer saying who handed the caller on (``transferred_from``): the call's, as the
    bridge's (in whichever order its ``CallTransferred`` comes)."""
    if event.transferred_from:
        call.update(
            transferred_from=event.transferred_from,
            transferred_at=event.transferred_at,
            transfer_note=event.transfer_note,
        )


def _open_leg(call: dict[str, Any]) -> dict[str, Any] | None:
    legs = call.setdefault("queue_legs", [])
    return legs[-1] if legs and not legs[-1].get("outcome") else None


#: a queue's counters that add up over the Asterisk servers having a queue of its name
_ADDED = (
    "waiting",
    "agents_ready",
    "agents_logged_in",
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "overflowed",
    "answered_in_sl",
)


def _counters(event: QueueUpdated) -> tuple[dict[str, Any], float]:
    body = event.to_dict()
    for key in ("event", "seq", "ts", "server"):
        body.pop(key)
    return body, event.ts or time.time()


def _summed(parts: dict[str, tuple[dict[str, Any], float]], at: float) -> dict[str, Any]:
    """One queue's counters over the servers having it, as of ``at``: the counts added, the
    longest wait the longest of any (each grown by the time since its server said it)."""
    bodies = [body for body, _ in parts.values()]
    summed = dict(bodies[-1])
    for key in _ADDED:
        summed[key] = sum(int(body.get(key) or 0) for body in bodies)
    summed["longest_wait"] = round(
        max(
            (float(body.get("longest_wait") or 0) + (at - when) if body.get("waiting") else 0.0)
            for body, when in parts.values()
        ),
        3,
    )
    return summed


class BridgeMirror:
    def __init__(self, bus: Bus, *, on_details_missing: Callable[[], None] | None = None) -> None:
        self.bus = bus
        self.on_details_missing = on_details_missing or (lambda: None)
        self.ami_connected: bool | None = None
        self._ami_seq = 0
        #: each Asterisk server's AMI link (``AmiConnectionChanged.server``: host:port), for
        #: several servers on one bus; ``ami_connected`` is the last word of any of them
        self.ami_servers: dict[str, bool] = {}
        #: and the reason its bridge gave last (``misconfigured: …``: it refuses its Asterisk)
        self.ami_reasons: dict[str, str] = {}
        self._ami_server_seq: dict[str, int] = {}
        self.last_seq = 0
        self._agents: dict[str, dict[str, Any]] = {}
        self._queues: dict[str, dict[str, Any]] = {}
        self._queue_at: dict[str, float] = {}  # when the queue's longest wait was measured
        #: several Asterisk servers on this bus (``RemoteBridge`` with routes): a queue name some
        #: of them share is one row, their counters added up (``summed_queue``)
        self.several_servers = False
        #: queue -> server -> (its last counters, when): several Asterisk servers with one queue name
        self._queue_parts: dict[str, dict[str, tuple[dict[str, Any], float]]] = {}
        self._calls: dict[str, dict[str, Any]] = {}
        self._spies: dict[str, dict[str, Any]] = {}  # spy id -> a supervisor on an agent's call
        #: agent id -> the call an intake form holds the after-call work of (``AcwHoldChanged``)
        self._acw_held: dict[str, str] = {}
        # ended calls, each as it was at its end (an agent in after-call work is still writing it up)
        self._ended: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        # As the bridge: a call stays its agent's until that agent leaves it; whoever answered
        # it since (consulted, in a conference) and still talks on it then has it.
        self._joined: dict[str, list[str]] = {}  # call id -> agents who answered it, in turn
        self._holder_gone: set[str] = set()  # calls whose agent left with nobody to take them
        self._subscription: Subscription | None = None
        self._live: list[Event] | None = None  # events that arrive while the history is read

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        self._live = []
        self._subscription = self.bus.subscribe(self._on_event, types=MIRRORED)
        # The Redis subscription finds its start in the background: wait for it, so that
        # nothing falls between the end of the history and the first live event.
        ready = getattr(self._subscription, "ready", None)
        if isinstance(ready, asyncio.Future):
            await ready
        after = 0
        while True:
            batch = await self.bus.replay(after, _REPLAY_BATCH)
            for event in batch:
                if isinstance(event, MIRRORED):
                    self.apply(event)
            if len(batch) < _REPLAY_BATCH:
                break
            after = batch[-1].seq
        live, self._live = self._live, None
        for event in live:
            self.apply(event)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    async def _on_event(self, event: Event) -> None:
        if self._live is not None:
            self._live.append(event)
        else:
            self.apply(event)

    # -- snapshots (the shapes CtiBridge's own snapshots have) -----------------------------
    def agents(self) -> list[dict[str, Any]]:
        return [self._snapshot(a) for a in self._agents.values()]

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        agent = self._agents.get(agent_id)
        return self._snapshot(agent) if agent is not None else None

    def _snapshot(self, agent: dict[str, Any]) -> dict[str, Any]:
        call_id = agent.get("call_id", "")
        held = self._acw_held.get(agent["agent_id"], "")
        return {**agent, "acw_held": A.acw_held(agent.get("state", ""), call_id, held), "acw_hold_call": held}

    def queues(self) -> list[dict[str, Any]]:
        now = time.time()
        out = []
        for name, queue in self._queues.items():
            body = dict(queue)
            if body.get("waiting"):
                body["longest_wait"] = round(body["longest_wait"] + now - self._queue_at.get(name, now), 3)
            out.append(body)
        return out

    def calls(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self._calls.values()]

    def spies(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self._spies.values()]

    def ended_call(self, call_id: str) -> dict[str, Any] | None:
        """A call that ended lately, as it was at its end (the one an agent in ACW writes up)."""
        call = self._ended.get(call_id)
        return dict(call) if call else None

    # -- events -----------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        if event.seq:
            if event.seq <= self.last_seq:
                return  # seen already (history and live overlap)
            self.last_seq = event.seq
        kind = type(event)
        if kind is AgentStateChanged:
            self._agent_state(event)  # type: ignore[arg-type]
        elif kind is QueueUpdated:
            self._queue(event)  # type: ignore[arg-type]
        elif kind is QueueMemberChanged:
            self._member(event)  # type: ignore[arg-type]
        elif kind is AmiConnectionChanged:
            self.connection(event)  # type: ignore[arg-type]
        elif kind is SpyChanged:
            self._spy(event)  # type: ignore[arg-type]
        elif kind is ConsultChanged:
            self._consult(event)  # type: ignore[arg-type]
        elif kind is AcwHoldChanged:
            self._acw_hold(event)  # type: ignore[arg-type]
        else:
            self._call_event(event)

    def connection(self, event: AmiConnectionChanged) -> None:
        """The bridge's AMI link, up or down; the latest event wins, whichever way it came."""
        if not event.seq or event.seq > self._ami_server_seq.get(event.server, 0):
            self._ami_server_seq[event.server] = event.seq or self._ami_server_seq.get(event.server, 0)
            self.ami_servers[event.server] = event.connected
            self.ami_reasons[event.server] = event.reason
        if event.seq and event.seq <= self._ami_seq:
            return
        self._ami_seq = event.seq
        self.ami_connected = event.connected
        if event.connected:
            self.on_details_missing()  # resynced: members and skills may have changed

    def _agent_of(self, agent_id: str, seat: str) -> dict[str, Any]:
        return self._agents.setdefault(
            agent_id, {"agent_id": agent_id, "seat": seat, "skills": {}, "state": A.LOGGED_OUT}
        )

    def _left(self, agent_id: str, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or call["agent_id"] != agent_id:
            return
        staying = [
            other
            for other in self._joined.get(call_id, ())
            if other != agent_id
            and self._agents.get(other, {}).get("state") in _ON_A_CALL
            and self._agents[other].get("call_id") == call_id
        ]
        if staying:
            call["agent_id"] = staying[-1]
        else:
            self._holder_gone.add(call_id)  # the next to answer it has it (a blind transfer)

    def _consult(self, event: ConsultChanged) -> None:
        """The agent's consultation, as the bridge's agent snapshot has it."""
        agent = self._agents.get(event.agent_id)
        if agent is not None:
            ended = event.state == "ended"
            caller_gone = event.state == "caller_gone"
            agent["consult"] = (
                None
                if ended
                else {"call_id": event.call_id, "target": event.target, "caller_gone": caller_gone}
            )

    def _acw_hold(self, event: AcwHoldChanged) -> None:
        if event.held:
            self._acw_held[event.agent_id] = event.call_id
        elif self._acw_held.get(event.agent_id) == event.call_id:
            del self._acw_held[event.agent_id]

    def _spy(self, event: SpyChanged) -> None:
        if event.ended:
            self._spies.pop(event.spy_id, None)
            return
        body = event.to_dict()
        for key in ("event", "seq", "ts", "ended"):
            body.pop(key)
        self._spies[event.spy_id] = body

    def _queue_of(self, name: str) -> dict[str, Any]:
        return self._queues.setdefault(name, {"queue": name, "waiting_calls": [], "members": []})

    def _agent_state(self, event: AgentStateChanged) -> None:
        agent = self._agent_of(event.agent_id, event.seat)
        if event.state not in _ON_A_CALL and agent.get("state") in _ON_A_CALL:
            self._left(event.agent_id, agent.get("call_id", ""))
        agent.update(
            seat=event.seat or agent.get("seat", ""),
            state=event.state,
            reason=event.reason,
            since=event.at or event.ts,
            call_id=event.call_id,
        )
        if event.state == A.LOGGED_OUT:
            agent["skills"] = {}  # as the bridge forgets them
        for queue in self._queues.values():
            for member in queue.get("members", ()):
                if member.get("agent_id") == event.agent_id:
                    member["paused"] = event.state != "ready"

    def _member(self, event: QueueMemberChanged) -> None:
        queue = self._queue_of(event.queue)
        members = [m for m in queue.get("members", ()) if m.get("interface") != event.interface]
        agent = self._agent_of(event.agent_id, event.interface) if event.agent_id else None
        if not event.removed:
            paused = agent is None or agent.get("state") != "ready"
            members.append(
                {
                    "interface": event.interface,
                    "agent_id": event.agent_id,
                    "penalty": event.penalty,
                    "paused": paused,
                    "reason": "",
                }
            )
        queue["members"] = members
        if agent is not None:
            skills = agent.setdefault("skills", {})
            if event.removed:
                skills.pop(event.queue, None)
            else:
                skills[event.queue] = event.penalty

    def _queue(self, event: QueueUpdated) -> None:
        queue = self._queue_of(event.queue)
        body, at = _counters(event)
        parts = self._queue_parts.setdefault(event.queue, {})
        if event.server:
            parts.pop("", None)  # a bridge from before queues named their server
        parts[event.server] = (body, at)
        summed = self.summed_queue(event) if self.several_servers else None
        queue.update(summed if summed is not None else body)
        self._queue_at[event.queue] = at

    def summed_queue(self, event: QueueUpdated) -> dict[str, Any] | None:
        """With a queue of ``event``'s name on several Asterisk servers (each bridge's
        ``QueueUpdated`` names its server): their counters added up, ``event``'s among them, as
        the wallboard shows the queue; None when one server has it (``event`` is its whole row)."""
        body, at = _counters(event)
        parts = dict(self._queue_parts.get(event.queue, {}))
        if event.server:
            parts.pop("", None)
        parts[event.server] = (body, at)
        live = {s: part for s, part in parts.items() if self.ami_servers.get(s) is not False}
        return _summed(live, at) if len(live) > 1 else None

    def _waiting(self, call_id: str, queue: str = "") -> None:
        """``call_id`` left every queue's waiting calls, and joined ``queue``'s at the back."""
        for name, body in self._queues.items():
            waiting = body.get("waiting_calls")
            if waiting and call_id in waiting and name != queue:
                waiting.remove(call_id)
        if queue:
            waiting = self._queue_of(queue).setdefault("waiting_calls", [])
            if call_id not in waiting:
                waiting.append(call_id)

    def _call_event(self, event: Event) -> None:
        call_id: str = event.call_id  # type: ignore[attr-defined]
        if isinstance(event, CallQueued) and call_id not in self._ended:
            self._waiting(call_id, event.queue)  # an overflow leaves the queue before for the next
        elif isinstance(event, (CallAnswered, CallEnded)):
            self._waiting(call_id)
        if isinstance(event, CallEnded) and event.relayed:
            return  # its legs on another server ended: the call is over when its own server says so
        if isinstance(event, CallEnded):
            call = self._calls.pop(call_id, None) or _call(call_id)
            for key in (
                "direction",
                "caller",
                "caller_name",
                "dnis",
                "queue",
                "agent_id",
                "started_at",
                "queued_at",
                "answered_at",
                "waited",
            ):
                call[key] = getattr(event, key) or call[key]
            call["ivr_path"] = list(event.ivr_path) or call["ivr_path"]
            call.update(ringing=[], on_hold=False)
            self._joined.pop(call_id, None)
            self._holder_gone.discard(call_id)
            self._ended[call_id] = call
            while len(self._ended) > _ENDED_KEPT:
                self._ended.popitem(last=False)
            return
        if call_id in self._ended:
            return
        call = self._calls.get(call_id)
        if call is None:
            call = self._calls[call_id] = _call(call_id)
        if isinstance(event, CallStarted):
            call.update(
                direction=event.direction,
                caller=event.caller,
                caller_name=event.caller_name,
                dnis=event.dnis,
                started_at=event.started_at,
            )
        elif isinstance(event, CallQueued):
            waiting = _open_leg(call)
            if waiting is None or waiting["queue"] != event.queue:
                if waiting is not None:  # left unanswered for this queue: its overflow
                    waiting.update(left_at=event.queued_at, outcome="overflow")
                call["queue_legs"].append(
                    {
                        "queue": event.queue,
                        "queued_at": event.queued_at,
                        "left_at": 0.0,
                        "outcome": "",
                        "agent_id": "",
                    }
                )
            call.update(queue=event.queue, queued_at=event.queued_at)
        elif isinstance(event, CallOffered):
            call["ringing_at"] = call["ringing_at"] or event.offered_at
            call["caller"] = call["caller"] or event.caller
            call["queue"] = call["queue"] or event.queue
            call["ivr_path"] = list(event.ivr_path) or call["ivr_path"]
            if event.agent_id not in call["agents_offered"]:
                call["agents_offered"].append(event.agent_id)
            call["ringing"] = sorted({*call["ringing"], event.agent_id})
            _handed_on(call, event)
            if event.consult_from:
                call.setdefault("consulted", {})[event.agent_id] = event.consult_from
        elif isinstance(event, CallAnswered):  # the first answer, or another agent on the call
            waiting = _open_leg(call)
            if waiting is not None:  # the caller's answer in the queue it waits in
                waiting.update(left_at=event.answered_at, outcome="answered", agent_id=event.agent_id)
            joined = self._joined.setdefault(call_id, [])
            if event.agent_id not in joined:
                joined.append(event.agent_id)
            if not call["agent_id"] or call_id in self._holder_gone:
                call["agent_id"] = event.agent_id
                self._holder_gone.discard(call_id)
            call.update(
                answered_at=call["answered_at"] or event.answered_at,
                waited=event.waited,
                ringing=[],
            )
            _handed_on(call, event)
            # consulted, or (announced again without it: the transfer completed) the caller's agent
            consulted = call.setdefault("consulted", {})
            if event.consult_from:
                consulted[event.agent_id] = event.consult_from
            else:
                consulted.pop(event.agent_id, None)
        elif isinstance(event, CallHeld):
            call["on_hold"] = event.held
        elif isinstance(event, CallTransferred) and event.kind == "blind":
            call["agent_id"] = ""  # the caller left this agent; the target's answer names the next
            call.update(transferred_from=event.agent_id, transferred_at=event.at, transfer_note=event.note)
        elif isinstance(event, CallTransferred) and event.kind == "attended":
            call.update(
                transferred_from=event.agent_id, transferred_at=event.at, transfer_note=event.note
            )  # 完成转接
        elif isinstance(event, CallTransferred) and event.kind == "conference":
            call.setdefault("invited", {})[event.target.removeprefix("agent:")] = event.agent_id
        elif isinstance(event, ConferenceLeft):
            call.setdefault("invited", {}).pop(event.target.removeprefix("agent:"), None)

    # -- details from the bridge's present ----------------------------------------------
    def fill(self, present: dict[str, Any]) -> None:
        """Skills, seats and queue members from the active bridge; states stay the bus's."""
        for agent in present.get("agents", ()):
            mine = self._agents.get(agent["agent_id"])
            if mine is None:
                mine = self._agents[agent["agent_id"]] = dict(agent)  # older than the retained history
                # a form holds the write-up of that call (maybe still going on); a bridge that
                # names no call held says only whether the ACW is
                held_now = mine.pop("acw_held", False)
                held = mine.pop("acw_hold_call", None) or (agent.get("call_id") if held_now else "")
                if held:
                    self._acw_held.setdefault(agent["agent_id"], held)
            else:
                mine["skills"] = dict(agent.get("skills") or {})
                mine["seat"] = agent.get("seat") or mine.get("seat", "")
        for queue in present.get("queues", ()):
            mine = self._queues.get(queue["queue"])
            if mine is None:
                self._queues[queue["queue"]] = dict(queue)
                self._queue_at[queue["queue"]] = time.time()
            else:
                mine["members"] = [dict(m) for m in queue.get("members", ())]
                mine["waiting_calls"] = list(queue.get("waiting_calls", ()))
        for call in present.get("calls", ()):
            call_id = call["call_id"]
            if call_id not in self._calls and call_id not in self._ended:
                self._calls[call_id] = dict(call)
        if "spies" in present:  # the bridge's own word: a session it no longer has is over
            self._spies = {s["spy_id"]: dict(s) for s in present["spies"]}
