"""A console stopped while tabs are open ends within a couple of seconds, each tab told 1001 so it
connects again to the next process; the tabs' ACW holds are left to the bridge, not released."""

from __future__ import annotations

import asyncio
import time

from agent_ui import create_app
from agent_ui.services import GATEWAY
from tests.agent_ui.conftest import close_frame, login
from tests.agent_ui.conftest import next_message as _next


async def test_a_stop_with_open_tabs_tells_them_and_does_not_wait_for_them(
    aiohttp_client, aiohttp_server, world
):
    server = await aiohttp_server(create_app(world.services))
    agent, leader = [await aiohttp_client(server) for _ in range(2)]
    await login(agent, "1001")
    await login(leader, "3001")
    tabs = [await agent.ws_connect("/ws"), await agent.ws_connect("/ws"), await leader.ws_connect("/ws")]
    for ws in tabs:
        await _next(ws, "snapshot")
    hub = server.app[GATEWAY]
    # one of the agent's tabs holds its call's after-call work (an unsaved intake form)
    holding = next(c for c in hub.clients if c.user.staff_no == "1001")
    holding.acw_holds = {"c-acw"}
    # the tabs stay open and read on, as a browser's do (answering the close frame)
    frames = [asyncio.create_task(close_frame(ws, within=15)) for ws in tabs]

    started = time.monotonic()
    await asyncio.wait_for(server.close(), 15)  # aiohttp's runner.cleanup, as hotline serve's
    took = time.monotonic() - started

    assert took < 3, f"the stop waited {took:.1f} s for the open tabs"
    assert [await f for f in frames] == [(1001, "server shutdown")] * 3
    # the hold is not released on the way out: the tab's next process holds the call again from
    # its draft, and the bridge lets go of this silent process's holds if none does
    assert holding.acw_holds == {"c-acw"}
    assert hub._acw_releasing == 0
