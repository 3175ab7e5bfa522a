"""A cti process bridging several Asterisk servers starts a dialer per server at once: the
campaigns' default 结果代码 are made before them, under the migration lock, so that no two
dialers insert them together (one failed on the unique code and stopped: found by a cti
process bridging two servers on a fresh database)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

import ticketing
from campaigns import store
from campaigns.store import DEFAULT_DISPOSITIONS
from hotline.runtime import _migrate_once
from ticketing.models import Disposition


@pytest.fixture
async def database(pg_url):
    """An engine on a PostgreSQL database of this test's own (conftest's pg_url: made for it,
    dropped after)."""
    engine = ticketing.create_engine(pg_url)
    try:
        yield engine
    finally:
        await engine.dispose()


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
