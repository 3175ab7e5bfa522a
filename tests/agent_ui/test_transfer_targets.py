"""转接 / 咨询转接 targets as agents type them (QA F1): the console shows queues by name only
(综合服务, 故障报修), so a queue typed by its name reaches the bridge by its code; any other text
goes as a queue the bridge checks with Asterisk (tests/integration: refused ``unknown_queue``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent_ui.commands import run_command


class NotingBridge:
    """A bridge that notes the transfers and consults asked of it; ``seats``: the colleagues'
    seats it knows (a 工号; tests/agent_ui/test_transfer_kind.py: the other targets)."""

    connected = True

    def __init__(self, seats: tuple[str, ...] = ()) -> None:
        self.seats = seats
        self.asked: list[tuple[str, str, str, str]] = []

    def agent(self, agent_id: str) -> dict | None:
        return {"agent_id": agent_id, "state": "ready"} if agent_id in self.seats else None

    async def transfer(self, agent_id: str, kind: str, target: str) -> dict:
        self.asked.append(("transfer", agent_id, kind, target))
        return {}

    async def consult(self, agent_id: str, kind: str, target: str) -> dict:
        self.asked.append(("consult", agent_id, kind, target))
        return {}


@pytest.mark.parametrize(
    ("typed", "kind", "target"),
    [
        ("综合服务", "queue", "service"),  # as the console shows it
        (" 故障报修 ", "queue", "fault"),
        ("General service", "queue", "service"),  # the English console's name
        ("complaint", "queue", "complaint"),  # the code still works
        ("综合服", "queue", "综合服"),  # a typo: the bridge asks Asterisk, which has no such queue
        ("1002", "agent", "1002"),
        ("13800138000", "number", "13800138000"),
    ],
)
@pytest.mark.parametrize("cmd", ["transfer", "consult"])
async def test_a_queue_is_typed_by_the_name_the_console_shows(cmd, typed, kind, target):
    bridge = NotingBridge(seats=("1002",))
    services = SimpleNamespace(bridge=bridge, queues=("service", "fault", "complaint"))
    await run_command(services, SimpleNamespace(agent_id="1001"), cmd, {"target": typed})
    assert bridge.asked == [(cmd, "1001", kind, target)]
