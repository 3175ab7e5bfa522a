"""``hotline serve --role``: which roles exist, what they need, and how they wire up.

The wiring tests run the roles in this process on real Redis and PostgreSQL,
with an AMI address nobody listens on (the bridge stays disconnected: no
Asterisk is touched).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from cti.remote import CommandClient
from hotline.cli import main
from hotline.config import ConfigError, Settings
from hotline.runtime import EMBEDDED, check_roles, parse_roles
from tests.hotline.conftest import REDIS_URL, role_settings, serving, until


@pytest.mark.parametrize(
    "text, roles",
    [
        ("all", EMBEDDED),
        ("cti", {"cti"}),
        ("web, worker", {"web", "worker"}),
        ("cti,ivr,cti", {"cti", "ivr"}),
    ],
)
def test_roles_are_all_or_a_set_of_the_four(text, roles):
    assert parse_roles(text) == frozenset(roles)


@pytest.mark.parametrize(
    "text, message",
    [("", "needs a role"), ("all,web", "does not combine"), ("web,dialer", "unknown role.*dialer")],
)
def test_a_bad_role_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_roles(text)


def test_roles_other_than_all_need_redis_and_postgresql():
    production = Settings(
        bus_url="redis://127.0.0.1:6379/0", database_url="postgresql+asyncpg://h@db/hotline"
    )
    check_roles(production, parse_roles("web"))
    check_roles(Settings(), EMBEDDED)  # the embedded default needs neither
    with pytest.raises(ConfigError, match="needs bus_url redis://"):
        check_roles(dataclasses.replace(production, bus_url="memory://"), parse_roles("cti"))
    with pytest.raises(ConfigError, match="PostgreSQL database_url.*SQLite"):
        check_roles(
            dataclasses.replace(production, database_url="sqlite+aiosqlite:///var/h.sqlite3"),
            parse_roles("web"),
        )


@pytest.mark.parametrize(
    "env, role, message",
    [
        ({}, "web", "--role web needs bus_url redis://"),
        ({"HOTLINE_BUS_URL": REDIS_URL}, "cti,ivr", "--role cti,ivr needs a PostgreSQL database_url"),
        ({}, "everything", "unknown role"),
    ],
)
def test_the_command_refuses_before_starting_anything(monkeypatch, tmp_path, capsys, env, role, message):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--role", role]) == 2
    assert message in capsys.readouterr().err


# -- the roles wired up, in this process ------------------------------------------------------


async def test_web_cti_and_worker_roles_share_state_through_redis_and_postgresql(
    tmp_path, pg_url, redis_prefix
):
    settings = role_settings(
        tmp_path,
        pg_url,
        redis_prefix,
        # long enough that a loaded test machine's stalls do not hand the lock over on their own
        # (2 s was not: at load 15 a cti process stalled past it and the other took the lock)
        cti_lock_seconds=4,
    )
    lock_key = f"{redis_prefix}:cti:{settings.ami_host}:{settings.ami_port}:lock"
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        # two cti processes, and the web and the worker; all migrate the one database together
        async with serving(settings, "cti"), serving(settings, "web,cti,worker"):
            holder = await until(lambda: redis.get(lock_key))
            # whichever holds the lock answers: here, with the present of a bridge that never connected
            client = CommandClient(redis, lock_key.removesuffix(":lock"), timeout=5)
            assert await client.request("present") == {"agents": [], "queues": [], "calls": [], "spies": []}
            async with aiohttp.ClientSession() as http:

                async def login_page() -> bool:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(f"http://127.0.0.1:{settings.http_port}/login") as resp:
                            return resp.status == 200
                    return False

                await until(login_page)
            await asyncio.sleep(8.5)  # more than two lock periods: still the same holder
            assert await redis.get(lock_key) == holder
        assert not await redis.exists(lock_key)  # given back on stop
    finally:
        await redis.aclose()


async def test_a_message_the_web_queues_leaves_the_worker_process_at_once(
    tmp_path, pg_url, redis_prefix, aiohttp_server
):
    """The worker's dispatcher hears of a row another process committed (its NotificationQueued
    on the Redis bus) and sends it at once, not at its next poll (10 s)."""
    import ticketing
    from cti.redis_bus import RedisBus
    from ticketing.events import publish_pending
    from ticketing.notify import send_message

    arrived: list[tuple[str, float]] = []

    async def gateway(request: web.Request) -> web.Response:
        arrived.append(((await request.json())["to"], time.monotonic()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", gateway)
    server = await aiohttp_server(app)
    # the fax gateway's AMI is one nobody listens on: no fax is sent here
    settings = role_settings(
        tmp_path,
        pg_url,
        redis_prefix,
        sms_gateway_url=str(server.make_url("/sms")),
    )
    await ticketing.migrate(pg_url)
    engine = ticketing.create_engine(pg_url)
    sessions = ticketing.sessionmaker(engine)
    web_bus = RedisBus(REDIS_URL, stream=f"{redis_prefix}:events")  # as a web process has it

    async def queue(to: str) -> float:
        async with sessions() as session:
            await send_message(session, None, "sms", to, "", "明日9时至13时停电检修")
            await session.commit()
            committed = time.monotonic()
            await publish_pending(session, web_bus)
        return committed

    async def got(count: int) -> bool:
        return len(arrived) >= count

    try:
        await queue("13800000001")  # before the worker starts: its first pass sends it
        async with serving(settings, "worker"):
            await until(lambda: got(1))
            committed = await queue("13800000002")
            await until(lambda: got(2), within=5)
            assert arrived[1][0] == "13800000002"
            assert arrived[1][1] - committed < 1.0
    finally:
        await web_bus.close()
        await engine.dispose()
