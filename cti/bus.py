"""The event bus: one interface, two implementations.

``InProcessBus`` (the embedded default) delivers to subscribers in the same
event loop. ``RedisBus`` (in ``cti.redis_bus``) uses Redis Streams with consumer
groups for several processes and machines. Both assign a monotonically
increasing ``seq`` at publish time and can replay events after a given
sequence number, so a consumer that restarts catches up without gaps; consumers
are expected to be idempotent (an event seen twice changes nothing).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from cti.events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]


class Subscription(Protocol):
    async def close(self) -> None: ...


class Bus(Protocol):
    async def publish(self, event: Event) -> Event:
        """Stamp ``event`` with the next sequence number and time, deliver it, return it."""

    def subscribe(
        self, handler: Handler, *, types: Iterable[type[Event]] | None = None, group: str | None = None
    ) -> Subscription:
        """Call ``handler`` for every future event (of ``types``, if given).

        Subscribers sharing a ``group`` split the stream between them (each event
        to one of them); without a group every subscriber sees every event.
        """

    async def replay(self, after_seq: int, limit: int = 10_000) -> list[Event]:
        """Events with ``seq > after_seq`` still retained, oldest first."""

    async def close(self) -> None: ...


class _LocalSubscription:
    """One subscriber's events, in order, handed to its handler by its own task.

    A deque and one wake-up per idle spell, not an ``asyncio.Queue``: the bridge
    publishes one event for every five AMI events, and the queue's put and get
    bookkeeping (unfinished-task counts, an Event per put) was a tenth of its work.
    """

    # slots: the C publish (cti.publisher, Handover) reads types, pending and _wakeup in them
    __slots__ = ("_bus", "handler", "types", "group", "pending", "_loop", "_wakeup", "task")

    def __init__(
        self,
        bus: InProcessBus,
        handler: Handler,
        types: tuple[type[Event], ...] | None,
        group: str | None = None,
    ) -> None:
        self._bus = bus
        self.handler = handler
        self.types = types
        self.group = group
        self.pending: collections.deque[Event | None] = collections.deque()
        self._loop = asyncio.get_running_loop()
        self._wakeup: asyncio.Future[None] | None = None
        self.task = self._loop.create_task(self._run())

    def wants(self, event: Event) -> bool:
        return self.types is None or isinstance(event, self.types)

    def put(self, event: Event | None) -> None:
        self.pending.append(event)
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)

    async def _run(self) -> None:
        pending = self.pending
        while True:
            while pending:
                event = pending.popleft()
                if event is None:
                    return
                try:
                    await self.handler(event)
                except Exception:
                    # One failing consumer must not stop the others or lose later events.
                    log.exception("bus handler %r failed on %s #%d", self.handler, event.name, event.seq)
            self._wakeup = self._loop.create_future()
            await self._wakeup

    async def close(self) -> None:
        self._bus._unsubscribe(self)
        self.put(None)
        await self.task


class InProcessBus:
    """Events delivered in order to each subscriber through its own queue.

    A slow subscriber never blocks ``publish`` or the other subscribers.
    """

    # slots: the C publish (cti.publisher, Handover) reads _plain in its slot at each event
    __slots__ = ("_seq", "_subs", "_plain", "_groups", "_history", "_turns")

    def __init__(self, retain: int = 100_000) -> None:
        self._seq = itertools.count(1)
        self._subs: list[_LocalSubscription] = []
        self._plain: tuple[_LocalSubscription, ...] = ()  # each sees every event (of its types)
        self._groups: dict[str, list[_LocalSubscription]] = {}  # each event to one member, in turn
        self._history: collections.deque[Event] = collections.deque(maxlen=retain)
        self._turns: dict[str, int] = {}

    async def publish(self, event: Event) -> Event:
        return self.publish_nowait(event)

    def publish_nowait(self, event: Event) -> Event:
        return self._deliver(event.stamped(next(self._seq), event.ts or time.time()))

    def hand_over_nowait(self, event: Event) -> Event:
        """``publish_nowait`` for an event nobody else holds: stamped in place, not copied.

        An event already stamped (published before) is copied as ``publish_nowait`` would, so
        an event once on the bus never changes.
        """
        if event.seq:
            return self.publish_nowait(event)
        # Event.stamped_in_place, _deliver and each plain subscriber's put, inline: this runs for
        # each of the bridge's events (three Python calls less per event and subscriber).
        fields = event.__dict__
        fields["seq"] = next(self._seq)
        fields["ts"] = event.ts or time.time()
        self._history.append(event)
        for sub in self._plain:
            if sub.types is None or isinstance(event, sub.types):
                sub.pending.append(event)
                wakeup = sub._wakeup
                if wakeup is not None:
                    sub._wakeup = None
                    if not wakeup.done():
                        wakeup.set_result(None)
        if self._groups:
            self._deliver_to_groups(event)
        return event

    def _deliver(self, stamped: Event) -> Event:
        self._history.append(stamped)
        for sub in self._plain:
            if sub.types is None or isinstance(stamped, sub.types):
                sub.put(stamped)
        self._deliver_to_groups(stamped)
        return stamped

    def _deliver_to_groups(self, stamped: Event) -> None:
        for name, members in self._groups.items():
            # A group shares the stream: each event goes to one member, in turn.
            turn = self._turns.get(name, 0)
            self._turns[name] = turn + 1
            chosen = members[turn % len(members)]
            if chosen.wants(stamped):
                chosen.put(stamped)

    def subscribe(
        self, handler: Handler, *, types: Iterable[type[Event]] | None = None, group: str | None = None
    ) -> _LocalSubscription:
        sub = _LocalSubscription(self, handler, tuple(types) if types is not None else None, group)
        self._subs.append(sub)
        self._subscribers_changed()
        return sub

    def _unsubscribe(self, sub: _LocalSubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._subscribers_changed()

    def _subscribers_changed(self) -> None:
        self._plain = tuple(s for s in self._subs if s.group is None)
        self._groups.clear()  # in place: the C publish (cti.publisher, Handover) holds this dict
        for sub in self._subs:
            if sub.group is not None:
                self._groups.setdefault(sub.group, []).append(sub)

    async def replay(self, after_seq: int, limit: int = 10_000) -> list[Event]:
        out = [e for e in self._history if e.seq > after_seq]
        return out[:limit]

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything published so far (tests, shutdown)."""
        while any(s.pending for s in self._subs):  # noqa: ASYNC110 (a test/shutdown helper)
            await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
