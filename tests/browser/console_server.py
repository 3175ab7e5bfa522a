"""A console process for the browser stories: the real app, the real CTI bridge on the
real Asterisk, SQLite with the seeded 95598 workflows and demo staff.

Run as ``python -m tests.browser.console_server --db PATH --port N --agent STAFF``.
It is a separate process so a story can kill it and start it again (the page must
reconnect and show the right state). It mirrors what ``hotline serve`` wires.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from agent_ui import AppServices, create_app
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from ticketing import users
from ticketing.db import create_engine, migrate, sessionmaker
from ticketing.demo import seed_demo
from ticketing.seed import seed_defaults

QUEUE = "ui-a"
PASSWORD = "secret123"


async def prepare(db_path: Path, agent: str) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    await migrate(engine)
    maker = sessionmaker(engine)
    async with maker.begin() as db:
        from sqlalchemy import select

        from ticketing.models import User

        if await db.scalar(select(User.id).where(User.staff_no == agent)) is None:
            await seed_defaults(db)
            await seed_demo(db, customers=30)
            await users.create_user(
                db,
                agent,
                "测试坐席",
                PASSWORD,
                roles=["agent"],
                skills={QUEUE: 0},
                must_change_password=False,
                site_id=(await db.scalar(select(User.site_id).where(User.staff_no == "9001"))),
            )
    await engine.dispose()


async def lookup_factory(maker):
    async def lookup(number: str):
        try:
            from ticketing.customers import lookup_for_screen_pop  # type: ignore[attr-defined]
        except ImportError:
            return None
        async with maker() as db:
            return await lookup_for_screen_pop(db, number)

    return lookup


async def main(db_path: Path, port: int, agent: str) -> None:
    await prepare(db_path, agent)
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    maker = sessionmaker(engine)
    bus = InProcessBus()
    settings = CtiSettings.from_env()
    settings.keepalive = 1.0
    settings.replay_history = False
    bridge = CtiBridge(settings, bus, customer_lookup=await lookup_factory(maker))
    await bridge.start()
    services = AppServices(
        bus=bus,
        sessionmaker=maker,
        secret_key="browser-story-secret",
        bridge=bridge,
        cookie_secure=False,
        seat_pattern="Local/{staff_no}@hotline-sim-phone/n",
        default_skills={QUEUE: 0},
    )
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"console listening on {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await bridge.stop()
    await bus.close()
    await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--agent", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.db, args.port, args.agent))
