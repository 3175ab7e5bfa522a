"""Screen-pop latency through the real Asterisk, the real bridge and the real console, to each agent's tab.

Setup: the real ``CtiBridge`` connected to the real Asterisk (settings from
``hotline.config``, like ``hotline serve``), its ``customer_lookup`` the
ticketing core's ``screen_pop_hook`` on the 1 M customer population (SQLite,
or PostgreSQL with ``--db postgres``: its lookup runs on the event loop, with
no thread);
the real console app (``agent_ui.create_app``: its websocket gateway on the
same in-process bus, the same population as its ticketing database);
``--agents`` agents logged in by the bridge itself (``login`` + ``ready``:
QueueAdd on bench-a, simulated phones ``Local/<ext>@hotline-sim-phone/n``
that answer at once and talk 1 s), and each agent signed in to the console
with one websocket open. The tabs run in a process of their own
(``bench.screenpop_clients``) and stamp a ``screen_pop`` when its bytes
arrive. Callers arrive at ``--rate`` per second through ``hotline-inbound``
(DNIS 95598), each with the mobile number of a random customer.

Per call, four clocks (CLOCK_MONOTONIC, shared by both processes):

* Originate sent → ``AgentCalled`` read off AMI by the bridge's client: the
  Asterisk side, the floor;
* ``AgentCalled`` read → ``CallOffered`` *with the customer matched* delivered
  by the bus to a subscriber: the bridge proper (model, lookup, publish);
* that delivery → the agent's tab holds the ``screen_pop``: the console's
  gateway (its own pop lookup, serialising, the socket);
* ``AgentCalled`` → the tab, and Originate → the tab: the goal's figures.

The agents' console sessions are started by the console's own
``start_user_session`` through a bench-only route: 500 password checks
(argon2, ~0.4 s each here) would take minutes and are not on the path measured.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.figures import record, spread, table
from bench.population import mobile
from bench.remote_commands import REDIS_URL
from bench.sim_agents import sign_in, sign_out

QUEUE = "bench-a"
#: agent ids (工号, 4-6 digits for the console) are this prefix + the simulated extension
PREFIX = "9"
REPO = Path(__file__).resolve().parent.parent


async def run(
    agents: int,
    rate: float,
    seconds: float,
    customers: int,
    first_ext: int = 3100,
    tabs: int | None = None,
    db: str = "sqlite",
    split: bool = False,
    settle: float = 1.0,
) -> dict[str, Any]:
    """``tabs``: how many of the agents have the console open (all by default); only their pops reach a tab.
    ``split``: the console in a process of its own, as ``--role web`` beside ``--role cti`` (see ``_Split``).
    ``settle``: quiet seconds once the tabs are settled, before the first call."""
    from bench import population
    from cti.ami import AmiClient
    from cti.bridge import CtiBridge
    from cti.bus import InProcessBus
    from cti.call_events import CallOffered
    from hotline.config import load_settings
    from hotline.runtime import cti_settings, settle_heap
    from ticketing import create_engine, screen_pop_hook, sessionmaker

    url = await population.ensure(db, customers, clean=True)
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    product = load_settings()
    settings = cti_settings(product)
    settings.replay_history = False
    split_run = _Split(settings) if split else None
    bus = split_run.bus if split_run else InProcessBus()
    bridge = CtiBridge(settings, bus, customer_lookup=screen_pop_hook(sessions))
    sent: dict[str, float] = {}
    called: dict[str, float] = {}
    offered: dict[str, float] = {}
    to_tabs: set[str] = set()  # callers offered to an agent with a tab open
    bridge.ami.on_event("AgentCalled", lambda f: called.setdefault(f.get("CallerIDNum"), time.monotonic()))

    async def on_offered(event: Any) -> None:
        if isinstance(event, CallOffered) and event.caller in sent and event.customer:
            offered.setdefault(event.caller, time.monotonic())
            if event.agent_id in with_tab:
                to_tabs.add(event.caller)

    subscription = bus.subscribe(on_offered, types=[CallOffered])
    control = AmiClient(
        settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret, events="off"
    )
    exts = [str(first_ext + n) for n in range(agents)]
    agent_ids = [f"{PREFIX}{ext}" for ext in exts][: agents if tabs is None else tabs]
    with_tab = set(agent_ids)
    await _console_users(sessions, agent_ids)
    await bridge.start()
    await bridge.wait_connected()
    if split_run is not None:
        console: _Console | _RemoteConsole = await split_run.start(bridge, url, product.secret_key)
    else:
        console = await _Console.start(bus, sessions, product.secret_key, bridge)
    await control.start()
    await control.wait_connected()
    browsers = None
    received: dict[str, Any] = {}
    refused = resyncs = 0
    drained = 0.0
    published: dict[str, int] = {}
    try:
        await sign_in(bridge, control, exts, PREFIX, QUEUE)
        if agent_ids:
            browsers = await _Tabs.open(console.port, [await console.cookie(a) for a in agent_ids])
        await console.settled(len(agent_ids))
        await asyncio.sleep(settle)
        settle_heap()  # as hotline serve does once it has started everything
        before = await bus.replay(0, 1_000_000)
        first_seq = before[-1].seq if before else 0
        rng = random.Random(20)
        loop = asyncio.get_running_loop()
        start = loop.time()
        total = int(rate * seconds)
        tasks = []
        for n in range(total):
            delay = start + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            number = mobile(rng.randint(1, customers))
            while number in sent:
                number = mobile(rng.randint(1, customers))
            sent[number] = time.monotonic()
            tasks.append(
                loop.create_task(
                    control.action(
                        "Originate",
                        Channel="Local/95598@hotline-inbound/n",
                        Context="hotline-sim-caller",
                        Exten="10",
                        Priority=1,
                        CallerID=f'"Bench" <{number}>',
                        Variable=[f"__HOTLINE_QUEUE={QUEUE}"],
                        Async="true",
                    )
                )
            )
        refused = sum(
            isinstance(r, BaseException) for r in await asyncio.gather(*tasks, return_exceptions=True)
        )
        deadline = loop.time() + 15
        while len(offered) < total - refused and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        # Let the last calls finish before the agents leave: until none of ours is open (the
        # phones talk 1 s; a bound, should the bridge have missed an end).
        deadline = loop.time() + 30
        while any(c["caller"] in sent for c in bridge.calls()) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        # A console that fell behind still delivers: wait for it (a late pop counts late, not lost).
        waited = time.monotonic()
        while browsers is not None and not to_tabs <= browsers.callers() and time.monotonic() - waited < 120:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        drained = time.monotonic() - waited
        resyncs = await console.resyncs()
        for event in await bus.replay(first_seq, 1_000_000):
            published[event.name] = published.get(event.name, 0) + 1
    finally:
        if browsers is not None:
            received = await browsers.close()
        await sign_out(bridge, control, exts, PREFIX)
        await control.stop()
        await subscription.close()
        await console.stop()
        await bridge.stop()
        if split_run is not None:
            await split_run.stop()
        await bus.close()
        await engine.dispose()
    pops = browsers.pops if browsers is not None else []
    tab = {caller: t for caller, t, customer, _ in pops if caller in sent and customer}
    return {
        "agents": agents,
        "db": db,
        "split": split,
        "tabs": len(agent_ids),
        "rate": rate,
        "calls": len(sent),
        "refused": refused,
        "offered": len(offered),
        "popped": sum(caller in sent for caller, *_ in pops),
        "matched": len(tab),
        "tab_messages": received.get("messages", 0),
        "tab_bytes": received.get("bytes", 0),
        "tab_resyncs": resyncs,
        "gateway_drained_s": drained,
        "published": published,
        "asterisk_ms": _span(sent, called),
        "bridge_bus_ms": _span(called, offered),
        "gateway_ms": _span(offered, tab),
        "bridge_ms": _span(called, tab),
        "end_to_end_ms": _span(sent, tab),
    }


def _span(start: dict[str, float], end: dict[str, float]) -> dict[str, float]:
    return spread([(end[k] - start[k]) * 1000 for k in end if k in start])


async def _console_users(sessions: Any, agent_ids: list[str]) -> None:
    """A console user (role agent) for each simulated agent, kept in the population between runs."""
    from sqlalchemy import select

    from ticketing import users
    from ticketing.models import Site, User

    async with sessions.begin() as db:
        existing = set(await db.scalars(select(User.staff_no).where(User.staff_no.in_(agent_ids))))
        missing = [a for a in agent_ids if a not in existing]
        if not missing:
            return
        site_id = await db.scalar(select(Site.id).order_by(Site.id).limit(1))
        hashed = users.hash_password("bench-never-typed")  # nobody signs in with it (see the docstring)
        for agent_id in missing:
            await users.create_user(
                db,
                agent_id,
                f"坐席{agent_id}",
                "",
                roles=["agent"],
                site_id=site_id,
                must_change_password=False,
                password_hash=hashed,
            )


class _Console:
    """The real console app on a loopback port, plus the bench's sign-in route."""

    def __init__(self, runner: Any, app: Any, port: int) -> None:
        self.runner, self.app, self.port = runner, app, port

    @classmethod
    async def start(cls, bus: Any, sessions: Any, secret_key: str, bridge: Any) -> _Console:
        from aiohttp import web
        from sqlalchemy import select

        from agent_ui import AppServices, create_app
        from agent_ui.auth import start_user_session
        from agent_ui.roles import public
        from agent_ui.services import SERVICES
        from ticketing.models import User

        app = create_app(
            AppServices(
                bus=bus, sessionmaker=sessions, secret_key=secret_key, bridge=bridge, cookie_secure=False
            )
        )

        @public
        async def sign_in_without_password(request: web.Request) -> web.Response:
            async with request.app[SERVICES].sessionmaker() as db:
                user = await db.scalar(select(User).where(User.staff_no == request.match_info["staff_no"]))
            if user is None:
                raise web.HTTPNotFound()
            await start_user_session(request, user)
            return web.json_response({"ok": True})

        app.router.add_get("/bench/sign-in/{staff_no}", sign_in_without_password)
        console = cls(None, app, 0)

        # for a driver in another process (``_RemoteConsole``)
        @public
        async def settled(request: web.Request) -> web.Response:
            return web.json_response({"seconds": await console.settled(int(request.query["tabs"]))})

        @public
        async def resyncs(_request: web.Request) -> web.Response:
            return web.json_response({"resyncs": await console.resyncs()})

        app.router.add_get("/bench/settled", settled)
        app.router.add_get("/bench/resyncs", resyncs)
        console.runner = web.AppRunner(app, access_log=None)
        await console.runner.setup()
        site = web.TCPSite(console.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        console.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return console

    async def cookie(self, staff_no: str) -> str:
        return await _cookie(self.port, staff_no)

    async def settled(self, tabs: int, timeout: float = 120.0) -> float:  # noqa: ASYNC109
        """Seconds until every tab is connected and has all it was sent (a writer waiting on an empty queue)."""
        from agent_ui.services import GATEWAY

        hub = self.app[GATEWAY]
        started = time.monotonic()
        while len(hub.clients) < tabs or not all(_idle(c.queue) for c in hub.clients):  # noqa: ASYNC110
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"only {len(hub.clients)} of {tabs} console tabs settled")
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    async def resyncs(self) -> int:
        """Backlogs the gateway dropped (a tab 256 messages behind gets a snapshot instead)."""
        from agent_ui.services import GATEWAY

        return sum(c.resyncs for c in self.app[GATEWAY].clients)

    async def stop(self) -> None:
        await self.runner.cleanup()


