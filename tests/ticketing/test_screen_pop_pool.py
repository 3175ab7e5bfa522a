"""The PostgreSQL screen-pop's own pool: open before the first call, and not given up on."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.ticketing.conftest import PG_ADMIN
from ticketing import db, screen_pop_hook
from ticketing.screen_pop import POP_CONNECTIONS

pytestmark = pytest.mark.postgres


async def _admin(sql: str, *args):
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_the_pool_opens_with_the_hook_and_a_missing_database_is_tried_again():
    name = f"hotline_pop_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = db.create_engine(url)
    try:
        lookup = screen_pop_hook(db.sessionmaker(engine))  # the database is not there yet
        with pytest.raises(asyncpg.InvalidCatalogNameError):
            await lookup("13800138000")
        await _admin(f'CREATE DATABASE "{name}"')
        await db.migrate(url)
        assert await lookup("13800138000") is None  # the next pop opened the pool: nobody has the number

        fresh = db.create_engine(url)
        try:
            screen_pop_hook(db.sessionmaker(fresh))  # made inside a running loop: it opens at once
            count = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
            before = POP_CONNECTIONS  # the first hook's pool
            for _ in range(100):
                if await _admin(count, name) >= before + POP_CONNECTIONS:
                    break
                await asyncio.sleep(0.05)
            assert await _admin(count, name) >= before + POP_CONNECTIONS  # before any pop
        finally:
            await fresh.dispose()
    finally:
        await engine.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_connection_is_kept_for_the_next_job(monkeypatch):
    """``db.DriverPool`` (the screen-pop's and the order numbers' pool): a job done leaves its
    connection aside for the next job instead of going through asyncpg's acquire and release,
    which cost about as much CPU as the short statement itself. More jobs than connections
    still all run; a failed job's connection goes back to asyncpg's pool, and one the server
    closed is replaced."""
    acquired = []
    real_acquire = asyncpg.pool.Pool.acquire

    def counted(self, *args, **kwargs):
        acquired.append(self)
        return real_acquire(self, *args, **kwargs)

    monkeypatch.setattr(asyncpg.pool.Pool, "acquire", counted)
    engine = db.create_engine(PG_ADMIN)
    pool = db.DriverPool(engine, 2)
    try:
        for _ in range(20):
            assert await pool.run(lambda c: c.fetchval("SELECT 1")) == 1
        assert len(acquired) == 1
        crowd = [pool.run(lambda c: c.fetchval("SELECT pg_sleep(0.01)::text || 'x'")) for _ in range(10)]
        assert await asyncio.gather(*crowd) == ["x"] * 10
        with pytest.raises(asyncpg.DivisionByZeroError):
            await pool.run(lambda c: c.fetchval("SELECT 1 / 0"))
        pid = await pool.run(lambda c: c.fetchval("SELECT pg_backend_pid()"))
        await _admin("SELECT pg_terminate_backend($1)", pid)
        await asyncio.sleep(0.2)
        assert await pool.run(lambda c: c.fetchval("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()
