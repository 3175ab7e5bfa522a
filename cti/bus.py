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
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run())

    def wants(self, event: Event) -> bool:
        return self.types is None or isinstance(event, self.types)

    async def _run(self) -> None:
        while (event := await self.queue.get()) is not None:
            try:
                await self.handler(event)
            except Exception:
                # One failing consumer must not stop the others or lose later events.
                log.exception("bus handler %r failed on %s #%d", self.handler, event.name, event.seq)

    async def close(self) -> None:
        if self in self._bus._subs:
            self._bus._subs.remove(self)
        self.queue.put_nowait(None)
        await self.task


class InProcessBus:
    """Events delivered in order to each subscriber through its own queue.

    A slow subscriber never blocks ``publish`` or the other subscribers.
    """

    def __init__(self, retain: int = 100_000) -> None:
        self._seq = itertools.count(1)
        self._subs: list[_LocalSubscription] = []
        self._history: collections.deque[Event] = collections.deque(maxlen=retain)
        self._turns: dict[str, int] = {}

    async def publish(self, event: Event) -> Event:
        return self.publish_nowait(event)

    def publish_nowait(self, event: Event) -> Event:
        stamped = event.stamped(next(self._seq), event.ts or time.time())
        self._history.append(stamped)
        groups: dict[str, list[_LocalSubscription]] = {}
        for sub in self._subs:
            if sub.group is not None:
                groups.setdefault(sub.group, []).append(sub)
            elif sub.wants(stamped):
                sub.queue.put_nowait(stamped)
        for name, members in groups.items():
            # A group shares the stream: each event goes to one member, in turn.
            turn = self._turns.get(name, 0)
            self._turns[name] = turn + 1
            chosen = members[turn % len(members)]
            if chosen.wants(stamped):
                chosen.queue.put_nowait(stamped)
        return stamped

    def subscribe(
        self, handler: Handler, *, types: Iterable[type[Event]] | None = None, group: str | None = None
    ) -> _LocalSubscription:
        sub = _LocalSubscription(self, handler, tuple(types) if types is not None else None, group)
        self._subs.append(sub)
        return sub

    async def replay(self, after_seq: int, limit: int = 10_000) -> list[Event]:
        out = [e for e in self._history if e.seq > after_seq]
        return out[:limit]

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything published so far (tests, shutdown)."""
        while any(not s.queue.empty() for s in self._subs):  # noqa: ASYNC110 (a test/shutdown helper)
            await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
