"""The bus on Redis Streams: durable, shared by processes and machines.

One stream (``hotline:events`` by default). Publishing is one Lua call that
increments the sequence counter and appends the event with the stream entry
id ``<seq>-0``, so the stream order *is* the sequence order and replaying
"after seq N" is a plain ``XRANGE``. Subscribers without a group read with
``XREAD`` (every subscriber sees every event); subscribers sharing a ``group``
read with ``XREADGROUP`` and acknowledge with ``XACK`` after their handler
succeeded (a failed or crashed consumer's events are claimed again by the
group after ``claim_idle`` seconds: at-least-once, consumers are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError, ResponseError

from cti.bus import Handler
from cti.events import Event, UnknownEventError, event_from_json

log = logging.getLogger(__name__)

_PUBLISH = """
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', ARGV[1])
return seq
"""


def _seq_of(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


class _RedisSubscription:
    def __init__(
        self,
        bus: RedisBus,
        handler: Handler,
        types: tuple[type[Event], ...] | None,
        group: str | None,
        after: int | None,
    ) -> None:
        self.bus = bus
        self.handler = handler
        self.types = types
        self.group = group
        self.consumer = f"c-{uuid.uuid4().hex[:12]}"
        self.closed = False
        self.position = after
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _start(self) -> None:
        r = self.bus.redis
        if self.position is None:
            last = await r.xrevrange(self.bus.stream, count=1)
            self.position = _seq_of(last[0][0]) if last else 0
        if self.group:
            try:
                await r.xgroup_create(self.bus.stream, self.group, id=f"{self.position}-0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _run(self) -> None:
        try:
            await self._start()
        except BaseException as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            raise
        self.ready.set_result(None)
        last_claim = time.monotonic()
        while not self.closed:
            try:
                if self.group:
                    entries = await self._read_group()
                    if time.monotonic() - last_claim > self.bus.claim_idle:
                        last_claim = time.monotonic()
                        entries += await self._claim()
                else:
                    entries = await self._read()
            except asyncio.CancelledError:
                raise
            except RedisError as exc:
                if self.closed:
                    return  # redis-py may turn our cancellation into a connection error
                log.warning("redis bus read failed (%s); retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for entry_id, fields in entries:
                await self._deliver(entry_id, fields)

    async def _read(self) -> list:
        reply = await self.bus.redis.xread(
            {self.bus.stream: f"{self.position}-0"}, count=500, block=self.bus.block_ms
        )
        entries = reply[0][1] if reply else []
        if entries:
            self.position = _seq_of(entries[-1][0])
        return entries

    async def _read_group(self) -> list:
        reply = await self.bus.redis.xreadgroup(
            self.group, self.consumer, {self.bus.stream: ">"}, count=500, block=self.bus.block_ms
        )
        return reply[0][1] if reply else []

    async def _claim(self) -> list:
        reply = await self.bus.redis.xautoclaim(
            self.bus.stream,
            self.group,
            self.consumer,
            min_idle_time=int(self.bus.claim_idle * 1000),
            count=500,
        )
        return [e for e in reply[1] if e[1]]

    async def _deliver(self, entry_id: bytes, fields: dict) -> None:
        seq = _seq_of(entry_id)
        try:
            raw = fields.get(b"e") or fields.get("e")
            event = event_from_json(raw)
            event = event.stamped(seq, event.ts)
        except (UnknownEventError, ValueError, TypeError):
            # An event type this process does not know (a newer producer): skip it, acknowledged.
            log.warning("redis bus: skipped undecodable entry %s", entry_id)
            await self._ack(entry_id)
            return
        if self.types is None or isinstance(event, self.types):
            try:
                await self.handler(event)
            except Exception:
                log.exception("bus handler %r failed on %s #%d", self.handler, event.name, seq)
                return  # unacknowledged: the group delivers it again later
        self.bus._saw(seq)
        await self._ack(entry_id)

    async def _ack(self, entry_id: bytes) -> None:
        if self.group:
            await self.bus.redis.xack(self.bus.stream, self.group, entry_id)

    async def close(self) -> None:
        if self in self.bus._subs:
            self.bus._subs.remove(self)
        self.closed = True
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, RedisError, TimeoutError):
            async with asyncio.timeout(self.bus.block_ms / 1000 + 2):
                await self.task


class RedisBus:
    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        stream: str = "hotline:events",
        *,
        maxlen: int = 1_000_000,
        block_ms: int = 1000,
        claim_idle: float = 30.0,
    ) -> None:
        self.url = url
        self.stream = stream
        self.seq_key = f"{stream}:seq"
        self.maxlen = maxlen
        self.block_ms = block_ms
        self.claim_idle = claim_idle
        self.redis = aioredis.Redis.from_url(url)
        self._publish = self.redis.register_script(_PUBLISH)
        self._subs: list[_RedisSubscription] = []
        self._seen: int | None = None

    def _saw(self, seq: int) -> None:
        if self._seen is None or seq > self._seen:
            self._seen = seq

    async def publish(self, event: Event) -> Event:
        return (await self.publish_batch([event]))[0]

    async def publish_batch(self, events: Sequence[Event]) -> list[Event]:
        """Publish ``events`` in this order, in one round trip (a pipeline of the publishing
        script): the CTI bridge's sender hands over what queued up while it waited, so a
        burst of a call's events costs one wait on Redis, not one each."""
        # Subscriptions made before this publish must see it: let them find their start first.
        pending = [s.ready for s in self._subs if not s.ready.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        times = [event.ts or time.time() for event in events]
        bodies = [event.stamped(0, ts).to_json() for event, ts in zip(events, times, strict=True)]
        # EVALSHA by hand: a pipeline given the Script object asks SCRIPT EXISTS first, a second
        # round trip on every batch. A server that lost the script refuses every call of the
        # batch (nothing is published): load it and send the batch again.
        for attempt in (1, 2):
            async with self.redis.pipeline(transaction=False) as pipe:
                for body in bodies:
                    pipe.evalsha(self._publish.sha, 2, self.stream, self.seq_key, body, self.maxlen)
                try:
                    seqs = [int(seq) for seq in await pipe.execute()]
                    break
                except NoScriptError:
                    if attempt == 2:
                        raise
                    self._publish.sha = await self.redis.script_load(_PUBLISH)
        self._saw(max(seqs))
        return [event.stamped(seq, ts) for event, seq, ts in zip(events, seqs, times, strict=True)]

    def subscribe(
        self, handler: Handler, *, types: Iterable[type[Event]] | None = None, group: str | None = None
    ) -> _RedisSubscription:
        sub = _RedisSubscription(
            self, handler, tuple(types) if types is not None else None, group, self._seen
        )
        self._subs.append(sub)
        return sub

    async def replay(self, after_seq: int, limit: int = 10_000) -> list[Event]:
        entries = await self.redis.xrange(self.stream, min=f"({after_seq}-0", max="+", count=limit)
        out = []
        for entry_id, fields in entries:
            try:
                event = event_from_json(fields[b"e"])
            except (UnknownEventError, ValueError, KeyError):
                continue
            out.append(event.stamped(_seq_of(entry_id), event.ts))
        return out

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
        await self.redis.aclose()
