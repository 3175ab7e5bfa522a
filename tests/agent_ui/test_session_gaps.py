"""Gaps a review found in the server-side sessions (94bf170): a session's check never waits for
SQLite's write lock, and a database error in a socket's command is refused (``internal``) without
closing the socket, whose ACW holds would go with it."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import text, update

from agent_ui.auth import CHECK_SECONDS, SESSIONS
from agent_ui.services import GATEWAY
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


async def _snapshot(ws) -> None:
    async def first() -> None:
        while (await ws.receive_json())["type"] != "snapshot":
            pass

    await asyncio.wait_for(first(), 10)


async def _answer(ws, ref: int, cmd: str, args: dict) -> dict:
    await ws.send_json({"id": ref, "cmd": cmd, "args": args})

    async def answer() -> dict:
        while True:
            msg = await ws.receive_json()
            if msg.get("id") == ref:
                return msg

    return await asyncio.wait_for(answer(), 5)


async def _rename(world, old: str, new: str) -> None:
    async with world.services.sessionmaker.begin() as db:
        await db.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_a_database_error_in_a_sockets_command_keeps_the_socket_and_its_holds(client, world):
    """The session's check and the scope of a 关注 (watch) read the database before the command's
    own error handling: their failure ended the socket's loop, which closed it and released its
    tab's ACW holds (the overdue 话后处理 then ended under the agent's unsaved form)."""
    await login(client, "1001")
    store = client.server.app[SESSIONS]
    gateway = client.server.app[GATEWAY]
    async with client.ws_connect("/ws") as ws:
        await _snapshot(ws)
        (tab,) = gateway.clients
        tab.acw_holds.add("call-1")  # its intake form holds the 话后处理 of the call it writes up

        start = store.clock()
        store.clock = lambda: start + dt.timedelta(seconds=CHECK_SECONDS + 1)  # the row is read again
        await _rename(world, "user_sessions", "user_sessions_away")
        try:
            refused = await _answer(ws, 1, "ping", {})
        finally:
            await _rename(world, "user_sessions_away", "user_sessions")
        assert refused["type"] == "refused" and refused["error_id"] == "internal"
        assert (await _answer(ws, 2, "ping", {}))["type"] == "ack"

        await _rename(world, "work_orders", "work_orders_away")
        try:
            refused = await _answer(ws, 3, "watch", {"orders": [1]})
        finally:
            await _rename(world, "work_orders_away", "work_orders")
        assert refused["type"] == "refused" and refused["error_id"] == "internal"
        assert (await _answer(ws, 4, "watch", {"orders": [1]}))["type"] == "ack"

        assert not ws.closed and tab in gateway.clients
        assert tab.acw_holds == {"call-1"}  # not released
