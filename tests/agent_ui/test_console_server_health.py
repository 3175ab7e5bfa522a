"""The servers' health reaches the consoles: each Asterisk server's name, state (up | down |
misconfigured) and reason for who sees every seat (snapshot, wallboard, and live with each
AmiConnectionChanged), and a seat whose own server is refused as misconfigured is told so."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cti.call_events import AmiConnectionChanged
from cti.remote import server_health
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next
from tests.agent_ui.several_servers import SeveralServersBridge

WRONG = "misconfigured: systemname 'hotline9', configured 'hotline2'"


class Servers(SeveralServersBridge):
    """LocalBridges-like: gz up, sz refused (its Asterisk has another systemname); 1001 on sz."""

    def __init__(self) -> None:
        self.bridges = {
            "gz": SimpleNamespace(connected=True, misconfigured=""),
            "sz": SimpleNamespace(connected=False, misconfigured=WRONG),
        }

    def bridge_of(self, agent_id: str) -> Any:
        return self.bridges["sz" if agent_id == "1001" else "gz"]

    @property
    def connected(self) -> bool:
        return any(b.connected for b in self.bridges.values())

    def connected_for(self, agent_id: str) -> bool:
        return self.bridge_of(agent_id).connected

    def servers(self) -> list[dict[str, Any]]:
        return [
            {
                "server": name,
                "active": True,
                "connected": b.connected,
                **server_health(b.connected, b.misconfigured),
            }
            for name, b in self.bridges.items()
        ]


async def test_servers_health_reaches_supervisors_and_the_misconfigured_seat(
    aiohttp_client, aiohttp_server, world
):
    from agent_ui import create_app

    bridge = world.services.bridge = Servers()
    server = await aiohttp_server(create_app(world.services))
    agent, boss = await aiohttp_client(server), await aiohttp_client(server)
    await login(agent, "1001")
    await login(boss, "3001")
    async with agent.ws_connect("/ws") as a, boss.ws_connect("/ws") as s:
        mine = (await _next(a, "snapshot"))["ami"]
        assert mine == {"connected": False, "state": "misconfigured", "why": WRONG}  # no servers for a seat
        seen = (await _next(s, "snapshot"))["ami"]
        assert seen["state"] == "up"
        assert seen["servers"] == [
            {"server": "gz", "state": "up", "reason": ""},
            {"server": "sz", "state": "misconfigured", "reason": WRONG},
        ]
        await s.send_json({"id": 1, "cmd": "wallboard"})
        board = await _next(s, "board")
        assert board["servers"] == seen["servers"]

        # sz comes back with the right systemname, gz is lost: told live, with the event's reason
        bridge.bridges["sz"] = SimpleNamespace(connected=True, misconfigured="")
        bridge.bridges["gz"] = SimpleNamespace(connected=False, misconfigured="")
        await world.bus.publish(AmiConnectionChanged(connected=False, server="10.0.0.1:5038", reason="lost"))
        live = await _next(s, "ami")
        assert (live["connected"], live["state"], live["reason"]) == (False, "down", "lost")
        assert live["servers"] == [
            {"server": "gz", "state": "down", "reason": ""},
            {"server": "sz", "state": "up", "reason": ""},
        ]
        told = await _next(a, "ami")
        assert (told["connected"], told["state"], told["why"]) == (True, "up", "") and "servers" not in told
