"""A web process of its own, for the tests that kill one: the console app on the test's SQLite
database, its bridge the active one over Redis (``RemoteBridge``), as ``hotline serve --role web``
composes it. Usage: python -m tests.agent_ui.acw_web_process <db> <prefix> <port> <alive interval>;
prints ``ready`` once it listens."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

import agent_ui.gateway
from agent_ui import AppServices, create_app
from cti.redis_bus import RedisBus
from cti.remote import RemoteBridge
from ticketing.db import create_engine, sessionmaker

REDIS_URL = "redis://127.0.0.1:6379/0"


async def main(db: str, prefix: str, port: int, interval: float) -> None:
    agent_ui.gateway.ACW_ALIVE_INTERVAL = interval
    bus = RedisBus(REDIS_URL, stream=f"{prefix}:events", block_ms=50)
    remote = RemoteBridge(REDIS_URL, bus, prefix, timeout=2.0, holder_poll=0.1)
    await remote.start()
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    services = AppServices(
        bus=remote.console_bus,
        sessionmaker=sessionmaker(engine),
        secret_key="test-secret",
        cookie_secure=False,
        bridge=remote,
    )
    runner = web.AppRunner(create_app(services), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
