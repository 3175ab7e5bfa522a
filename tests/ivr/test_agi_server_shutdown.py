"""Stopping the FastAGI server while a caller is in a script."""

from __future__ import annotations

import asyncio
import logging

from ivr.server import AgiServer


async def test_stopping_mid_session_ends_the_session_quietly(caplog):
    entered = asyncio.Event()

    async def endless(session) -> None:
        entered.set()
        await asyncio.sleep(3600)

    server = AgiServer({"route": endless}, port=0)
    await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"agi_network: yes\nagi_network_script: route\nagi_channel: Local/1@x-1;2\n\n")
    await writer.drain()
    await asyncio.wait_for(entered.wait(), 5)
    with caplog.at_level(logging.DEBUG):
        await asyncio.wait_for(server.stop(), 5)
        await asyncio.sleep(0.05)  # let the stream's done-callback run
    assert await asyncio.wait_for(reader.read(), 5) == b""  # the session closed the socket
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    writer.close()
