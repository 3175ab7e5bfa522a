"""Queues as the wallboard sees them: waiting callers, members, counters.

Fed by the call model (joins, leaves, outcomes) and by QueueMember* events;
publishes ``QueueUpdated`` whenever a counter the wallboard shows changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from cti.call_events import QueueUpdated


@dataclasses.dataclass
class Member:
    interface: str
    agent_id: str
    penalty: int = 0
    paused: bool = False
    reason: str = ""


@dataclasses.dataclass
class Queue:
    name: str
    waiting: dict[str, float] = dataclasses.field(default_factory=dict)  # call_id -> joined at
    members: dict[str, Member] = dataclasses.field(default_factory=dict)  # interface -> member
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_in_sl: int = 0  # answered within the service-level threshold

    def longest_wait(self, now: float) -> float:
        return max((now - t for t in self.waiting.values()), default=0.0)

    def snapshot(self, now: float) -> dict[str, object]:
        return {
            "queue": self.name,
            "waiting": len(self.waiting),
            "waiting_calls": sorted(self.waiting, key=self.waiting.__getitem__),
            "longest_wait": round(self.longest_wait(now), 3),
            "members": [dataclasses.asdict(m) for m in self.members.values()],
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            "answered_in_sl": self.answered_in_sl,
        }


class QueueBoard:
    def __init__(
        self,
        notify: Callable[[QueueUpdated], object],
        is_ready: Callable[[str], bool],
        service_level_seconds: float = 20.0,
    ) -> None:
        self.notify = notify
        self.service_level_seconds = service_level_seconds
        self.is_ready = is_ready  # agent_id -> is the agent ready (from the agent book)
        self.queues: dict[str, Queue] = {}
        self._last: dict[str, tuple] = {}

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

    def outcome(self, name: str, outcome: str, at: float, waited: float | None = None) -> None:
        queue = self.get(name)
        if outcome == "answered":
            queue.answered += 1
            if waited is not None and waited <= self.service_level_seconds:
                queue.answered_in_sl += 1
        elif outcome.startswith("abandoned"):
            queue.abandoned += 1
        elif outcome == "overflow":
            queue.overflowed += 1
        self.publish(name, at, force=True)

    def member(
        self, name: str, interface: str, agent_id: str, penalty: int, paused: bool, reason: str, at: float
    ) -> None:
        self.get(name).members[interface] = Member(interface, agent_id, penalty, paused, reason)
        self.publish(name, at)

    def remove_member(self, name: str, interface: str, at: float) -> None:
        if self.get(name).members.pop(interface, None) is not None:
            self.publish(name, at)

    def queues_of(self, interface: str) -> list[str]:
        return [q.name for q in self.queues.values() if interface in q.members]

    def publish(self, name: str, at: float, *, force: bool = False) -> None:
        queue = self.get(name)
        ready = sum(1 for m in queue.members.values() if not m.paused and self.is_ready(m.agent_id))
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
            QueueUpdated(
                queue=name,
                waiting=len(queue.waiting),
                longest_wait=round(queue.longest_wait(at), 3),
                agents_ready=ready,
                agents_logged_in=len(queue.members),
                offered=queue.offered,
                answered=queue.answered,
                abandoned=queue.abandoned,
                overflowed=queue.overflowed,
                answered_in_sl=queue.answered_in_sl,
                service_level_seconds=self.service_level_seconds,
            )
        )
