"""Gaps a review found in the server-side sessions (94bf170): a session's check never waits for
SQLite's write lock."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import update

from agent_ui.auth import CHECK_SECONDS, SESSIONS
from tests.agent_ui.conftest import login
from ticketing.models.org import UserSession


async def test_a_session_check_does_not_wait_for_a_long_write(client, world):
    """A request whose session row must be read again while another transaction holds SQLite's
    write lock: read through a read-only session, it answers at once (it waited up to the 30 s
    busy timeout behind BEGIN IMMEDIATE)."""
    await login(client, "1001")
    store = client.server.app[SESSIONS]
    start = store.clock()
    store.clock = lambda: start + dt.timedelta(seconds=CHECK_SECONDS + 1)  # no touch due yet
    async with world.services.sessionmaker() as writer:
        # a long write: the lock is taken at its first statement and held until it ends
        await writer.execute(update(UserSession).values(created_at=UserSession.created_at))
        try:
            resp = await asyncio.wait_for(client.get("/api/session"), 3)
            assert (await resp.json())["user"]["staff_no"] == "1001"
            page = await asyncio.wait_for(client.get("/static/css/console.css"), 3)
            assert page.status == 200
        finally:
            await writer.rollback()
    assert store.reads >= 1
