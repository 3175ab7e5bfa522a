"""The roles of ``hotline serve --role`` run in this process on real Redis and PostgreSQL, each
test with a database and Redis keys of its own, and an AMI address nobody listens on (the
bridge stays disconnected: no Asterisk is touched)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import time
import uuid

import asyncpg
import pytest
import redis.asyncio as aioredis

from hotline.config import Settings, load_settings
from hotline.runtime import parse_roles, serve

REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def pg_url():
    """The SQLAlchemy URL of a PostgreSQL database made for this test, dropped after it."""
    name = f"hotline_roles_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN)
    except OSError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def redis_prefix():
    """A Redis key prefix of this test's own; its keys are deleted after it."""
    prefix = f"test:roles:{uuid.uuid4().hex[:10]}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    yield prefix
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def role_settings(tmp_path, pg_url: str, redis_prefix: str, **extra) -> Settings:
    """A production-shaped configuration on this test's database and keys: the HTTP port a free
    one, the AMI port one nobody listens on (the bridge keeps trying, Asterisk is untouched)."""
    return dataclasses.replace(
        load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)}),
        database_url=pg_url,
        bus_url=REDIS_URL,
        redis_prefix=redis_prefix,
        ami_port=free_port(),
        http_port=free_port(),
        **extra,
    )


@contextlib.asynccontextmanager
async def serving(settings: Settings, roles: str):
    """``hotline serve --role <roles>`` running in this process until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, roles=parse_roles(roles)))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def until(condition, within: float = 20.0):
    """The first true value of ``condition()``, asked every 0.1 s; fails after ``within`` s."""
    deadline = time.monotonic() + within
    while not (value := await condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
    return value
