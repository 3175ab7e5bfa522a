"""The websocket gateway: session auth, the snapshot first, live pushes, acks and refusals."""

from __future__ import annotations

import asyncio
import json

from cti.call_events import AgentStateChanged, AmiConnectionChanged
from tests.agent_ui.conftest import login


async def _next(ws, type_: str, within: float = 3.0) -> dict:
    async def wait() -> dict:
        while True:
            msg = json.loads((await ws.receive()).data)
            if msg["type"] == type_:
                return msg

    return await asyncio.wait_for(wait(), within)


async def test_a_new_socket_gets_the_whole_present_first(client):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        snap = await _next(ws, "snapshot")
        assert snap["user"]["staff_no"] == "1001"
        assert snap["ami"] == {"connected": False}  # no bridge: say so, never guess
        assert snap["pause_reasons"][:2] == ["小休", "用餐"]


async def test_asterisk_connection_changes_reach_the_page_header(client, world):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await world.bus.publish(AmiConnectionChanged(connected=True, server="127.0.0.1:5038"))
        assert (await _next(ws, "ami"))["connected"] is True
        await world.bus.publish(AmiConnectionChanged(connected=False, reason="connection refused"))
        msg = await _next(ws, "ami")
        assert msg["connected"] is False and msg["reason"] == "connection refused"


async def test_agent_state_goes_to_that_agent_and_to_team_leaders_only(aiohttp_client, aiohttp_server, world):
    from agent_ui import create_app

    server = await aiohttp_server(create_app(world.services))
    agent, handler, leader = [await aiohttp_client(server) for _ in range(3)]
    await login(agent, "1001")
    await login(handler, "2001")
    await login(leader, "3001")
    async with agent.ws_connect("/ws") as a, handler.ws_connect("/ws") as h, leader.ws_connect("/ws") as lead:
        for ws in (a, h, lead):
            await _next(ws, "snapshot")
        await world.bus.publish(
            AgentStateChanged(agent_id="1001", state="ready", previous="not_ready", seconds_in_previous=3.0)
        )
        await world.bus.publish(AmiConnectionChanged(connected=True))
        assert (await _next(a, "agent_state"))["event"]["state"] == "ready"
        assert (await _next(lead, "agent_state"))["event"]["agent_id"] == "1001"
        # the handler's next message is the broadcast: the agent's state never reached it
        first = json.loads((await asyncio.wait_for(h.receive(), 3)).data)
        assert first["type"] == "ami"


async def test_commands_are_refused_with_a_reason_when_asterisk_is_unreachable(client):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await ws.send_json({"id": 1, "cmd": "ready"})
        msg = await _next(ws, "refused")
        assert msg["id"] == 1 and msg["error_id"] == "cti.unavailable"
        assert "Asterisk" in msg["message"]


async def test_a_handler_may_not_send_seat_commands(client):
    await login(client, "2001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await ws.send_json({"id": 5, "cmd": "pause", "args": {"reason": "小休"}})
        msg = await _next(ws, "refused")
        assert (msg["id"], msg["error_id"]) == (5, "role.forbidden")


async def test_malformed_and_unknown_commands_are_refused_not_dropped(client):
    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        await ws.send_str("not json")
        assert (await _next(ws, "refused"))["error_id"] == "request.invalid"
        await ws.send_json({"id": 2, "cmd": "selfdestruct"})
        assert (await _next(ws, "refused"))["error_id"] == "command.unknown"
        await ws.send_json({"id": 3, "cmd": "ping"})
        assert (await _next(ws, "ack"))["id"] == 3


async def test_a_foreign_page_cannot_open_the_socket_with_our_cookie(client):
    await login(client, "1001")
    resp = await client.get("/ws", headers={"Origin": "https://evil.example", "Upgrade": "websocket"})
    assert resp.status == 403
    assert (await resp.json())["error_id"] == "origin.invalid"


async def test_a_slow_tab_is_resynced_instead_of_fed_a_backlog(client, world):
    from agent_ui.gateway import OUTBOUND_LIMIT
    from agent_ui.services import GATEWAY

    await login(client, "1001")
    async with client.ws_connect("/ws") as ws:
        await _next(ws, "snapshot")
        hub = client.app[GATEWAY]
        (tab,) = hub.clients
        for i in range(OUTBOUND_LIMIT * 2):
            tab.send({"type": "noise", "i": i})
        assert tab.resyncs >= 1
        assert tab.queue.qsize() <= OUTBOUND_LIMIT
        # what arrives after the overflow is a fresh snapshot, not the whole backlog
        await _next(ws, "snapshot")
