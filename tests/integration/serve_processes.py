"""``hotline serve --role …`` as separate processes, the way production runs them, on a
PostgreSQL database and Redis keys of a test's own, seeded with the demo's users: the set-up
the process-model stories share (test_serve_roles, test_dialer_status_roles,
test_serve_servers)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis

REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DEMO_PASSWORD = "demo1234"


def database_url(database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the test PostgreSQL server."""
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{database}"


async def seed_demo(env: dict[str, str]) -> None:
    """``hotline seed --demo`` into the database ``env`` names, as an operator runs it."""
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hotline", "seed", "--demo"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def delete_keys(prefix: str) -> None:
    """Every Redis key under ``prefix`` gone."""
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


class Processes:
    """The ``hotline`` processes a story starts, each logging to a file of its own."""

    def __init__(self, env: dict[str, str], log_dir) -> None:
        self.env = env
        self.log_dir = log_dir
        self.running: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{'-'.join(args)}-{len(self.running)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "hotline", *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.log_dir.glob("*.log")))

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclasses.dataclass(frozen=True)
class Deployment:
    env: dict[str, str]  # what every process of the story runs with
    database: str
    prefix: str  # its Redis keys'
    base: str  # the address the web process answers on


async def demo_deployment(stack: contextlib.AsyncExitStack, tmp_path, kind: str, **env: str) -> Deployment:
    """A database and Redis keys named after ``kind`` and of this story's own, seeded with the
    demo's users, and the environment its processes run with (``env`` added). Each thing is
    handed back through ``stack`` as soon as it is taken, so a set-up that fails or skips half
    way leaves no database behind; PostgreSQL down skips the story."""
    database = f"hotline_{kind}_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN)
    except OSError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    stack.push_async_callback(admin.close)
    await admin.execute(f'CREATE DATABASE "{database}"')
    stack.push_async_callback(admin.execute, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    prefix = f"test:{kind}:{uuid.uuid4().hex[:10]}"
    stack.push_async_callback(delete_keys, prefix)
    port = free_port()
    environment = dict(
        os.environ,
        HOTLINE_DATA_DIR=str(tmp_path),
        HOTLINE_DATABASE_URL=database_url(database),
        HOTLINE_BUS_URL=REDIS_URL,
        HOTLINE_REDIS_PREFIX=prefix,
        HOTLINE_HTTP_PORT=str(port),
        **env,
    )
    await seed_demo(environment)
    return Deployment(environment, database, prefix, f"http://127.0.0.1:{port}")


async def wait_http(base: str, procs: Processes, within: float = 40.0) -> None:
    """The web process at ``base`` answering its sign-in page; the processes' logs if not in time."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/login") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
    pytest.fail(f"the web process did not answer within {within} s\n{procs.logs()}")


async def sign_in(http: aiohttp.ClientSession, base: str, staff_no: str) -> None:
    """``staff_no`` signed in on the web process with the demo password, as the sign-in page does
    (the CSRF token of a fresh session first)."""
    async with http.get(f"{base}/api/session") as resp:
        csrf = (await resp.json())["csrf"]
    async with http.post(
        f"{base}/api/session",
        json={"staff_no": staff_no, "password": DEMO_PASSWORD},
        headers={"X-CSRF-Token": csrf},
    ) as resp:
        assert resp.status == 200, await resp.text()