async def _cookie(port: int, staff_no: str) -> str:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        resp = await http.get(f"http://127.0.0.1:{port}/bench/sign-in/{staff_no}")
        if resp.status != 200:
            raise RuntimeError(f"console sign-in of {staff_no} refused: {resp.status}")
        return "; ".join(f"{name}={morsel.value}" for name, morsel in resp.cookies.items())


class _Split:
    """The production split on one machine: this process is ``--role cti`` (the bridge on a
    Redis bus, answering commands, holding the bridge lock), and the console runs in a process
    of its own as ``--role web`` does (``bench.screenpop_web``: a ``RemoteBridge`` and the
    console app on the same Redis). Its keys carry a name of their own and are deleted after."""

    def __init__(self, settings: Any) -> None:
        import uuid

        import redis.asyncio as aioredis

        from cti.redis_bus import RedisBus
        from cti.remote import bridge_prefix

        self.namespace = f"hotline-bench-{uuid.uuid4().hex[:8]}"
        self.bus = RedisBus(REDIS_URL, stream=f"{self.namespace}:events")
        self.redis = aioredis.Redis.from_url(REDIS_URL)
        self.prefix = bridge_prefix(settings.ami_host, settings.ami_port, f"{self.namespace}:cti")
        self.server: Any = None

    async def start(self, bridge: Any, db_url: str, secret_key: str) -> _RemoteConsole:
        from cti.remote import CommandServer, bridge_handlers, keys_for

        _, lock = keys_for(self.prefix)
        await self.redis.set(lock, "bench", px=3_600_000)  # this process is the active bridge
        self.server = CommandServer(self.redis, self.prefix, bridge_handlers(bridge))
        await self.server.start()
        return await _RemoteConsole.start(REDIS_URL, self.namespace, self.prefix, db_url, secret_key)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
        keys = [key async for key in self.redis.scan_iter(match=f"{self.namespace}:*")]
        if keys:
            await self.redis.delete(*keys)
        await self.redis.aclose()


