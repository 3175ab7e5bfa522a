"""A browser that leaves while its console socket is being opened (a page navigated away, a tab
closed, a reload) is a normal event, not a failure. The bell stories showed
``unexpected failure on GET /ws`` with a traceback: aiohttp's ``WebSocketResponse.prepare``
raises ``ConnectionResetError("Connection lost")`` when the connection is gone by the time the
handshake is answered, and the errors middleware logged it as an unexpected failure.

Deterministic: a middleware of the test holds the handshake until the client has closed its
connection, then lets the console's own handler answer it. The server does not cancel a handler
whose client left (aiohttp's default, and ``hotline serve``'s; its test server cancels it)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.test_utils import TestServer

from agent_ui import create_app
from agent_ui.services import GATEWAY
from tests.agent_ui.conftest import login, session_cookie


class ServedAsInProduction(TestServer):
    """aiohttp's test server, but a handler runs on when its client has gone, as in production."""

    async def _make_runner(self, **kwargs) -> web.AppRunner:
        return web.AppRunner(self.app, **{**kwargs, "handler_cancellation": False})


async def test_a_socket_whose_browser_left_during_the_handshake_logs_no_failure(
    aiohttp_client, world, caplog
):
    app = create_app(world.services)
    answered: asyncio.Future = asyncio.get_running_loop().create_future()

    @web.middleware
    async def held_until_the_browser_left(request: web.Request, handler):
        if request.path != "/ws":
            return await handler(request)
        for _ in range(500):  # the client closes at once: its connection is lost within moments
            if request.transport is None:
                break
            await asyncio.sleep(0.01)
        assert request.transport is None, "the client's connection is still open"
        try:
            response = await handler(request)
        except BaseException as exc:
            answered.set_result(exc)
            raise
        answered.set_result(response)
        return response

    app.middlewares.append(held_until_the_browser_left)  # the innermost: after the session's check
    client = await aiohttp_client(ServedAsInProduction(app))
    await login(client, "1001")
    cookie = session_cookie(client)

    caplog.set_level(logging.DEBUG)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    host = f"{client.host}:{client.port}"
    writer.write(
        (
            "GET /ws HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"Origin: http://{host}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            f"Cookie: HOTLINE_SESSION={cookie}\r\n"
            "\r\n"
        ).encode()
    )
    await writer.drain()
    writer.close()  # the page went away before the handshake was answered
    await writer.wait_closed()

    outcome = await asyncio.wait_for(answered, 10)
    await asyncio.sleep(0.1)  # aiohttp has finished the request (and logged, if it would)
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert failures == [], [f"{r.name}: {r.getMessage()}" for r in failures]
    assert isinstance(outcome, web.StreamResponse), outcome  # the handler ended, it did not raise
    # the console forgot the tab it never served
    assert app[GATEWAY].clients == set()
