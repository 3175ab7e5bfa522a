"""Gaps a review found in the server-side sessions (94bf170): a session's check never waits for
SQLite's write lock; a socket whose session ended closes (4401) even when its tab sends nothing
(the timeouts, a revocation whose SessionEnded was lost, a new sign-in in the same browser); a
password change revokes the user's other sessions (an admin's reset: all of them); a database error in a socket's command is refused (``internal``) without
closing the socket, whose ACW holds would go with it."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select, text, update

from agent_ui import create_app
from agent_ui.auth import CHECK_SECONDS, SESSIONS
from agent_ui.services import GATEWAY
from tests.agent_ui.conftest import PASSWORD, closed_with, login, session_cookie
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


@pytest.mark.parametrize("how", ["idle", "absolute", "revoked without SessionEnded"])
async def test_a_socket_whose_session_ended_closes_though_its_tab_sends_nothing(aiohttp_client, world, how):
    """Only commands checked the session: a tab that sends nothing kept its screen pops, board
    data and order events after its session ended, as long as no SessionEnded reached it."""
    app = create_app(world.services)
    app[SESSIONS].check_seconds = 0.2  # CHECK_SECONDS, shortened for the test
    first, second = await aiohttp_client(app), await aiohttp_client(app)
    await login(first, "1001")
    await login(second, "1001")  # the same user in another browser: a session of its own
    gateway = app[GATEWAY]
    async with first.ws_connect("/ws") as ended:
        await _snapshot(ended)
        (digest,) = {c.session for c in gateway.clients}
        async with second.ws_connect("/ws") as live:
            await _snapshot(live)
            now = dt.datetime.now(dt.UTC)
            change = {
                "idle": {"last_seen_at": now - dt.timedelta(hours=12.5)},
                "absolute": {"created_at": now - dt.timedelta(hours=24.5)},
                "revoked without SessionEnded": {"revoked_at": now},
            }[how]
            async with world.services.sessionmaker.begin() as db:
                await db.execute(update(UserSession).where(UserSession.id == digest).values(**change))
            assert await closed_with(ended) == 4401  # no command needed
            assert await closed_with(live, 1.0) is None  # the other session's tab stays


async def test_the_check_of_the_sockets_is_one_query_for_all(client, aiohttp_client, world):
    await login(client, "1001")
    other = await aiohttp_client(client.server)
    await login(other, "3001")
    gateway = client.server.app[GATEWAY]
    engine = world.services.sessionmaker.kw["bind"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    async with (
        client.ws_connect("/ws") as a,
        client.ws_connect("/ws") as b,
        other.ws_connect("/ws") as c,
    ):
        for ws in (a, b, c):
            await _snapshot(ws)
        sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await gateway.check_sessions()
        finally:
            sa_event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert len([s for s in statements if "user_sessions" in s]) == 1, statements
        assert all(not ws.closed for ws in (a, b, c))


async def test_signing_in_again_in_the_same_browser_closes_the_old_sessions_tabs(
    client, aiohttp_client, world
):
    """The new sign-in revokes the browser's previous session: its tabs close at once, in this
    web process and the others (SessionEnded), not at their next command."""
    elsewhere = await aiohttp_client(create_app(world.services))
    await login(client, "3001")
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    try:
        headers = {"Cookie": f"HOTLINE_SESSION={session_cookie(client)}"}
        async with (
            client.ws_connect("/ws") as here,
            http.ws_connect(elsewhere.make_url("/ws"), headers=headers) as there,
        ):
            await _snapshot(here)
            await _snapshot(there)
            await login(client, "3001")
            assert await closed_with(here) == 4401
            assert await closed_with(there) == 4401
    finally:
        await http.close()


async def _session_rows(world, staff_no: str) -> list[UserSession]:
    async with world.services.sessionmaker() as db:
        return list(
            await db.scalars(select(UserSession).where(UserSession.user_id == world.people[staff_no]))
        )


@pytest.mark.parametrize("who", ["own", "admin"])
async def test_a_password_change_revokes_the_users_other_sessions(client, aiohttp_client, world, who):
    """The other sessions stayed live rows (only the older pw_at stamp in their cookies refused
    some requests: GET /api/session still named the user) and their sockets stayed open."""
    changer = await aiohttp_client(client.server)
    token = await login(changer, "1001")
    elsewhere = await aiohttp_client(client.server)
    await login(elsewhere, "1001")
    async with elsewhere.ws_connect("/ws") as tab:
        await _snapshot(tab)
        if who == "own":
            resp = await changer.post(
                "/api/session/password",
                json={"current": PASSWORD, "new": "Another-pass-42", "confirm": "Another-pass-42"},
                headers={"X-CSRF-Token": token},
            )
        else:
            admin = await login(client, "9001")
            resp = await client.post("/api/users/1001/reset-password", headers={"X-CSRF-Token": admin})
        assert resp.status == 200, await resp.text()
        assert await closed_with(tab) == 4401
    assert (await (await elsewhere.get("/api/session")).json())["user"] is None
    rows = await _session_rows(world, "1001")
    live = [row for row in rows if row.revoked_at is None]
    if who == "own":
        assert len(rows) == 2 and len(live) == 1  # the session that changed it goes on
        assert (await (await changer.get("/api/session")).json())["user"]["staff_no"] == "1001"
        assert (await changer.get("/api/inbox")).status == 200
    else:
        assert len(rows) == 2 and live == []
        assert (await (await changer.get("/api/session")).json())["user"] is None
