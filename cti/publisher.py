"""The bridge's events onto the bus, in the model's order, except where a screen-pop waits for its data.

A ``CallOffered`` may wait a little for what it carries (the caller's
customer, the IVR path). While it waits, only the events that must stay behind
it wait too: the later events of the same call and of the same agent, so that
no consumer sees a call answered, or an agent back to ready, before that
call's pop. Every other event (other calls, other agents, queue counters)
goes out at once, so one slow lookup never delays anybody else's pop.

Publishing is a plain function call when the bus can take an event without
awaiting (``InProcessBus.publish_nowait``); a bus that must be awaited (Redis)
gets one sender task, which keeps the order across the awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from cti.ami.speedups import chosen as chosen_speedups
from cti.bus import Bus, InProcessBus
from cti.events import Event

log = logging.getLogger(__name__)
#: events handed to a bus in one batch at most
MAX_BATCH = 256


def _keys(event: Event) -> tuple[str, ...]:
    # What an event is ordered by: its call and its agent (either may be missing).
    call_id = getattr(event, "call_id", "")
    agent_id = getattr(event, "agent_id", "")
    if call_id and agent_id:
        return ("call:" + call_id, "agent:" + agent_id)
    if call_id:
        return ("call:" + call_id,)
    if agent_id:
        return ("agent:" + agent_id,)
    return ()


class _Held:
    __slots__ = ("event", "keys", "ready", "complete", "waiting_for", "timer")

    def __init__(
        self, event: Event, keys: tuple[str, ...], complete: Callable[[Event], Event] | None
    ) -> None:
        self.event = event
        self.keys = keys
        self.ready = complete is None
        self.complete = complete
        self.waiting_for: list[asyncio.Future] = []
        self.timer: asyncio.TimerHandle | None = None


class Publisher:
    def __init__(self, bus: Bus, *, speedups: bool | None = None) -> None:
        self.bus = bus
        # The model's events are built for the bus and kept by nobody else, so a bus that can
        # stamp them without a copy may (InProcessBus.hand_over_nowait).
        self._nowait: Callable[[Event], object] | None = getattr(
            bus, "hand_over_nowait", getattr(bus, "publish_nowait", None)
        )
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._held: list[_Held] = []  # in the order the model emitted them
        self._held_keys: set[str] = set()
        self._drained: asyncio.Future[None] | None = None
        # With the C accelerator (cti.ami.speedups; ``speedups`` chooses) ``publish`` onto an
        # InProcessBus is a ``_speedups.Handover``: its hand_over_nowait written out, without the
        # two Python frames, for every event the bridge publishes while nothing is held (the rest
        # goes to the Python publish). Not for a publisher or a bus that does either otherwise.
        c = chosen_speedups(speedups)
        if (
            c is not None
            and hasattr(c, "Handover")
            and type(self).publish is Publisher.publish
            and getattr(type(bus), "hand_over_nowait", None) is InProcessBus.hand_over_nowait
            and getattr(type(bus), "_deliver_to_groups", None) is InProcessBus._deliver_to_groups
        ):
            self.publish = c.Handover(self, Publisher.publish, bus, time, log)  # type: ignore[method-assign]

    # -- the two ways in ------------------------------------------------------
    def publish(self, event: Event) -> None:
        """Onto the bus now, unless an earlier event of its call or agent is still held."""
        if self._held:
            keys = _keys(event)
            if not self._held_keys.isdisjoint(keys):
                self._held.append(_Held(event, keys, None))
                self._held_keys.update(keys)
                return
        nowait = self._nowait
        if nowait is None:
            self._send(event)
            return
        # What _send does for a bus that takes events at once, inline: this runs for every
        # event the model builds.
        try:
            nowait(event)
        except Exception:
            log.exception("publishing %r failed", event)

    def hold(
        self,
        event: Event,
        waiting_for: Iterable[asyncio.Future],
        timeout: float,
        complete: Callable[[Event], Event],
    ) -> None:
        """Publish ``complete(event)`` once every future in ``waiting_for`` is done, or after ``timeout`` s.

        ``complete`` reads whatever the futures brought (it must cope with the
        ones that are not done). Later events of the same call or agent wait
        behind it; everything else goes out meanwhile.
        """
        entry = _Held(event, _keys(event), complete)
        entry.waiting_for = [f for f in waiting_for if not f.done()]
        blocked = bool(self._held) and not self._held_keys.isdisjoint(entry.keys)
        if not entry.waiting_for:
            entry.event, entry.ready = complete(event), True
            if not blocked:
                self._send(entry.event)
                return
        self._held.append(entry)
        self._held_keys.update(entry.keys)
        if entry.ready:
            return
        for future in entry.waiting_for:
            future.add_done_callback(lambda _f, entry=entry: self._check(entry))
        entry.timer = asyncio.get_running_loop().call_later(timeout, self._finish, entry)

    # -- releasing held events ----------------------------------------------------
    def _check(self, entry: _Held) -> None:
        if not entry.ready and all(f.done() for f in entry.waiting_for):
            self._finish(entry)

    def _finish(self, entry: _Held) -> None:
        if entry.ready:
            return
        if entry.timer is not None:
            entry.timer.cancel()
        try:
            entry.event = entry.complete(entry.event)  # type: ignore[misc]
        except Exception:
            log.exception("completing %r failed; publishing it as it was", entry.event)
        entry.ready = True
        self._release()

    def _release(self) -> None:
        kept: list[_Held] = []
        blocked: set[str] = set()
        for entry in self._held:
            if entry.ready and blocked.isdisjoint(entry.keys):
                self._send(entry.event)
            else:
                kept.append(entry)
                blocked.update(entry.keys)
        self._held[:] = kept  # in place: the C publish (Handover) holds this list
        self._held_keys = blocked
        if not kept and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # -- the bus ------------------------------------------------------------------
    def _send(self, event: Event) -> None:
        if self._nowait is not None:
            try:
                self._nowait(event)
            except Exception:
                log.exception("publishing %r failed", event)
            return
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_loop(), name="cti-publisher")
        self._queue.put_nowait(event)

    async def _send_loop(self) -> None:
        # Whatever queued up while the last publish was awaited goes out together, in order,
        # when the bus can take a batch in one round trip (RedisBus.publish_batch): a call's
        # burst of events then waits on Redis once, not once per event ahead of it.
        publish_batch = getattr(self.bus, "publish_batch", None)
        while True:
            batch = [await self._queue.get()]
            while batch[-1] is not None and not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            events = [e for e in batch if e is not None]
            try:
                if len(events) > 1 and publish_batch is not None:
                    try:
                        await publish_batch(events)
                    except Exception:
                        log.exception("publishing %d events together failed; each alone now", len(events))
                        await self._each(events)
                else:
                    await self._each(events)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if batch[-1] is None:
                return

    async def _each(self, events: list[Event]) -> None:
        for event in events:
            try:
                await self.bus.publish(event)
            except Exception:
                log.exception("publishing %r failed", event)

    # -- tests and shutdown ------------------------------------------------------
    async def flush(self) -> None:
        """Wait until everything published or held so far is on the bus."""
        while self._held:
            if self._drained is None or self._drained.done():
                self._drained = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._drained)
        await self._queue.join()

    async def close(self) -> None:
        """Publish what is held as it is now (no more waiting), then stop the sender."""
        for entry in list(self._held):
            self._finish(entry)
        if self._sender is not None:
            self._queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
