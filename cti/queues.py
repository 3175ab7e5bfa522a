"""Queues as the wallboard sees them: waiting callers, members, counters.

Fed by the call model (joins, leaves, outcomes) and by QueueMember* events;
publishes ``QueueUpdated`` whenever a counter the wallboard shows changes, and
``QueueMemberChanged`` when a seat joins or leaves a queue or its penalty changes.
The members that are ready are kept as a set per queue, updated when a member
or an agent's state changes, because counting them on every publish (three
times per call at least) cost about 12 µs with 80 members.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from cti import agents as A
from cti.ami.speedups import chosen as chosen_speedups
from cti.ami.speedups import round3
from cti.call_events import QueueMemberChanged, QueueUpdated

#: answered within this many seconds of joining counts for the service level (80 % in 20 s)
SERVICE_LEVEL_SECONDS = 20.0
#: an abandon this soon after joining (a misdial, a caller who changed their mind) counts neither
#: for nor against the service level: on the wallboard and in the interval report alike
SHORT_ABANDON_SECONDS = 5.0


# slots: the C accelerator (``_speedups.QueueDesk``) reads members and queues in their slots
@dataclasses.dataclass(slots=True)
class Member:
    interface: str
    agent_id: str
    penalty: int = 0
    paused: bool = False
    reason: str = ""


@dataclasses.dataclass(slots=True)
class Queue:
    name: str
    waiting: dict[str, float] = dataclasses.field(default_factory=dict)  # call_id -> joined at
    members: dict[str, Member] = dataclasses.field(default_factory=dict)  # interface -> member
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0  # of the abandoned, those within SHORT_ABANDON_SECONDS
    overflowed: int = 0
    answered_in_sl: int = 0  # answered within the service-level threshold
    ready: set[str] = dataclasses.field(default_factory=set)  # interfaces of members ready and not paused

    def longest_wait(self, now: float) -> float:
        # max(now - t for each t), without a generator (every QueueUpdated asks): now - t falls as
        # t grows, rounding included, so the earliest join gives the same float
        return now - min(self.waiting.values()) if self.waiting else 0.0

    def snapshot(self, now: float) -> dict[str, object]:
        return {
            "queue": self.name,
            "waiting": len(self.waiting),
            "waiting_calls": sorted(self.waiting, key=self.waiting.__getitem__),
            "longest_wait": round3(self.longest_wait(now)),
            "members": [dataclasses.asdict(m) for m in self.members.values()],
            "agents_ready": len(self.ready),
            "agents_logged_in": len(self.members),
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "overflowed": self.overflowed,
            "answered_in_sl": self.answered_in_sl,
        }


class QueueBoard:
    def __init__(
        self,
        notify: Callable[[QueueUpdated | QueueMemberChanged], object],
        agents: A.AgentBook,
        service_level_seconds: float = SERVICE_LEVEL_SECONDS,
        short_abandon_seconds: float = SHORT_ABANDON_SECONDS,
        *,
        server: str = "",
        speedups: bool | None = None,
    ) -> None:
        self.notify = notify
        self.server = server  # the Asterisk (AMI host:port) these queues are on, in each QueueUpdated
        self.service_level_seconds = service_level_seconds
        self.short_abandon_seconds = short_abandon_seconds
        self.agents = agents
        # the three dicts change in place only: the C accelerator holds them
        self.queues: dict[str, Queue] = {}
        self._last: dict[str, tuple] = {}
        self._seats: dict[str, set[tuple[str, str]]] = {}  # agent_id -> (queue, interface) of its memberships
        self._desk(speedups)
        agents.watch(self._agent_changed)

    def _desk(self, speedups: bool | None) -> None:
        """With the C accelerator (``cti.ami.speedups``; ``speedups`` chooses) ``publish``, ``join``,
        ``leave``, ``outcome`` and ``_agent_changed`` are a ``_speedups.QueueDesk``'s: the same
        counts and ``QueueUpdated`` events without their Python frames (a caller's join was five of
        them; each move of an agent two, and one more per queue of its seat). Not for a subclass
        doing any of them (or ``get``, ``_count``) otherwise. The board's ``notify``, ``server`` and
        thresholds are read once, here: nothing changes them afterwards."""
        c = chosen_speedups(speedups)
        if c is None or not hasattr(c, "QueueDesk"):  # not built, or built before it had one
            return
        if any(getattr(type(self), m) is not getattr(QueueBoard, m) for m in _IN_C):
            return
        by_id = self.agents.agents if getattr(type(self.agents), "get", None) is A.AgentBook.get else None
        desk = c.QueueDesk(
            self,
            Queue,
            QueueUpdated.make,  # type: ignore[attr-defined]
            A.READY,
            by_id,
            (QueueBoard.publish, QueueBoard.join, QueueBoard.leave, QueueBoard.outcome),
        )
        self.publish = desk.publish  # type: ignore[method-assign]
        self.join = desk.join  # type: ignore[method-assign]
        self.leave = desk.leave  # type: ignore[method-assign]
        self.outcome = desk.outcome  # type: ignore[method-assign]
        self._agent_changed = desk.agent_changed  # type: ignore[method-assign]

    def get(self, name: str) -> Queue:
        queue = self.queues.get(name)
        if queue is None:
            queue = self.queues[name] = Queue(name)
        return queue

    def join(self, name: str, call_id: str, at: float) -> None:
        queue = self.get(name)
        if call_id not in queue.waiting:
            queue.offered += 1
        queue.waiting[call_id] = at
        self.publish(name, at)

    def leave(self, name: str, call_id: str, at: float) -> None:
        if self.get(name).waiting.pop(call_id, None) is not None:
            self.publish(name, at)

    def outcome(
        self, name: str, outcome: str, at: float, waited: float | None = None, call_id: str = ""
    ) -> None:
        """A call's outcome in queue ``name``, as soon as it is known (an answer when the agent
        answers, not when the call ends); ``waited``: from joining the queue to the outcome;
        ``call_id``: that call waits there no more (one update says both)."""
        queue = self.get(name)
        if call_id:
            queue.waiting.pop(call_id, None)
        if outcome == "answered":
            queue.answered += 1
            if waited is not None and waited <= self.service_level_seconds:
                queue.answered_in_sl += 1
        elif outcome.startswith("abandoned"):
            queue.abandoned += 1
            if waited is not None and waited < self.short_abandon_seconds:
                queue.short_abandoned += 1
        elif outcome == "overflow":
            queue.overflowed += 1
        self.publish(name, at, force=True)

    def member(
        self, name: str, interface: str, agent_id: str, penalty: int, paused: bool, reason: str, at: float
    ) -> None:
        queue = self.get(name)
        old = queue.members.get(interface)
        if old is not None:
            self._seats.get(old.agent_id, set()).discard((name, interface))
        member = queue.members[interface] = Member(interface, agent_id, penalty, paused, reason)
        self._seats.setdefault(agent_id, set()).add((name, interface))
        self._count(queue, member)
        if old is None or (old.agent_id, old.penalty) != (agent_id, penalty):
            self.notify(
                QueueMemberChanged.make(queue=name, interface=interface, agent_id=agent_id, penalty=penalty)
            )
        self.publish(name, at)

    def remove_member(self, name: str, interface: str, at: float) -> None:
        queue = self.get(name)
        member = queue.members.pop(interface, None)
        if member is not None:
            queue.ready.discard(interface)
            self._seats.get(member.agent_id, set()).discard((name, interface))
            self.notify(
                QueueMemberChanged.make(
                    queue=name, interface=interface, agent_id=member.agent_id, removed=True
                )
            )
            self.publish(name, at)

    def recount(self) -> None:
        """Rebuild who is ready from the members and the agents (after a resync changed them directly)."""
        self._seats.clear()
        for queue in self.queues.values():
            queue.ready = set()
            for member in queue.members.values():
                self._seats.setdefault(member.agent_id, set()).add((queue.name, member.interface))
                self._count(queue, member)

    def _agent_changed(self, agent: A.Agent) -> None:
        for name, interface in self._seats.get(agent.agent_id, ()):
            queue = self.queues[name]
            self._count(queue, queue.members[interface])
            # the seats' queue tables show ready agents: an agent back from a call is one again
            # (publish sends nothing when no figure changed)
            self.publish(name, agent.since)

    def _count(self, queue: Queue, member: Member) -> None:
        agent = self.agents.get(member.agent_id)
        if not member.paused and agent is not None and agent.state == A.READY:
            queue.ready.add(member.interface)
        else:
            queue.ready.discard(member.interface)

    def queues_of(self, interface: str) -> list[str]:
        return [q.name for q in self.queues.values() if interface in q.members]

    def publish(self, name: str, at: float, *, force: bool = False) -> None:
        queue = self.queues.get(name)  # get, inline: the queue is there but the first time
        if queue is None:
            queue = self.get(name)
        ready = len(queue.ready)
        state = (
            len(queue.waiting),
            ready,
            len(queue.members),
            queue.answered,
            queue.abandoned,
            queue.overflowed,
        )
        if not force and self._last.get(name) == state:
            return
        self._last[name] = state
        self.notify(
            QueueUpdated.make(
                queue=name,
                waiting=len(queue.waiting),
                longest_wait=round3(queue.longest_wait(at)),
                agents_ready=ready,
                agents_logged_in=len(queue.members),
                offered=queue.offered,
                answered=queue.answered,
                abandoned=queue.abandoned,
                short_abandoned=queue.short_abandoned,
                overflowed=queue.overflowed,
                answered_in_sl=queue.answered_in_sl,
                service_level_seconds=self.service_level_seconds,
                server=self.server,
            )
        )


#: the methods ``_speedups.QueueDesk`` does the work of (``QueueBoard._desk``)
_IN_C = ("publish", "join", "leave", "outcome", "_agent_changed", "get", "_count")
