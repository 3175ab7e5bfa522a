"""The real ``cti.CtiBridge`` pointed at the replay server, with the capture's agents signed in.

The capture was recorded with simulated agents (``MemberName: bench<ext>`` on
``Local/<ext>@hotline-sim-phone/n``) that the bridge did not log in itself, so
they are entered into its agent book as logged in and ready, as a resync
would find them. Then every queue event moves a call *and* an agent, the way
it does in production. Everything the model emits goes through the bridge's
publisher onto an in-process bus (no lookup: screen-pop is measured apart).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cti import agents as A
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus

_MEMBER = re.compile(rb"MemberName: (\S+)\r\nInterface: (\S+)\r\n")


def members_of(capture: Path) -> dict[str, str]:
    """MemberName → Interface for every queue member the capture mentions."""
    found: dict[str, str] = {}
    for name, iface in _MEMBER.findall(capture.read_bytes()):
        found.setdefault(name.decode(), iface.decode())
    return found


class BridgeUnderTest:
    def __init__(self, port: int, capture: Path | None) -> None:
        settings = CtiSettings(ami_port=port, ami_user="bench", ami_secret="bench", keepalive=3600.0)
        settings.replay_history = False
        self.bus = InProcessBus()
        self.published = 0
        self.bridge = CtiBridge(settings, self.bus)
        self.members = members_of(capture) if capture else {}

    async def start(self) -> None:
        book = self.bridge.agent_book
        for agent_id, interface in self.members.items():
            agent = book.ensure(agent_id, interface)
            book.apply(agent, "login", 0.0)
            book.apply(agent, "ready", 0.0)

        async def count(_event: Any) -> None:
            self.published += 1

        self.subscription = self.bus.subscribe(count)
        await self.bridge.start()

    def on_event(self, name: str, callback: Any) -> None:
        self.bridge.ami.on_event(name, callback)

    async def flush(self) -> None:
        """Until every event the model emitted is published and consumed."""
        await self.bridge.flush()

    def stats(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for agent in self.bridge.agent_book.agents.values():
            states[agent.state] = states.get(agent.state, 0) + 1
        return {
            "published": self.published,
            "calls_open": len(self.bridge.model.calls),
            "agents": len(self.bridge.agent_book.agents),
            "agent_states": states,
            "ready": states.get(A.READY, 0),
        }

    async def stop(self) -> None:
        await self.subscription.close()
        await self.bridge.stop()
        await self.bus.close()
