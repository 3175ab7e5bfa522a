"""退出 ends the session on the server: a copy of its cookie kept from before opens nothing (HTTP
or websocket, in any web process), every console socket of that session closes (4401, the tab
goes to the sign-in form), and sessions end by their idle and absolute timeouts too. Each
request's check is a cached lookup, not a query."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
import uuid

import aiohttp
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import update

from agent_ui import create_app
from agent_ui.auth import CHECK_SECONDS, SESSIONS
from cti.redis_bus import RedisBus
from tests.agent_ui.conftest import closed_with, login, session_cookie
from ticketing.models.org import UserSession


class Replay:
    """Requests carrying a copied cookie and nothing else (no jar: what the server sets is dropped)."""

    def __init__(self, client, cookie: str) -> None:
        self.client, self.headers = client, {"Cookie": f"HOTLINE_SESSION={cookie}"}
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())

    async def status(self, method: str, path: str, **kw) -> int:
        async with self.http.request(
            method, self.client.make_url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw
        ) as resp:
            return resp.status

    async def user(self):
        async with self.http.get(self.client.make_url("/api/session"), headers=self.headers) as resp:
            assert resp.status == 200
            return (await resp.json())["user"]

    async def ws_status(self) -> int:
        try:
            ws = await self.http.ws_connect(self.client.make_url("/ws"), headers=self.headers)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101

    async def close(self) -> None:
        await self.http.close()


async def _snapshot(ws) -> None:
    async def first() -> None:
        while (await ws.receive_json())["type"] != "snapshot":
            pass

    await asyncio.wait_for(first(), 10)


async def _pong(ws, ref: int) -> dict:
    await ws.send_json({"id": ref, "cmd": "ping", "args": {}})

    async def answer() -> dict:
        while True:
            msg = await ws.receive_json()
            if msg.get("id") == ref:
                return msg

    return await asyncio.wait_for(answer(), 5)


@pytest.mark.parametrize("how", ["api", "form"])
async def test_a_copy_of_the_cookie_from_before_sign_out_opens_nothing(client, how):
    token = await login(client, "1001")
    copy = Replay(client, session_cookie(client))
    try:
        assert (await copy.user())["staff_no"] == "1001"  # the copy is the session, until 退出
        assert await copy.status("GET", "/api/inbox") == 200
        if how == "api":
            assert (await client.delete("/api/session", headers={"X-CSRF-Token": token})).status == 200
        else:
            resp = await client.post("/logout", data={"_csrf": token}, allow_redirects=False)
            assert resp.status == 303 and resp.headers["Location"] == "/login"

        assert await copy.user() is None
        assert await copy.status("GET", "/api/orders?list=mine") == 401
        assert await copy.status("GET", "/api/inbox") == 401
        assert await copy.ws_status() == 401
        # its CSRF token was right: the write is refused for the session, not the token
        assert await copy.status("DELETE", "/api/session", headers={"X-CSRF-Token": token}) == 401
        assert await copy.status("GET", "/", allow_redirects=False) == 303  # to the sign-in page
    finally:
        await copy.close()

    # signing in again is a new session, which works
    await login(client, "1001")
    assert (await client.get("/api/inbox")).status == 200


async def test_signing_out_closes_every_tab_of_that_session_and_no_other(client, aiohttp_client):
    token = await login(client, "3001")
    other_browser = await aiohttp_client(client.server)
    await login(other_browser, "3001")  # the same user elsewhere: a session of its own
    async with (
        client.ws_connect("/ws") as tab_a,
        client.ws_connect("/ws") as tab_b,
        other_browser.ws_connect("/ws") as elsewhere,
    ):
        for ws in (tab_a, tab_b, elsewhere):
            await _snapshot(ws)
        assert (await client.delete("/api/session", headers={"X-CSRF-Token": token})).status == 200
        assert await closed_with(tab_a) == 4401
        assert await closed_with(tab_b) == 4401  # its 就绪 can no longer put the seat back
        assert (await _pong(elsewhere, 1))["type"] == "ack"
    assert (await other_browser.get("/api/inbox")).status == 200


async def test_a_sign_out_on_one_web_process_ends_the_session_on_the_others(client, aiohttp_client, world):
    """Two web processes on one database and one bus: the cookie works on both, and 退出 on one
    closes the other's sockets and refuses the cookie there at once (not after its cache)."""
    other = await aiohttp_client(create_app(world.services))
    token = await login(client, "3001")
    cookie = session_cookie(client)
    copy = Replay(other, cookie)
    try:
        assert (await copy.user())["staff_no"] == "3001"  # now believed live by the other process
        async with copy.http.ws_connect(other.make_url("/ws"), headers=copy.headers) as tab:
            await _snapshot(tab)
            assert (await client.delete("/api/session", headers={"X-CSRF-Token": token})).status == 200
            assert await closed_with(tab) == 4401
        assert await copy.user() is None
        assert await copy.status("GET", "/api/inbox") == 401
    finally:
        await copy.close()