class _RemoteConsole:
    """``bench.screenpop_web`` in a process of its own, driven over HTTP like ``_Console``."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc, self.port = proc, port

    @classmethod
    async def start(
        cls, redis_url: str, namespace: str, prefix: str, db_url: str, secret_key: str
    ) -> _RemoteConsole:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.screenpop_web",
            redis_url,
            namespace,
            prefix,
            db_url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        proc.stdin.write(secret_key.encode() + b"\n")  # type: ignore[union-attr]
        await proc.stdin.drain()  # type: ignore[union-attr]
        hello = await asyncio.wait_for(proc.stdout.readline(), 120)  # type: ignore[union-attr]
        if not hello:
            await proc.wait()
            raise RuntimeError(f"the console process failed (exit {proc.returncode})")
        return cls(proc, json.loads(hello)["port"])

    async def cookie(self, staff_no: str) -> str:
        return await _cookie(self.port, staff_no)

    async def _get(self, path: str, **params: Any) -> dict[str, Any]:
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as http:
            resp = await http.get(f"http://127.0.0.1:{self.port}{path}", params=params)
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status} {await resp.text()}")
            return await resp.json()

    async def settled(self, tabs: int) -> float:
        return (await self._get("/bench/settled", tabs=tabs))["seconds"]

    async def resyncs(self) -> int:
        return (await self._get("/bench/resyncs"))["resyncs"]

    async def stop(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        await asyncio.wait_for(self.proc.wait(), 60)


def _idle(queue: asyncio.Queue) -> bool:
    return queue.empty() and bool(getattr(queue, "_getters", ()))


class _Tabs:
    """The agents' tabs: ``bench.screenpop_clients`` in a process of its own."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pops: list[list[Any]] = []
        self.summary: dict[str, Any] = {}
        self._reader: asyncio.Task[None] | None = None

    def callers(self) -> set[str]:
        return {pop[0] for pop in self.pops}

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():  # type: ignore[union-attr]
            got = json.loads(line)
            if isinstance(got, list):
                self.pops.append(got)
            else:
                self.summary = got

    @classmethod
    async def open(cls, port: int, cookies: list[str]) -> _Tabs:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.screenpop_clients",
            "--port",
            str(port),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
            limit=64 * 1024 * 1024,
        )
        tabs = cls(proc)
        proc.stdin.write(json.dumps(cookies).encode() + b"\n")  # type: ignore[union-attr]
        await proc.stdin.drain()  # type: ignore[union-attr]
        hello = await asyncio.wait_for(proc.stdout.readline(), 120)  # type: ignore[union-attr]
        if not hello:
            await proc.wait()
            raise RuntimeError(f"screen-pop tabs failed (exit {proc.returncode})")
        connected = json.loads(hello)["connected"]
        if connected != len(cookies):
            raise RuntimeError(f"only {connected} of {len(cookies)} tabs connected")
        tabs._reader = asyncio.get_running_loop().create_task(tabs._read())
        return tabs

    async def close(self) -> dict[str, Any]:
        self.proc.stdin.close()  # type: ignore[union-attr]
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 60)
        await self.proc.wait()
        return self.summary


