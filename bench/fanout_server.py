"""A websocket server that pushes wallboard updates to every connected client.

``python -m bench.fanout_server --impl IMPL --clients N --updates U`` prints
one JSON line with its port (and, for the gateway, a session cookie), waits
until N clients are connected, then sends U updates ``--interval`` apart and
prints ``{"sent": {n: monotonic time just before the send}}``.

Implementations:

* ``gateway`` - the console's real websocket gateway (agent_ui): a
  ``QueueUpdated`` published on the bus is framed once and written to every
  tab's socket (a tab that is behind gets it through its own queue and writer
  task); the clients are signed in as a team leader;
* ``aiohttp`` - plain aiohttp, ``await ws.send_str(text)`` for each socket in
  turn (the chat-demo pattern);
* ``websockets`` - the websockets package's ``broadcast()``.

Every implementation sends the same text: the gateway's ``queue`` message for
a ``QueueUpdated`` whose queue is ``bench-<n>``, serialised once per update.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.fanout_clients import raise_file_limit
from cti.call_events import QueueUpdated

Send = Callable[[int], Awaitable[None]]


def update(n: int) -> QueueUpdated:
    return QueueUpdated(
        queue=f"bench-{n}" if n >= 0 else "bench-warm-up",
        waiting=n % 17,
        longest_wait=12.5,
        agents_ready=42,
        agents_logged_in=180,
        offered=1000 + n,
        answered=950 + n,
        abandoned=12,
        overflowed=3,
    ).stamped(max(n, 0))


def text_of(n: int) -> str:
    return json.dumps(
        {"type": "queue", "event": update(n).to_dict()}, ensure_ascii=False, separators=(",", ":")
    )


async def serve_aiohttp(clients_wanted: asyncio.Event, n_clients: int) -> tuple[int, Send, Callable]:
    from aiohttp import web

    sockets: set[web.WebSocketResponse] = set()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.add(ws)
        if len(sockets) >= n_clients:
            clients_wanted.set()
        try:
            async for _ in ws:
                pass
        finally:
            sockets.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def send(n: int) -> None:
        text = text_of(n)
        for ws in list(sockets):
            await ws.send_str(text)

    return port, send, runner.cleanup


async def serve_websockets(clients_wanted: asyncio.Event, n_clients: int) -> tuple[int, Send, Callable]:
    from websockets.asyncio.server import broadcast, serve

    conns: set[Any] = set()

    async def handler(ws: Any) -> None:
        conns.add(ws)
        if len(conns) >= n_clients:
            clients_wanted.set()
        try:
            await ws.wait_closed()
        finally:
            conns.discard(ws)

    server = await serve(handler, "127.0.0.1", 0, backlog=1024, compression=None)
    port = next(iter(server.sockets)).getsockname()[1]

    async def send(n: int) -> None:
        broadcast(conns, text_of(n))

    async def close() -> None:
        server.close()
        await server.wait_closed()

    return port, send, close


async def serve_gateway(clients_wanted: asyncio.Event, n_clients: int) -> tuple[int, Send, Callable, str]:
    import aiohttp
    from aiohttp import web

    from agent_ui import AppServices, create_app
    from agent_ui.services import GATEWAY
    from cti.bus import InProcessBus
    from ticketing import users
    from ticketing.db import create_engine, migrate, sessionmaker
    from ticketing.sites import create_site

    tmp = tempfile.TemporaryDirectory(prefix="hotline-bench-")
    engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp.name) / 'console.db'}")
    await migrate(engine)
    maker = sessionmaker(engine)
    async with maker.begin() as db:
        hq = await create_site(db, "HQ", "总部", kind="hq")
        await users.create_user(
            db,
            "8001",
            "看板",
            "bench-pass-1",
            roles=["team_leader", "agent"],
            must_change_password=False,
            site_id=hq.id,
        )
    bus = InProcessBus()
    services = AppServices(bus=bus, sessionmaker=maker, secret_key="bench-secret", cookie_secure=False)
    app = create_app(services)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # IP host
        state = await (await http.get(f"{base}/api/session")).json()
        resp = await http.post(
            f"{base}/api/session",
            json={"staff_no": "8001", "password": "bench-pass-1"},
            headers={"X-CSRF-Token": state["csrf"]},
        )
        if resp.status != 200:
            raise RuntimeError(f"bench login refused: {await resp.text()}")
        cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)

    async def watch() -> None:
        # Every tab first gets a snapshot built from the database: wait until all went out.
        hub = app[GATEWAY]
        # The gateway has no "drained" signal, so poll (once per trial, before timing starts):
        # a tab is settled when its writer waits on an empty queue (snapshot built and sent).
        while len(hub.clients) < n_clients or not all(_idle(c.queue) for c in hub.clients):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        clients_wanted.set()

    asyncio.get_running_loop().create_task(watch())

    async def send(n: int) -> None:
        await bus.publish(update(n))

    async def close() -> None:
        await runner.cleanup()
        await bus.close()
        await engine.dispose()
        tmp.cleanup()

    return port, send, close, cookie


def _idle(queue: asyncio.Queue) -> bool:
    return queue.empty() and bool(getattr(queue, "_getters", ()))


async def run(impl: str, n_clients: int, updates: int, interval: float, settle: float) -> None:
    ready = asyncio.Event()
    cookie = ""
    if impl == "gateway":
        port, send, close, cookie = await serve_gateway(ready, n_clients)
    elif impl == "aiohttp":
        port, send, close = await serve_aiohttp(ready, n_clients)
    else:
        port, send, close = await serve_websockets(ready, n_clients)
    print(json.dumps({"port": port, "cookie": cookie}), flush=True)
    await asyncio.wait_for(ready.wait(), 300)
    await asyncio.sleep(settle)  # let the connect-time traffic (snapshots) drain
    await send(-1)  # a warm-up round nobody times (clients only count bench-<digits>)
    await asyncio.sleep(settle)
    # The 1,000 connects and snapshots left garbage behind (the gateway's first collection
    # took 65 ms); a server that has been up a while collected it long ago.
    gc.collect()
    sent: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time()
    cpu0 = time.process_time()
    for n in range(updates):
        delay = start + n * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[n] = time.monotonic()
        await send(n)
    cpu = time.process_time() - cpu0
    print(json.dumps({"sent": sent, "cpu": cpu}), flush=True)
    # Stay up until the clients have what they need and close (or 60 s).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_server")
    parser.add_argument("--impl", choices=("gateway", "aiohttp", "websockets"), required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--settle", type=float, default=1.0)
    args = parser.parse_args(argv)
    raise_file_limit()
    asyncio.run(run(args.impl, args.clients, args.updates, args.interval, args.settle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
