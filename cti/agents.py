"""Agents and seats: a table-driven state machine.

An agent logs in to a seat (a phone endpoint: the queue member interface) and
joins each skill queue with that skill's penalty. The states are the 95598
seat software's:

    logged_out → not_ready(reason) ⇄ ready → ringing → talking ⇄ on_hold
                                                  ↓         ↓
                              not_ready("未接")   after_call_work → ready (or back to not_ready)

After-call work ends where the call found the agent: an agent who was not ready (a break,
calling back 待回复工单 customers before pressing 就绪) is not ready again, with the same
reason; only an agent who was ready (or had nothing chosen) becomes ready.

Asterisk is the source of truth for pause/unpause (app_queue decides whom to
ring); this table is the source of truth for what the console shows. Each
transition returns an ``AgentStateChanged`` with the time spent in the
previous state. Pure: no I/O, the bridge performs the side effects.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from cti.ami.speedups import chosen as chosen_speedups
from cti.call_events import AgentStateChanged

LOGGED_OUT = "logged_out"
NOT_READY = "not_ready"
READY = "ready"
RINGING = "ringing"
TALKING = "talking"
ON_HOLD = "on_hold"
AFTER_CALL_WORK = "after_call_work"
STATES = (LOGGED_OUT, NOT_READY, READY, RINGING, TALKING, ON_HOLD, AFTER_CALL_WORK)
#: the states a call finds an agent in (``before_call`` remembers which, to go back to)
OFF_CALL = (READY, NOT_READY, AFTER_CALL_WORK)

MISSED_REASON = "未接"
ACW_REASON = "话后处理"
LOGIN_REASON = "登录"
#: a seat whose account an admin disabled during a call: no new call, signed out when it ends
SIGN_OUT_REASON = "账号停用"
#: a team leader or supervisor set the seat not ready from the wallboard (置忙); also a break reason
#: the bridge accepts, though no agent picks it
FORCED_PAUSE_REASON = "班长置忙"
#: a team leader or supervisor signed the seat out (强制下班) during its call: no new call, out when it ends
FORCED_SIGN_OUT_REASON = "班长强制下班"
DEFAULT_PAUSE_REASONS = (
    "小休",
    "用餐",
    "培训",
    "会议",
    "话后处理超时",
    MISSED_REASON,
    ACW_REASON,
    LOGIN_REASON,
    FORCED_PAUSE_REASON,
)

# Targets that depend on where the agent was: "back" = the state before ringing,
# "after_call" = after-call work when it is on, else back to before the call,
# "after_acw" = the end of after-call work: the pause chosen before the call, else ready.
_BACK = "back"
_AFTER_CALL = "after_call"
_AFTER_ACW = "after_acw"

_DEPENDS = frozenset({_BACK, _AFTER_CALL, _AFTER_ACW})  # targets next_state works out

# (state, trigger) -> target. Anything absent is refused (InvalidTransition).
TRANSITIONS: dict[tuple[str, str], str] = {
    (LOGGED_OUT, "login"): NOT_READY,
    (NOT_READY, "ready"): READY,
    (NOT_READY, "pause"): NOT_READY,
    (NOT_READY, "offer"): RINGING,
    (NOT_READY, "answer"): TALKING,
    (READY, "pause"): NOT_READY,
    (READY, "ready"): READY,
    (READY, "offer"): RINGING,
    (READY, "answer"): TALKING,
    (RINGING, "offer"): RINGING,
    (RINGING, "answer"): TALKING,
    (RINGING, "miss"): NOT_READY,
    (RINGING, "cancel"): _BACK,
    (RINGING, "pause"): RINGING,
    (RINGING, "end"): _BACK,
    (TALKING, "hold"): ON_HOLD,
    (TALKING, "answer"): TALKING,
    (TALKING, "end"): _AFTER_CALL,
    # a consultation the seat was only asked in ended without becoming a transfer: no call of
    # its own to write up (cti.calls.CallModel._call_over)
    (TALKING, "cancel"): _BACK,
    (TALKING, "pause"): TALKING,
    (ON_HOLD, "unhold"): TALKING,
    (ON_HOLD, "answer"): TALKING,
    (ON_HOLD, "end"): _AFTER_CALL,
    (ON_HOLD, "cancel"): _BACK,
    (ON_HOLD, "pause"): ON_HOLD,
    (AFTER_CALL_WORK, "acw_done"): _AFTER_ACW,
    (AFTER_CALL_WORK, "ready"): READY,
    (AFTER_CALL_WORK, "pause"): NOT_READY,
    (AFTER_CALL_WORK, "offer"): RINGING,
    (AFTER_CALL_WORK, "answer"): TALKING,
}
# Logging out is allowed from every logged-in state (a supervisor may force it).
for _state in STATES[1:]:
    TRANSITIONS[(_state, "logout")] = LOGGED_OUT
TRIGGERS = sorted({t for _, t in TRANSITIONS})


class InvalidTransition(ValueError):
    error_id = "invalid_agent_transition"


PRIVATE_CONSULT_KEYS = ("channel", "channels_before")


@dataclasses.dataclass(slots=True)  # read in its slots by the C accelerator, as a Call (cti.calls)
class Agent:
    agent_id: str
    interface: str = ""
    skills: dict[str, int] = dataclasses.field(default_factory=dict)
    state: str = LOGGED_OUT
    reason: str = ""
    since: float = 0.0
    call_id: str = ""
    before_call: str = NOT_READY
    before_call_reason: str = ""
    paused: bool = False
    #: the consultation in progress: call_id, target, caller_gone, the agent's channel (``channel``)
    #: and the call's channels before it began (``channels_before``); those two stay in the bridge
    consult: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, object]:
        consult = self.consult
        return {
            "consult": {k: v for k, v in consult.items() if k not in PRIVATE_CONSULT_KEYS}
            if consult
            else None,
            "agent_id": self.agent_id,
            "seat": self.interface,
            "skills": dict(self.skills),
            "state": self.state,
            "reason": self.reason,
            "since": self.since,
            "call_id": self.call_id,
        }


def next_state(agent: Agent, trigger: str, acw: bool) -> str:
    target = TRANSITIONS.get((agent.state, trigger))
    if target is None:
        raise InvalidTransition(f"agent {agent.agent_id}: {trigger} not allowed in {agent.state}")
    if target == _BACK:
        return agent.before_call
    if target == _AFTER_CALL:
        return AFTER_CALL_WORK if acw else agent.before_call
    if target == _AFTER_ACW:
        return after_acw(agent)[0]
    return target


def after_acw(agent: Agent) -> tuple[str, str]:
    """(state, reason) the agent's after-call work ends in: the pause they were in (or asked for
    during the call) before it, so a break or a round of call-backs is not turned into 就绪 behind
    their back; ready otherwise. A pause with no reason known (a state found by a resync) is no
    choice of theirs."""
    if agent.before_call == NOT_READY and agent.before_call_reason:
        return NOT_READY, agent.before_call_reason
    return READY, ""


def acw_ends_in(agent: Agent) -> str | None:
    """What an ``AgentStateChanged`` of ``agent`` tells of where its 话后处理 ends: the pause's
    reason (after_acw), "" for 就绪; None when it is not in 话后处理."""
    return after_acw(agent)[1] if agent.state == AFTER_CALL_WORK else None


#: seconds between a web process's signs of life while any of its tabs holds an ACW
#: (``CtiBridge.acw_alive``); the bridge lets go of the holds of a process silent for
#: ``ACW_SILENT_BEATS`` of its intervals: one killed never releases them itself
ACW_ALIVE_SECONDS = 5.0
ACW_SILENT_BEATS = 3


def acw_holder(process: str, tab: str) -> str:
    """The name of one tab's ACW hold at the bridge: the web process it is on, and the tab."""
    return f"{process}/{tab}"