async def test_two_web_processes_on_redis_close_the_sessions_sockets_on_both(aiohttp_client, world):
    """As ``hotline serve --role web`` processes are: each its own Redis connection to one stream."""
    stream = f"test:hotline:{uuid.uuid4().hex}"
    buses = [RedisBus("redis://127.0.0.1:6379/0", stream=stream, block_ms=100) for _ in range(2)]
    try:
        first, second = [
            await aiohttp_client(create_app(dataclasses.replace(world.services, bus=bus))) for bus in buses
        ]
        token = await login(first, "3001")
        copy = Replay(second, session_cookie(first))
        try:
            async with copy.http.ws_connect(second.make_url("/ws"), headers=copy.headers) as tab:
                await _snapshot(tab)
                assert (await first.delete("/api/session", headers={"X-CSRF-Token": token})).status == 200
                assert await closed_with(tab) == 4401
            assert await copy.status("GET", "/api/inbox") == 401
        finally:
            await copy.close()
    finally:
        await buses[0].redis.delete(stream, f"{stream}:seq")
        for bus in buses:
            await bus.close()


async def test_a_process_that_missed_the_sign_out_learns_it_from_the_database(client, aiohttp_client, world):
    other = await aiohttp_client(create_app(world.services))
    await login(client, "3001")
    copy = Replay(other, session_cookie(client))
    store = other.server.app[SESSIONS]
    try:
        async with copy.http.ws_connect(other.make_url("/ws"), headers=copy.headers) as tab:
            await _snapshot(tab)
            # revoked in the database only (the bus message lost): believed for CHECK_SECONDS at most
            async with world.services.sessionmaker.begin() as db:
                await db.execute(update(UserSession).values(revoked_at=dt.datetime.now(dt.UTC)))
            start = store.clock()
            store.clock = lambda: start + dt.timedelta(seconds=CHECK_SECONDS + 1)
            answer = await _pong(tab, 7)
            assert answer["type"] == "refused" and answer["error_id"] == "auth.required"
            assert await closed_with(tab) == 4401
        assert await copy.status("GET", "/api/inbox") == 401
    finally:
        await copy.close()


async def test_a_session_ends_when_idle_and_at_its_absolute_limit(client, aiohttp_client):
    store = client.server.app[SESSIONS]
    start = store.clock()

    def at(hours: float) -> None:
        store.clock = lambda: start + dt.timedelta(hours=hours)

    await login(client, "1001")
    for hours in (11, 22):  # used within every 12 hours: still signed in
        at(hours)
        assert (await client.get("/api/inbox")).status == 200
    at(24.5)  # however active, a day after signing in
    assert (await client.get("/api/inbox")).status == 401

    idle = await aiohttp_client(client.server)
    at(0)
    await login(idle, "1001")
    at(12.5)  # nothing for more than session_max_age
    assert (await idle.get("/api/inbox")).status == 401
    assert (await (await idle.get("/api/session")).json())["user"] is None


async def test_each_requests_session_check_is_a_cached_lookup(client, world):
    await login(client, "1001")
    store = client.server.app[SESSIONS]
    engine = world.services.sessionmaker.kw["bind"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    assert (await client.get("/api/session")).status == 200
    reads = store.reads
    sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(100):
            assert (await (await client.get("/api/session")).json())["user"]["staff_no"] == "1001"
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert store.reads == reads and statements == []  # 100 signed-in requests, no query

    digest = next(iter(store._live))
    user_id = world.people["1001"]
    n = 20_000
    began = time.perf_counter()
    for _ in range(n):
        assert await store.alive(digest, user_id)
    per_check = (time.perf_counter() - began) / n
    print(f"session check: {per_check * 1e6:.2f} µs")
    assert per_check < 50e-6
