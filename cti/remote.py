"""Commands to the active bridge over Redis, for processes that do not hold it.

In the production process model (``hotline serve --role …``) one process per
Asterisk holds the bridge (``cti.standby``); web processes and the dialer's
console actions reach it through two Redis lists, nothing home-made beside them:

* a request is one JSON document ``RPUSH``-ed onto ``<prefix>:commands``:
  ``{"id", "name", "args", "reply", "deadline"}``; the active bridge's
  ``CommandServer`` takes requests with ``BLPOP``, runs each, and ``LPUSH``-es
  the answer onto the request's own reply list, which expires after
  ``REPLY_TTL_MS`` whether anyone read it or not;
* the asking side waits on its reply list with ``BLPOP`` for ``timeout``
  seconds. Without an answer it takes its request back (``LREM``): still
  there means no bridge ever took it, so nothing happened (``not_connected``);
  gone means a bridge took it and did not answer in time, so its outcome is
  unknown (``no_reply``). A request whose deadline passed before a bridge got
  to it is dropped unanswered by the server: a hang-up must not happen half a
  minute after the agent was told it failed.

``RemoteBridge`` is the console's and the campaigns' bridge in such a
process: the same command methods as ``CtiBridge`` (each a ``CommandResult``)
and the same snapshot queries, answered from a ``BridgeMirror`` of the bus.
With several Asterisk servers (``asterisk_servers``) it has a ``Route`` per
server, each with its own keys and lock: an agent's commands go to the bridge
of the server their seat is on, refused at once (``no_active_bridge``) while
nobody holds that server's lock, and the mirror shows every server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cti import agents as A
from cti.bus import Bus
from cti.call_events import AmiConnectionChanged
from cti.commands import CommandResult
from cti.commands.service import colleague_refusal
from cti.events import Event
from cti.mirror import BridgeMirror

log = logging.getLogger(__name__)

#: the bridge methods a remote process may call; each returns a CommandResult
BRIDGE_COMMANDS = (
    "login",
    "logout",
    "sign_out_seat",
    "queue_join",
    "queue_leave",
    "ready",
    "pause",
    "wrapup_done",
    "hold_after_call_work",
    "acw_alive",
    "answer",
    "hangup",
    "hold",
    "unhold",
    "transfer",
    "consult",
    "complete_transfer",
    "cancel_transfer",
    "consult_completed",
    "relay_note",
    "conference",
    "dial",
    "dial_to_queue",
    "spy",
    "spy_stop",
    "spy_mode",
)
#: the bridge's whole present (agents with their skills, queues with their members, calls)
PRESENT = "present"
REPLY_TTL_MS = 30_000
DEFAULT_TIMEOUT = 5.0

Handler = Callable[..., Awaitable[Any]]


def keys_for(prefix: str) -> tuple[str, str]:
    """(requests list, lock key) of one Asterisk's bridge."""
    return f"{prefix}:commands", f"{prefix}:lock"


def bridge_prefix(ami_host: str, ami_port: int, namespace: str = "hotline:cti") -> str:
    """One Asterisk, one active bridge: its keys are named after the AMI address every process is given."""
    return f"{namespace}:{ami_host}:{ami_port}"


