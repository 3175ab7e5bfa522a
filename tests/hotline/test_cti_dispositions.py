"""A cti process bridging several Asterisk servers starts a dialer per server at once: the
campaigns' default 结果代码 are made before them, under the migration lock, so that no two
dialers insert them together (one failed on the unique code and stopped: found by a cti
process bridging two servers on a fresh database)."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import pytest
from sqlalchemy import func, select

import ticketing
from campaigns import store
from campaigns.store import DEFAULT_DISPOSITIONS
from hotline.runtime import _migrate_once
from ticketing.models import Disposition

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def database():
    name = f"hotline_disp_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN)
    except OSError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    await admin.execute(f'CREATE DATABASE "{name}"')
    engine = ticketing.create_engine(
        PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_the_dialers_of_several_servers_starting_together_find_the_dispositions_made(database):
    await _migrate_once(database, dispositions=True)
    sessions = ticketing.sessionmaker(database)

    async def dialer_start() -> None:  # what each dialer does first (campaigns.Dialer.run)
        async with sessions.begin() as session:
            await store.ensure_dispositions(session)

    await asyncio.gather(dialer_start(), dialer_start(), dialer_start())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Disposition)) == len(
            DEFAULT_DISPOSITIONS
        )