def holder_process(holder: str) -> str:
    """The web process whose tab holds an ACW (``acw_holder``); empty for a holder that names
    none, which only its own release (or the agent ending the ACW) lets go."""
    process, slash, _ = holder.partition("/")
    return process if slash else ""


def acw_held(state: str, call_id: str, held_call: str) -> bool:
    """Whether an intake form's unsaved input holds the agent's after-call work past its limit
    now: a hold of ``held_call`` counts only while the agent writes that call up."""
    return state == AFTER_CALL_WORK and bool(call_id) and held_call == call_id


class AgentBook:
    """All agents of one bridge, found by id, interface or channel name."""

    def __init__(
        self,
        notify: Callable[[AgentStateChanged], object],
        *,
        acw_seconds: float = 0.0,
        speedups: bool | None = None,
    ) -> None:
        self.notify = notify
        self.acw_seconds = acw_seconds
        self.agents: dict[str, Agent] = {}
        self._by_interface: dict[str, Agent] = {}
        self._by_prefix: dict[str, Agent] = {}
        self._watchers: list[Callable[[Agent], object]] = []
        # With the C accelerator (cti.ami.speedups; ``speedups`` chooses) ``apply`` is a
        # ``_speedups.AgentMoves``: the same moves, events and watchers' calls without a Python
        # frame (a call's offer, answer and end each come through here), unless a subclass has
        # its own apply.
        c = chosen_speedups(speedups)
        if c is not None and hasattr(c, "AgentMoves") and type(self).apply is AgentBook.apply:
            self.apply = c.AgentMoves(  # type: ignore[method-assign]
                self,
                TRANSITIONS,
                self._watchers,
                next_state,
                AgentStateChanged.make,  # type: ignore[attr-defined]
                AgentBook.apply,
                (*STATES, _BACK, _AFTER_CALL, _AFTER_ACW, MISSED_REASON, ACW_REASON, LOGIN_REASON),
            )

    def watch(self, callback: Callable[[Agent], object]) -> None:
        """``callback(agent)`` after every change of an agent's state (the queue board counts the ready)."""
        self._watchers.append(callback)

    def get(self, agent_id: str) -> Agent | None:
        return self.agents.get(agent_id)

    def ensure(self, agent_id: str, interface: str = "") -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = Agent(agent_id)
        if interface and interface != agent.interface:
            self._by_interface.pop(agent.interface, None)
            agent.interface = interface
            self._by_interface[interface] = agent
            # in place: the C accelerator's Newchannel (ChannelBook) looks seats up in this dict
            self._by_prefix.clear()
            self._by_prefix.update((channel_prefix(i), a) for i, a in self._by_interface.items())
        return agent

    def by_interface(self, interface: str) -> Agent | None:
        return self._by_interface.get(interface)

    def by_channel(self, channel: str) -> Agent | None:
        """The agent whose seat this channel belongs to (``PJSIP/1001-0000000a`` → seat PJSIP/1001)."""
        # A channel is its seat's prefix (ending in "-") plus a suffix with no "-" in it,
        # so one dict lookup finds the seat however many agents are signed in.
        cut = channel.rfind("-")
        return self._by_prefix.get(channel[: cut + 1]) if cut >= 0 else None

    def apply(
        self, agent: Agent, trigger: str, at: float, *, reason: str = "", call_id: str = ""
    ) -> AgentStateChanged | None:
        """Move ``agent`` by ``trigger``; publish and return the change (None when nothing changed)."""
        # next_state, inline where the table names the target itself (all but three of them)
        target = TRANSITIONS.get((agent.state, trigger))
        if target is None or target in _DEPENDS:
            target = next_state(agent, trigger, self.acw_seconds > 0)
        if trigger == "miss":
            reason = MISSED_REASON
        elif target == AFTER_CALL_WORK:
            reason = ACW_REASON
        elif target == NOT_READY and trigger in ("cancel", "end", "acw_done"):
            reason = agent.before_call_reason
        elif target == NOT_READY and trigger == "login":
            reason = reason or LOGIN_REASON
        elif target not in (NOT_READY,):
            reason = ""
        if agent.state in (READY, NOT_READY, AFTER_CALL_WORK) and target in (RINGING, TALKING):
            if agent.state == AFTER_CALL_WORK:
                # a call from after-call work (the next call-back of a round) ends where that
                # work would have: the round's pause is kept
                agent.before_call, agent.before_call_reason = after_acw(agent)
            else:
                agent.before_call = agent.state
                agent.before_call_reason = agent.reason if agent.state == NOT_READY else ""
        new_call = call_id or (
            agent.call_id if target in (RINGING, TALKING, ON_HOLD, AFTER_CALL_WORK) else ""
        )
        if target == agent.state and reason == agent.reason and new_call == agent.call_id:
            return None
        previous, since = agent.state, agent.since
        agent.state, agent.reason, agent.call_id = target, reason, new_call
        agent.since = at
        if target == LOGGED_OUT:
            agent.skills = {}
        if target != previous:
            for watcher in self._watchers:
                watcher(agent)
        event = AgentStateChanged.make(
            agent_id=agent.agent_id,
            state=target,
            previous=previous,
            seconds_in_previous=max(0.0, at - since) if since else 0.0,
            reason=reason,
            call_id=new_call,
            seat=agent.interface,
            at=at,
            # acw_ends_in(agent), inline
            acw_ends_in=after_acw(agent)[1] if agent.state == AFTER_CALL_WORK else None,
        )
        self.notify(event)
        return event

    def force(self, agent: Agent, state: str, at: float, *, reason: str = "", call_id: str = "") -> None:
        """Set a state found by resync (Asterisk says so); publish only if it differs."""
        if agent.state == state and agent.reason == reason and agent.call_id == call_id:
            return
        previous, since = agent.state, agent.since
        agent.state, agent.reason, agent.call_id, agent.since = state, reason, call_id, at
        if state != previous:
            for watcher in self._watchers:
                watcher(agent)
        self.notify(
            AgentStateChanged.make(
                agent_id=agent.agent_id,
                state=state,
                previous=previous,
                seconds_in_previous=max(0.0, at - since) if since else 0.0,
                reason=reason,
                call_id=call_id,
                seat=agent.interface,
                at=at,
                acw_ends_in=acw_ends_in(agent),
            )
        )


_LOCAL = re.compile(r"^Local/([^@]+)@([^/]+)(/.*)?$")


def channel_prefix(interface: str) -> str:
    """The channel-name prefix of a seat: ``Local/2901@ctx/n`` → ``Local/2901@ctx-``, ``PJSIP/1001`` → ``PJSIP/1001-``."""
    m = _LOCAL.match(interface)
    if m:
        return f"Local/{m.group(1)}@{m.group(2)}-"
    return interface + "-"