def report(got: dict[str, Any]) -> str:
    record("screenpop", got)
    rows = []
    for key, label in (
        ("asterisk_ms", "Originate → AgentCalled on AMI (Asterisk, the floor)"),
        ("bridge_bus_ms", "AgentCalled → CallOffered with customer on the bus (the bridge proper)"),
        ("gateway_ms", "on the bus → screen_pop in the agent's tab (the console's gateway)"),
        ("bridge_ms", "AgentCalled → screen_pop in the agent's tab (what we add)"),
        ("end_to_end_ms", "Originate → screen_pop in the agent's tab (end to end)"),
    ):
        s = got[key]
        rows.append([label, f"{s['p50']:.2f}", f"{s['p99']:.2f}", f"{s['max']:.2f}", s["n"]])
    title = (
        f"Screen-pop latency ({got.get('db', 'sqlite')}"
        f"{', console in its own process (--role web beside --role cti)' if got.get('split') else ''}): "
        f"{got['agents']} agents, {got['tabs']} with a tab open, "
        f"{got['rate']:g} calls/s, "
        f"{got['calls']} calls ({got['offered']} offered with the customer on the bus, {got['popped']} popped "
        f"in a tab, {got['matched']} of them with the customer, {got['refused']} refused)"
    )
    published = ", ".join(f"{n} {name}" for name, n in sorted(got["published"].items(), key=lambda i: -i[1]))
    return (
        table(title, ["span", "p50 ms", "p99 ms", "max ms", "calls"], rows)
        + f"\n\nOn the bus during the calls: {published or 'nothing'}."
        + f"\nThe tabs received {got['tab_messages']:,} messages ({got['tab_bytes'] / 1e6:.1f} MB);"
        + f" the gateway dropped {got['tab_resyncs']} tab backlogs (a snapshot instead); the last pop"
        + f" came {got['gateway_drained_s']:.1f} s after the calls' end.\n"
    )
