"""The console with several Asterisk servers (asterisk_servers): each tab is told whether the
bridge of its own seat's server is up, and a queue several servers have shows their sum."""

from __future__ import annotations

from typing import Any

from cti.call_events import AmiConnectionChanged, QueueUpdated
from tests.agent_ui.conftest import login
from tests.agent_ui.conftest import next_message as _next
from tests.agent_ui.several_servers import SeveralServersBridge


class TwoServers(SeveralServersBridge):
    """A web process's bridge of two servers (``RemoteBridge`` with routes), gz down and sz up:
    1001's seat is on gz, 3001's on sz."""

    def __init__(self) -> None:
        self.up = {"1001": False, "3001": True}

    @property
    def connected(self) -> bool:
        return any(self.up.values())

    def connected_for(self, agent_id: str) -> bool:
        return self.up.get(agent_id, False)

    def summed_queue(self, event: Any) -> dict[str, Any] | None:
        return {"waiting": event.waiting + 4, "agents_ready": event.agents_ready + 2}


async def test_each_tab_hears_of_its_own_servers_bridge_and_of_queues_summed(
    aiohttp_client, aiohttp_server, world
):
    from agent_ui import create_app

    world.services.bridge = TwoServers()
    app = create_app(world.services)
    server = await aiohttp_server(app)
    on_gz, on_sz = await aiohttp_client(server), await aiohttp_client(server)
    await login(on_gz, "1001")
    await login(on_sz, "3001")
    async with on_gz.ws_connect("/ws") as gz, on_sz.ws_connect("/ws") as sz:
        assert (await _next(gz, "snapshot"))["ami"]["connected"] is False
        assert (await _next(sz, "snapshot"))["ami"]["connected"] is True

        await world.bus.publish(AmiConnectionChanged(connected=False, server="10.1.0.10:5038", reason="down"))
        assert (await _next(gz, "ami"))["connected"] is False
        assert (await _next(sz, "ami"))["connected"] is True  # sz's bridge is still up

        await world.bus.publish(
            QueueUpdated(queue="service", waiting=1, longest_wait=0.0, agents_ready=1, agents_logged_in=2)
        )
        shown = (await _next(sz, "queue"))["event"]
        assert (shown["queue"], shown["waiting"], shown["agents_ready"], shown["agents_logged_in"]) == (
            "service",
            5,
            3,
            2,
        )


def test_a_refusal_for_a_server_without_a_bridge_names_that_server():
    from agent_ui.texts import Texts

    texts = Texts()
    assert "电话服务器（sz）" in texts.error("zh-CN", "no_active_bridge", details={"server": "sz"})
    assert "(sz)" in texts.error("en", "no_active_bridge", details={"server": "sz", "detail": "no bridge"})