class Unanswered(Exception):
    """The command got no answer: ``reason`` is ``not_connected`` (no bridge took it) or ``no_reply``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class CommandClient:
    """Sends one request and waits for its answer (see the module's docstring)."""

    def __init__(self, redis: aioredis.Redis, prefix: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.redis = redis
        self.requests, _ = keys_for(prefix)
        self.prefix = prefix
        self.timeout = timeout

    async def request(self, name: str, *args: Any, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """The handler's result; raises ``Unanswered`` after ``timeout`` (and a last 0.2 s look) without one."""
        timeout = self.timeout if timeout is None else timeout
        request_id = uuid.uuid4().hex
        reply = f"{self.prefix}:reply:{request_id}"
        payload = json.dumps(
            {
                "id": request_id,
                "name": name,
                "args": list(args),
                "reply": reply,
                "deadline": time.time() + timeout,
            },
            ensure_ascii=False,
        )
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                # The list expires when no bridge has read it for a while: nothing piles up forever.
                await pipe.rpush(self.requests, payload).pexpire(self.requests, REPLY_TTL_MS).execute()
            answer = await self.redis.blpop([reply], timeout=timeout)
            if answer is None:
                taken_back = await self.redis.lrem(self.requests, 1, payload)
                if taken_back:
                    raise Unanswered(
                        "not_connected", f"no active CTI bridge took {name} within {timeout:g} s"
                    )
                # Taken just now: a last short look before calling the outcome unknown.
                answer = await self.redis.blpop([reply], timeout=0.2)
                if answer is None:
                    raise Unanswered(
                        "no_reply", f"the CTI bridge took {name} but did not answer within {timeout:g} s"
                    )
        except RedisError as exc:
            raise_if_cancelled()
            raise Unanswered("not_connected", f"Redis unreachable: {exc}") from exc
        body = json.loads(answer[1])
        if "error" in body:
            raise Unanswered("no_reply", f"the CTI bridge failed on {name}: {body['error']}")
        return body["result"]


class CommandServer:
    """Takes requests off the list and answers them, while its process holds the bridge."""

    def __init__(
        self, redis: aioredis.Redis, prefix: str, handlers: dict[str, Handler], *, poll: float = 1.0
    ) -> None:
        self.redis = redis
        self.requests, _ = keys_for(prefix)
        self.handlers = dict(handlers)
        self.poll = poll
        self._running = False
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._running = True
        self._loop_task = asyncio.get_running_loop().create_task(self._take(), name="cti-command-server")

    async def stop(self, grace: float = 2.0) -> None:
        """Take no more requests; let those being answered finish (``grace`` seconds at most)."""
        self._running = False
        if self._loop_task is not None:
            # BLPOP returns within ``poll``: cancelling it could lose a request it already took.
            done, _ = await asyncio.wait({self._loop_task}, timeout=self.poll + 1.0)
            if not done:
                self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await self._loop_task
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()

    async def _take(self) -> None:
        while self._running:
            try:
                item = await self.redis.blpop([self.requests], timeout=self.poll)
            except RedisError as exc:
                raise_if_cancelled()
                log.warning("command server: Redis read failed (%s); retrying", exc)
                await asyncio.sleep(0.5)
                continue
            if item is None:
                continue
            task = asyncio.get_running_loop().create_task(self._answer(item[1]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, raw: bytes) -> None:
        try:
            request = json.loads(raw)
            name, args, reply = request["name"], request["args"], request["reply"]
        except (ValueError, KeyError, TypeError):
            log.warning("command server: dropped a malformed request %r", raw[:200])
            return
        if time.time() > float(request.get("deadline") or 0):
            log.warning("command server: dropped %s: its sender stopped waiting", name)
            return
        handler = self.handlers.get(name)
        if handler is None:
            body: dict[str, Any] = {"error": f"unknown command {name!r}"}
        else:
            try:
                body = {"result": _jsonable(await handler(*args))}
            except Exception as exc:
                log.exception("command server: %s%r failed", name, tuple(args))
                body = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                await (
                    pipe.lpush(reply, json.dumps(body, ensure_ascii=False, default=str))
                    .pexpire(reply, REPLY_TTL_MS)
                    .execute()
                )
        except RedisError as exc:
            log.warning("command server: could not answer %s: %s", name, exc)


def bridge_handlers(bridge: Any) -> dict[str, Handler]:
    """What a ``CommandServer`` beside ``bridge`` answers: its commands and its present."""
    handlers: dict[str, Handler] = {name: getattr(bridge, name) for name in BRIDGE_COMMANDS}

    async def present() -> dict[str, Any]:
        return {
            "agents": bridge.agents(),
            "queues": bridge.queues(),
            "calls": bridge.calls(),
            "spies": bridge.spies(),
        }

    handlers[PRESENT] = present
    return handlers


class ConsoleBus:
    """The bus as the console of a web process subscribes to it.

    The console reads ``RemoteBridge.connected`` when it handles an
    ``AmiConnectionChanged``; the mirror has its own subscription, which may be a
    step behind. Through this view the mirror learns of the change first, so the
    console never tells the tabs the state from before the event it is handling.
    ``tell`` hands the console an event of this process's own, not on the bus:
    "no bridge any more", which a bridge that died cannot publish.
    """

    def __init__(self, bus: Bus, seen: Callable[[AmiConnectionChanged], None]) -> None:
        self.bus = bus
        self.seen = seen
        self._handlers: list[tuple[Any, tuple[type[Event], ...] | None]] = []

    def subscribe(self, handler: Any, *, types: Any = None, group: str | None = None) -> Any:
        async def connection_first(event: Event) -> None:
            if type(event) is AmiConnectionChanged:
                self.seen(event)  # type: ignore[arg-type]
            await handler(event)

        self._handlers.append((handler, tuple(types) if types is not None else None))
        return self.bus.subscribe(connection_first, types=types, group=group)

    async def tell(self, event: AmiConnectionChanged) -> None:
        self.seen(event)
        for handler, types in list(self._handlers):
            if types is None or isinstance(event, types):
                await handler(event)

    async def publish(self, event: Event) -> Event:
        return await self.bus.publish(event)

    async def replay(self, after_seq: int, limit: int = 10_000) -> list[Event]:
        return await self.bus.replay(after_seq, limit)

    async def close(self) -> None:
        await self.bus.close()


def raise_if_cancelled() -> None:
    """Call in an ``except RedisError``: redis-py may turn a cancelled command into a connection
    error, and a loop that took it for one would never stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _jsonable(value: Any) -> Any:
    if isinstance(value, CommandResult):
        return dataclasses.asdict(value)
    return value


def colleague_elsewhere(target: str, seat: dict[str, Any] | None) -> CommandResult | None:
    """Why ``target``, a colleague whose seat is on another server (``seat``: its bridge's word,
    None when it has none), cannot take a transfer or a consultation now; None when ready. Their
    own bridge is not asked: the caller goes over the trunk, and that server's dialplan and bridge
    take it as any transfer (a seat that does not answer sends a blind-transferred caller back)."""
    refusal = colleague_refusal(
        target,
        str(seat.get("state") or "logged_out") if seat else None,
        str((seat or {}).get("reason") or ""),
    )
    return None if refusal is None else CommandResult.refused(refusal.reason, refusal.message, **refusal.data)


def conference_elsewhere(target: str, server: str) -> CommandResult:
    """三方通话 with a colleague on another server: its room (ConfBridge) is on the caller's
    server, which rings only its own seats; refused in words, not with Asterisk's failure."""
    return CommandResult.refused(
        "conference_target_other_server",
        f"agent {target} is on Asterisk server {server}: a conference reaches this server's seats only",
        server=server,
    )


@dataclasses.dataclass(frozen=True)
class Route:
    """One Asterisk server's bridge, as a web process reaches it: its name (``asterisk_servers``),
    its keys' ``prefix`` (``bridge_prefix``), the ``host:port`` its AMI events name."""

    name: str
    prefix: str
    address: str = ""
    default: bool = False


def server_health(connected: bool, reason: str) -> dict[str, str]:
    """One Asterisk server's health as the supervisors see it: ``up``; ``misconfigured`` when its
    bridge refuses it (its systemname is not the configured one: ``reason`` says both); else
    ``down`` (its AMI link lost, or no bridge holds it)."""
    if connected:
        return {"state": "up", "reason": ""}
    if reason.startswith("misconfigured"):
        return {"state": "misconfigured", "reason": reason}
    return {"state": "down", "reason": reason}


@dataclasses.dataclass(eq=False)
class _RouteState:
    route: Route
    client: CommandClient
    mirror: BridgeMirror
    holder_present: bool = False
    spies: list[dict[str, Any]] | None = None
    queues: list[dict[str, Any]] | None = None

    @property
    def lock_key(self) -> str:
        return keys_for(self.route.prefix)[1]

    @property
    def ami_connected(self) -> bool:
        """Its bridge's last word on the bus (``AmiConnectionChanged`` naming its address)."""
        return bool(self.mirror.ami_servers.get(self.route.address))

    @property
    def connected(self) -> bool:
        return self.holder_present and self.ami_connected


class _RoutingClient:
    """``CommandClient.request`` for a ``RemoteBridge`` of several servers: a command whose first
    argument is an agent goes to that agent's server (the dialer's preview dial and skip)."""

    def __init__(self, bridge: RemoteBridge, timeout: float) -> None:
        self.bridge = bridge
        self.timeout = timeout

    async def request(self, name: str, *args: Any, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        route = self.bridge.route_of(str(args[0])) if args else self.bridge._default
        if route is None:
            whose = args[0] if args else name
            raise Unanswered("no_server", f"{whose}: no Asterisk server has this seat (asterisk_servers)")
        if self.bridge.several and not route.holder_present:
            raise Unanswered(
                "no_active_bridge", f"no active CTI bridge for Asterisk server {route.route.name}"
            )
        return await route.client.request(name, *args, timeout=timeout)


class RemoteBridge:
    """``CtiBridge``'s command surface and snapshots, for a process that does not hold the bridge.

    Commands go to the active bridge over Redis (``CommandClient``); ``agents()``,
    ``agent(id)``, ``queues()``, ``calls()`` and ``connected`` are answered from
    the bus (``BridgeMirror``) without a round trip. An agent's skills and a queue's
    members come with ``QueueMemberChanged``; what no event in the bus's history
    carries is filled in from the active bridge's present when this process starts
    and when the bridge changes hands or reconnects to Asterisk.
    """

    #: the active bridge (role cti) looks every caller up before ``CallOffered``; the console
    #: reads only whether this is set, and so does not look the caller up a second time
    customer_lookup: Any = True

    def __init__(
        self,
        redis_url: str,
        bus: Bus,
        prefix: str | None = None,
        *,
        routes: Sequence[Route] | None = None,
        server_of: Callable[[str], str | None] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        holder_poll: float = 1.0,
    ) -> None:
        """One bridge at ``prefix``, or several Asterisk servers' (``routes``): each agent's
        commands go to the bridge of ``server_of(agent_id)`` (a route's name; None: the
        default route's)."""
        if routes is None:
            if prefix is None:
                raise ValueError("RemoteBridge needs a prefix or routes")
            routes = [Route("", prefix, default=True)]
        if not routes:
            raise ValueError("RemoteBridge needs at least one route")
        self.redis = aioredis.Redis.from_url(redis_url)
        self.mirror = BridgeMirror(bus, on_details_missing=self._refresh_soon)
        self.mirror.several_servers = len(routes) > 1
        self.routes = {
            route.name: _RouteState(
                route, CommandClient(self.redis, route.prefix, timeout=timeout), self.mirror
            )
            for route in routes
        }
        if len(self.routes) != len(routes):
            raise ValueError("two routes have one name")
        self._default = next((r for r in self.routes.values() if r.route.default), None)
        self._by_address = {r.route.address: r for r in self.routes.values() if r.route.address}
        self.server_of = server_of or (lambda _agent_id: None)
        self.client = _RoutingClient(self, timeout)
        self.console_bus = ConsoleBus(bus, self._connection_seen)
        self.lock_key = next(iter(self.routes.values())).lock_key
        self.holder_poll = holder_poll
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refreshing: asyncio.Task[None] | None = None
        self._refresh_again = False
        self._closed = False

    @property
    def several(self) -> bool:
        return len(self.routes) > 1

    # -- lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        await self.mirror.start()
        await self._look_for_holder()
        self._spawn(self._watch_holder())
        self._refresh_soon()

    async def stop(self) -> None:
        self._closed = True  # a loop that missed its cancellation (see raise_if_cancelled) ends too
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.client.timeout + 1.0)
        await self.mirror.stop()
        await self.redis.aclose()

    @property
    def holder_present(self) -> bool:
        return any(r.holder_present for r in self.routes.values())

    @property
    def connected(self) -> bool:
        """A bridge holds the lock and its last word on the bus is that AMI is up; with
        several servers, that is so of one of them at least (``connected_for``: an agent's)."""
        if not self.several:
            only = next(iter(self.routes.values()))
            return only.holder_present and bool(self.mirror.ami_connected)
        return any(r.connected for r in self.routes.values())

    def connected_for(self, agent_id: str) -> bool:
        """Whether the bridge of the server ``agent_id``'s seat is on is up."""
        if not self.several:
            return self.connected
        route = self.route_of(agent_id)
        return route is not None and route.connected

    def servers(self) -> list[dict[str, Any]]:
        """Each server's bridge, for the supervisor: name, whether a bridge holds it, AMI up, and
        ``state`` (up | down | misconfigured) with the bridge's ``reason`` (server_health)."""
        out = []
        for r in self.routes.values():
            reason = self.mirror.ami_reasons.get(r.route.address, "")
            out.append(
                {
                    "server": r.route.name,
                    "active": r.holder_present,
                    "connected": r.connected,
                    **server_health(r.connected, reason),
                }
            )
        return out

    def route_of(self, agent_id: str) -> _RouteState | None:
        name = self.server_of(agent_id)
        if name is None:
            return self._default
        return self.routes.get(name)

    def _connection_seen(self, event: AmiConnectionChanged) -> None:
        self.mirror.connection(event)
        route = self._by_address.get(event.server) if self.several else next(iter(self.routes.values()))
        if event.connected and route is not None:
            route.holder_present = True  # only an active bridge says so; the lock poll may lag

    # -- queries (the bus) ----------------------------------------------------------
    def agents(self) -> list[dict[str, Any]]:
        return self.mirror.agents()

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        return self.mirror.agent(agent_id)

    def queues(self) -> list[dict[str, Any]]:
        return self.mirror.queues()

    def calls(self) -> list[dict[str, Any]]:
        return self.mirror.calls()

    def spies(self) -> list[dict[str, Any]]:
        return self.mirror.spies()

    def summed_queue(self, event: Any) -> dict[str, Any] | None:
        """A ``QueueUpdated``'s queue over every Asterisk server having one of its name (None: one has)."""
        return self.mirror.summed_queue(event) if self.several else None

    def ended_call(self, call_id: str) -> dict[str, Any] | None:
        return self.mirror.ended_call(call_id)

    # -- commands (Redis) -------------------------------------------------------------
    async def _command(self, name: str, *args: Any) -> CommandResult:
        """``name`` for the agent ``args[0]`` (the bridge of their server)."""
        return await self._on(self.route_of(str(args[0])) if args else self._default, name, *args)

    async def _on(self, route: _RouteState | None, name: str, *args: Any) -> CommandResult:
        if route is None:
            return CommandResult.refused(
                "no_server",
                f"{args[0] if args else name}: no Asterisk server has this seat (asterisk_servers)",
            )
        if self.several and not route.holder_present:
            # several servers: the console let the command through (another is up); this one's is not
            return CommandResult.refused(
                "no_active_bridge",
                f"no active CTI bridge for Asterisk server {route.route.name}",
                server=route.route.name,
            )
        try:
            body = await route.client.request(name, *args)
        except Unanswered as exc:
            return CommandResult.refused(exc.reason, exc.message)
        return CommandResult(
            bool(body["ok"]), body.get("reason", ""), body.get("message", ""), dict(body.get("data") or {})
        )

    async def login(self, agent_id: str, seat: str, skills: dict[str, int]) -> CommandResult:
        result = await self._command("login", agent_id, seat, skills)
        route = self.route_of(agent_id)
        if result.ok and route is not None and not await self._queues_arrive(agent_id):
            # The console asks for a snapshot right after: it must show the new queues. Their
            # QueueMemberChanged events come on the bus, usually with the answer; if they are
            # late, ask the bridge for its present instead.
            await self._refresh_route(route)
        return result

    async def _queues_arrive(self, agent_id: str, within: float = 1.0) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            agent = self.mirror.agent(agent_id)
            if agent is not None and agent.get("skills") and agent.get("state") != "logged_out":
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)

    async def logout(self, agent_id: str) -> CommandResult:
        return await self._command("logout", agent_id)

    async def sign_out_seat(self, agent_id: str, reason: str = A.SIGN_OUT_REASON) -> CommandResult:
        return await self._command("sign_out_seat", agent_id, reason)

    async def queue_join(self, agent_id: str, queue: str, penalty: int = 0) -> CommandResult:
        return await self._command("queue_join", agent_id, queue, penalty)

    async def queue_leave(self, agent_id: str, queue: str) -> CommandResult:
        return await self._command("queue_leave", agent_id, queue)

    async def ready(self, agent_id: str) -> CommandResult:
        return await self._command("ready", agent_id)

    async def pause(self, agent_id: str, reason: str) -> CommandResult:
        return await self._command("pause", agent_id, reason)

    async def wrapup_done(self, agent_id: str) -> CommandResult:
        return await self._command("wrapup_done", agent_id)

    async def hold_after_call_work(
        self, agent_id: str, call_id: str, hold: bool, holder: str = ""
    ) -> CommandResult:
        return await self._command("hold_after_call_work", agent_id, call_id, hold, holder)

    async def acw_alive(self, process: str, interval: float) -> CommandResult:
        """This process's tabs hold after-call work: every server's bridge hears it."""
        results = await asyncio.gather(
            *(self._on(route, "acw_alive", process, interval) for route in self.routes.values())
        )
        return next((r for r in results if r.ok), results[0])

    async def answer(self, agent_id: str) -> CommandResult:
        return await self._command("answer", agent_id)

    async def hangup(self, agent_id: str) -> CommandResult:
        return await self._command("hangup", agent_id)

    async def hold(self, agent_id: str) -> CommandResult:
        return await self._command("hold", agent_id)

    async def unhold(self, agent_id: str) -> CommandResult:
        return await self._command("unhold", agent_id)

    def _elsewhere(self, agent_id: str, kind: str, target: str) -> _RouteState | None:
        """The route of the server of ``target``, a colleague (``kind`` agent) whose seat is on
        another server than ``agent_id``'s; None for any other target."""
        if kind != "agent" or not self.several:
            return None
        own, theirs = self.route_of(agent_id), self.route_of(target)
        return theirs if own is not None and theirs is not None and theirs is not own else None

    async def _handed_over(
        self, name: str, agent_id: str, kind: str, target: str, note: str = ""
    ) -> CommandResult:
        """``transfer`` or ``consult``: by the agent's own bridge; to a colleague on another
        server over the trunk, once that server's bridge says they are ready. A transfer's
        ``note`` (转接备注) is sent only when there is one: without it the request is as before,
        which a bridge not yet updated still takes."""
        theirs = self._elsewhere(agent_id, kind, target)
        if theirs is None:
            if note:
                return await self._command(name, agent_id, kind, target, "", note)
            return await self._command(name, agent_id, kind, target)
        if not theirs.connected:
            # nobody would pop the screen there, nor follow the seat: the caller stays
            return CommandResult.refused(
                "target_server_down",
                f"no active CTI bridge for Asterisk server {theirs.route.name}",
                server=theirs.route.name,
            )
        refusal = colleague_elsewhere(target, self.mirror.agent(target))
        if refusal is not None:
            return refusal
        if note:
            # not over the trunk (its relay is a SIP header, no free text): their bridge is told
            # first, so the caller finds it there
            await self._relay_note(theirs, target, agent_id, note)
            return await self._command(name, agent_id, kind, target, theirs.route.name, note)
        return await self._command(name, agent_id, kind, target, theirs.route.name)

    async def _relay_note(self, theirs: _RouteState, target: str, agent_id: str, note: str) -> None:
        """The 转接备注 of ``agent_id``'s caller, whom they hand on to ``target`` on another server,
        told to that server's bridge (``CtiBridge.relay_note``). Untold (no call known, the bridge
        not answering), the caller goes all the same and pops 转接自 without it."""
        call_id = str((self.mirror.agent(agent_id) or {}).get("call_id") or "")
        told = await self._on(theirs, "relay_note", target, call_id, agent_id, note) if call_id else None
        if told is None or not told.ok:
            log.warning(
                "%s hands %s on to %s without its note: %s",
                agent_id,
                call_id or "their call",
                target,
                told.message if told is not None else "no call known",
            )

    async def transfer(self, agent_id: str, kind: str, target: str, note: str = "") -> CommandResult:
        return await self._handed_over("transfer", agent_id, kind, target, note)

    async def consult(self, agent_id: str, kind: str, target: str) -> CommandResult:
        return await self._handed_over("consult", agent_id, kind, target)

    async def complete_transfer(self, agent_id: str) -> CommandResult:
        """By the agent's own bridge; a colleague consulted on another server is then told by
        theirs that the caller is theirs now (that bridge sees none of this server's legs)."""
        colleague = self._consulted_elsewhere(agent_id)
        result = await self._command("complete_transfer", agent_id)
        if result.ok and colleague:
            call_id = str(result.data.get("call_id") or "")
            told = await self._command("consult_completed", colleague, call_id, agent_id)
            if not told.ok:
                log.warning(
                    "%s completed %s to %s, whose bridge was not told: %s",
                    agent_id,
                    call_id,
                    colleague,
                    told.message,
                )
        return result

    def _consulted_elsewhere(self, agent_id: str) -> str:
        """The colleague ``agent_id`` consults now, when their seat is on another server; else ""."""
        consult = (self.mirror.agent(agent_id) or {}).get("consult") or {}
        kind, _, target = str(consult.get("target") or "").partition(":")
        return target if self._elsewhere(agent_id, kind, target) is not None else ""

    async def cancel_transfer(self, agent_id: str) -> CommandResult:
        return await self._command("cancel_transfer", agent_id)

    async def conference(self, agent_id: str, target_agent: str) -> CommandResult:
        theirs = self._elsewhere(agent_id, "agent", target_agent)
        if theirs is not None:
            return conference_elsewhere(target_agent, theirs.route.name)
        return await self._command("conference", agent_id, target_agent)

    async def dial(self, agent_id: str, number: str, ring_timeout: int | None = None) -> CommandResult:
        return await self._command("dial", agent_id, number, ring_timeout)

    async def dial_to_queue(
        self, number: str, queue: str, ring_timeout: int = 30, connect_timeout: int = 2
    ) -> CommandResult:
        return await self._on(self._default, "dial_to_queue", number, queue, ring_timeout, connect_timeout)

    async def spy(
        self, supervisor_seat: str, agent_id: str, mode: str, supervisor: str = "", supervisor_name: str = ""
    ) -> CommandResult:
        # ChanSpy runs on the agent's Asterisk; a supervisor's seat on another server is rung
        # from there over that server's trunk
        route = self.route_of(agent_id)
        theirs = self._elsewhere(agent_id, "agent", supervisor) if supervisor else None
        across = (theirs.route.name,) if theirs is not None else ()
        return await self._on(
            route, "spy", supervisor_seat, agent_id, mode, supervisor, supervisor_name, *across
        )

    async def spy_stop(self, spy_id: str, supervisor: str) -> CommandResult:
        return await self._on(self._route_of_spy(spy_id), "spy_stop", spy_id, supervisor)

    async def spy_mode(self, spy_id: str, supervisor: str, mode: str) -> CommandResult:
        return await self._on(self._route_of_spy(spy_id), "spy_mode", spy_id, supervisor, mode)

    def _route_of_spy(self, spy_id: str) -> _RouteState | None:
        for spy in self.mirror.spies():
            if spy.get("spy_id") == spy_id and spy.get("agent_id"):
                return self.route_of(str(spy["agent_id"]))
        return self._default

    # -- the details events do not carry ------------------------------------------------
    async def refresh(self) -> bool:
        """Fill the mirror in from the active bridges' present; False when one did not answer."""
        answered = await asyncio.gather(*(self._refresh_route(r) for r in self.routes.values()))
        return all(answered)

    async def _refresh_route(self, route: _RouteState) -> bool:
        if self.several and not route.holder_present:
            return False
        try:
            present = await route.client.request(PRESENT)
        except Unanswered as exc:
            log.debug("bridge present of %s not available: %s", route.route.name or "the bridge", exc.message)
            return False
        if self.several:
            # a present is its bridge's whole word on spies and on the members of its queues: the
            # other servers' stay (a queue of one name on two servers has the members of both)
            route.queues = list(present.get("queues", ()))
            present = {**present, "queues": self._queues_of_all()}
            if "spies" in present:
                route.spies = list(present["spies"])
                present["spies"] = [s for r in self.routes.values() for s in (r.spies or ())]
        self.mirror.fill(present)
        return True

    def _refresh_soon(self) -> None:
        if self._closed:
            return
        if self._refreshing is not None and not self._refreshing.done():
            self._refresh_again = True  # something changed while asking: ask once more after
            return
        self._refreshing = self._spawn(self._refresh_until_answered())

    async def _refresh_until_answered(self) -> None:
        pending = list(self.routes.values())
        while not self._closed:
            self._refresh_again = False
            answered = await asyncio.gather(*(self._refresh_route(route) for route in pending))
            if self._refresh_again:
                pending = list(self.routes.values())  # something changed while asking: ask again
                continue
            # a server whose bridge is down is asked again later, not the others
            pending = [route for route, ok in zip(pending, answered, strict=True) if not ok]
            if not pending:
                return
            await asyncio.sleep(self.holder_poll)

    def _queues_of_all(self) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for route in self.routes.values():
            for queue in route.queues or ():
                row = rows.setdefault(queue["queue"], {**queue, "members": [], "waiting_calls": []})
                seats = {m.get("interface") for m in row["members"]}
                row["members"] += [
                    dict(m) for m in queue.get("members", ()) if m.get("interface") not in seats
                ]
                row["waiting_calls"] += [
                    c for c in queue.get("waiting_calls", ()) if c not in row["waiting_calls"]
                ]
        return list(rows.values())

    async def _look_for_holder(self) -> None:
        for route in self.routes.values():
            await self._look_for_route_holder(route)

    async def _look_for_route_holder(self, route: _RouteState) -> None:
        try:
            present = bool(await self.redis.exists(route.lock_key))
        except RedisError:
            raise_if_cancelled()
            present = False
        if present and not route.holder_present:
            self._refresh_soon()  # a bridge took over: its view may differ from the bus's last word
        ami_up = route.ami_connected if self.several else self.mirror.ami_connected
        gone = route.holder_present and not present and bool(ami_up)
        route.holder_present = present
        if gone:
            # The holder stopped renewing without saying AMI is down (killed, hung, cut off):
            # the tabs hear it from here; the next bridge's own events follow when it takes over.
            await self.console_bus.tell(
                AmiConnectionChanged(connected=False, server=route.route.address, reason="no_active_bridge")
            )

    async def _watch_holder(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.holder_poll)
            await self._look_for_holder()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
