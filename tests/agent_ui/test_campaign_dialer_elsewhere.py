"""The campaigns page of a web process (``hotline serve --role web``) says whether the dialer that
runs in another process (``--role cti``, beside the active bridge) is dialling. It said nothing:
the web process has no dialer of its own, so the status was null. Now the dialer's process keeps
its status in Redis with a time to live (campaigns.remote.DialerHeartbeat) and the web process's
RemoteDialer reads it: running, down with its start error (admins only), and down when no process
has reported within the heartbeat's life (none runs it, or the one that did died)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
import redis.asyncio as aioredis

from campaigns.dialer import Dialer
from campaigns.remote import NO_HEARTBEAT, DialerHeartbeat, RemoteDialer, status_key
from cti.calendar import WorkCalendar
from tests.agent_ui.conftest import login
from tests.campaigns.dialer_outage import DialerStartRefused
from tests.campaigns.test_store_and_dialer import FakeTelephony

REDIS_URL = "redis://127.0.0.1:6379/0"
TTL = 0.6


@pytest.fixture
async def redis():
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception:
        await client.aclose()
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test:dialer:{uuid.uuid4().hex[:10]}"
    yield client, prefix
    await client.delete(status_key(prefix), status_key(f"{prefix}-b"))
    await client.aclose()


async def _dialer_seen(client) -> dict | None:
    resp = await client.get("/api/campaigns")
    assert resp.status == 200, await resp.text()
    return (await resp.json())["dialer"]


async def _until_seen(client, want, within: float = 5.0) -> dict:
    async with asyncio.timeout(within):
        while not want(found := await _dialer_seen(client)):  # noqa: ASYNC110 - another process's key
            await asyncio.sleep(0.05)
    return found


async def test_the_web_process_reads_the_status_of_the_dialer_another_process_runs(
    client, world, redis, monkeypatch
):
    redis_client, prefix = redis
    # the web process: no dialer here, only the way to the cti process's (as hotline.runtime wires it)
    world.services.dialer = RemoteDialer(None, redis=redis_client, prefixes={"": prefix})
    await login(client, "9001")  # an admin
    # nobody runs the dialer: down, and the admin reads why
    assert await _dialer_seen(client) == {"running": False, "error": NO_HEARTBEAT}
    await login(client, "3001")  # a supervisor sees only that it is down
    assert await _dialer_seen(client) == {"running": False, "error": ""}

    # the cti process: its dialer's start fails on the database, and is tried again
    outage = DialerStartRefused(monkeypatch)
    dialer = Dialer(
        world.services.sessionmaker, FakeTelephony({}), world.bus, calendar=WorkCalendar.china(), tick=0.01
    )
    cti_redis = aioredis.Redis.from_url(REDIS_URL)  # the other process's own connection
    heartbeat = DialerHeartbeat(cti_redis, prefix, dialer, ttl=TTL)
    running = asyncio.create_task(dialer.run())
    beating = asyncio.create_task(heartbeat.run())
    try:
        await login(client, "9001")
        found = await _until_seen(client, lambda d: "db down" in d["error"])
        assert found["running"] is False
        await login(client, "3001")
        assert await _dialer_seen(client) == {"running": False, "error": ""}

        outage.down = False
        assert await _until_seen(client, lambda d: d["running"]) == {"running": True, "error": ""}

        # the dialer stops (its process shuts down): the key goes with it, down at once
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
        assert await _dialer_seen(client) == {"running": False, "error": ""}

        # the process dies without a word: its last heartbeat runs out after its life
        await heartbeat.beat()
        assert (await _dialer_seen(client))["running"] is True
        await asyncio.sleep(TTL + 0.2)
        await login(client, "9001")
        assert await _dialer_seen(client) == {"running": False, "error": NO_HEARTBEAT}
    finally:
        for task in (running, beating):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await cti_redis.aclose()


async def test_with_several_asterisk_servers_every_ones_dialer_must_run(client, world, redis):
    redis_client, prefix = redis
    world.services.dialer = RemoteDialer(
        None, redis=redis_client, prefixes={"gz": prefix, "sz": f"{prefix}-b"}
    )

    class Running:
        def status(self) -> dict:
            return {"running": True, "error": ""}

    await DialerHeartbeat(redis_client, prefix, Running(), ttl=30).beat()
    await login(client, "9001")
    assert await _dialer_seen(client) == {"running": False, "error": f"sz: {NO_HEARTBEAT}"}
    await DialerHeartbeat(redis_client, f"{prefix}-b", Running(), ttl=30).beat()
    assert await _dialer_seen(client) == {"running": True, "error": ""}
