"""One active bridge per Asterisk, a standby ready to take over: a Redis lock.

Every ``cti`` process runs ``ActiveStandby``. The one whose ``SET key token NX
PX ttl`` succeeded is active: it connects to AMI, answers commands, and renews
the lock every third of ``ttl``; the others try again every ``poll`` seconds.
The holder gives the lock back when it stops (after its bridge has let go of
AMI, so two bridges never steer one Asterisk). One that dies, hangs or loses
Redis stops renewing: the lock expires after ``ttl`` and a standby takes over;
its bridge replays the bus and resyncs from Asterisk (``CoreShowChannels``,
``QueueStatus``) like any bridge that connects. A holder that cannot renew in
time, or finds the lock taken by another, steps down at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cti.remote import raise_if_cancelled

log = logging.getLogger(__name__)

# Renew or give back only a lock that is still ours (the token), in one step.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class BridgeLock:
    def __init__(self, redis: aioredis.Redis, key: str, *, ttl: float = 5.0) -> None:
        self.redis = redis
        self.key = key
        self.ttl = ttl
        # who holds it, readable with GET when an operator wonders which process is active
        self.token = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)))

    async def renew(self) -> bool:
        return bool(await self._renew(keys=[self.key], args=[self.token, int(self.ttl * 1000)]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])


class ActiveStandby:
    """Runs ``activate()`` (an async context: the bridge and what serves beside it) while holding the lock."""

    def __init__(
        self,
        lock: BridgeLock,
        activate: Callable[[], AbstractAsyncContextManager[object]],
        *,
        poll: float | None = None,
    ) -> None:
        self.lock = lock
        self.activate = activate
        self.poll = poll if poll is not None else max(0.2, lock.ttl / 3)
        self.active = asyncio.Event()  # set while this process holds the bridge (tests, logs)
        self.terms = 0  # how many times it became active

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                acquired = await self.lock.acquire()
            except RedisError as exc:
                raise_if_cancelled()
                log.warning("bridge lock %s: Redis unreachable (%s)", self.lock.key, exc)
                acquired = False
            if not acquired:
                await _wait(stop, self.poll)
                continue
            log.info(
                "bridge lock %s taken (%s): this process is the active bridge", self.lock.key, self.lock.token
            )
            self.terms += 1
            try:
                async with self.activate():
                    self.active.set()
                    lost = await self._hold(stop)
            except Exception:
                log.exception("the active bridge failed; giving the lock back")
                lost = False
                await _wait(stop, self.poll)
            finally:
                self.active.clear()
            if lost:
                log.warning("bridge lock %s lost: back to standby", self.lock.key)
                continue
            with contextlib.suppress(RedisError):
                await self.lock.release()

    async def _hold(self, stop: asyncio.Event) -> bool:
        """Renew until ``stop`` (False) or until the lock is no longer surely ours (True)."""
        renewed = time.monotonic()
        while True:
            if await _wait(stop, self.lock.ttl / 3):
                return False
            try:
                if not await self.lock.renew():
                    return True  # expired and taken by another, or deleted
                renewed = time.monotonic()
            except RedisError as exc:
                raise_if_cancelled()
                log.warning("bridge lock %s: renewal failed (%s)", self.lock.key, exc)
                if time.monotonic() - renewed > self.lock.ttl * 0.9:
                    return True  # it may have expired: another bridge may be taking over


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopped."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
    return stop.is_set()
