"""The dialer's console actions from a process that does not run the dialer.

In the production process model the dialer runs beside the active bridge
(``hotline serve --role cti``: it reads Asterisk's ``DialEnd`` from the bridge's
AMI link, and its preview offers live in its memory); a web process reaches its
preview dial / skip through the same Redis command channel as the bridge's
commands (``cti.remote``).

Its status (running, or down with why its start failed) reaches the web process the
way the bridge's presence does: a Redis key with a time to live, ``DialerHeartbeat``
(``<bridge prefix>:dialer``, beside the bridge's lock and commands). The dialer's
process rewrites it every third of its life while the dialer runs, and deletes it when
the dialer stops; a process that dies, hangs or loses Redis stops rewriting it and it
expires. ``RemoteDialer.status`` reads it: no key means no process runs the dialer
for that Asterisk server, which the campaigns page shows as down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cti.remote import CommandClient, Unanswered, raise_if_cancelled

log = logging.getLogger(__name__)

#: the dialer methods a ``CommandServer`` beside it answers
DIALER_COMMANDS = ("preview_dial", "preview_skip", "current_offer")


class DialerUnavailable(Exception):
    """No active dialer answered; the console shows it as the phone system being unavailable."""

    error_id = "cti.unavailable"


#: what a web process reports for a server whose dialer's heartbeat is missing (admins read it)
NO_HEARTBEAT = "no dialer has reported within its heartbeat's life: no cti process runs it"


def dialer_handlers(dialer: Any) -> dict[str, Any]:
    return {name: getattr(dialer, name) for name in DIALER_COMMANDS}


def status_key(prefix: str) -> str:
    """The Redis key of the dialer beside the bridge at ``prefix`` (``cti.remote.bridge_prefix``)."""
    return f"{prefix}:dialer"


class DialerHeartbeat:
    """Keeps ``dialer.status()`` in the Redis key ``status_key(prefix)``, rewritten every
    ``ttl / 3`` seconds with ``ttl`` to live, until cancelled (then deleted: the dialer stopped)."""

    def __init__(self, redis: aioredis.Redis, prefix: str, dialer: Any, *, ttl: float = 5.0) -> None:
        self.redis = redis
        self.key = status_key(prefix)
        self.dialer = dialer
        self.ttl = ttl

    async def beat(self) -> None:
        await self.redis.set(self.key, json.dumps(self.dialer.status()), px=max(1, int(self.ttl * 1000)))

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.beat()
                except RedisError as exc:
                    raise_if_cancelled()
                    log.warning("dialer heartbeat %s: Redis unreachable (%s)", self.key, exc)
                await asyncio.sleep(self.ttl / 3)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(self.key)


class RemoteDialer:
    def __init__(
        self,
        client: CommandClient,
        *,
        redis: aioredis.Redis | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """``redis`` and ``prefixes`` (each Asterisk server's name: its bridge's prefix) are where
        ``status`` reads the dialers' heartbeats; without them it cannot tell (None)."""
        self.client = client
        self.redis = redis
        self.prefixes = dict(prefixes or {})

    async def status(self) -> dict[str, Any] | None:
        """``{"running", "error"}`` as ``Dialer.status``, from the heartbeat of each server's dialer:
        running when every one reports running; a missing heartbeat is a dialer down
        (``NO_HEARTBEAT``); ``error`` names the server when there are several."""
        if self.redis is None or not self.prefixes:
            return None
        keys = [status_key(prefix) for prefix in self.prefixes.values()]
        try:
            found = await self.redis.mget(keys)
        except RedisError as exc:
            raise_if_cancelled()
            return {"running": False, "error": f"Redis: {exc}"[:500]}
        states = {}
        for name, raw in zip(self.prefixes, found, strict=True):
            try:
                state = json.loads(raw) if raw is not None else None
            except ValueError:
                state = None
            if not isinstance(state, dict):
                state = {"running": False, "error": NO_HEARTBEAT}
            states[name] = {"running": bool(state.get("running")), "error": str(state.get("error") or "")}
        several = len(states) > 1
        return {
            "running": all(state["running"] for state in states.values()),
            "error": "; ".join(
                f"{name}: {state['error']}" if several else state["error"]
                for name, state in states.items()
                if state["error"]
            ),
        }

    async def preview_dial(self, agent_id: str, contact_id: int) -> tuple[bool, str]:
        """(ok, call id or refusal id), as ``Dialer.preview_dial``."""
        try:
            ok, detail = await self.client.request("preview_dial", agent_id, contact_id)
        except Unanswered as exc:
            raise DialerUnavailable(exc.message) from exc
        return bool(ok), str(detail)

    async def preview_skip(self, agent_id: str, contact_id: int) -> bool:
        try:
            return bool(await self.client.request("preview_skip", agent_id, contact_id))
        except Unanswered as exc:
            raise DialerUnavailable(exc.message) from exc

    async def current_offer(self, agent_id: str) -> dict[str, Any] | None:
        """The agent's preview offer, as ``Dialer.current_offer`` (None: none)."""
        try:
            offer = await self.client.request("current_offer", agent_id)
        except Unanswered as exc:
            raise DialerUnavailable(exc.message) from exc
        return offer if isinstance(offer, dict) else None
