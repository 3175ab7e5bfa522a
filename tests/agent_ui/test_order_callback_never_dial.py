"""回呼 from an order asks the outbound rule campaigns and faxes ask (cti.phones.never_dial): a
typo in the order's phone field must not ring an emergency line."""

import dataclasses
from types import SimpleNamespace

import pytest

from agent_ui.commands import run_command
from agent_ui.errors import UiError


class DialingBridge:
    connected = True

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def agent(self, agent_id: str) -> dict:
        return {"state": "not_ready"}  # signed in, paused: calling 待回复工单 customers back

    async def dial(self, *args) -> dict:
        self.asked.append(args)
        return {"call_id": "x"}


async def test_a_callback_from_an_order_to_an_emergency_number_is_refused(world):
    bridge = DialingBridge()
    services = dataclasses.replace(world.services, bridge=bridge)
    with pytest.raises(UiError) as refused:
        await run_command(
            services, SimpleNamespace(agent_id="1001"), "dial", {"number": "110", "order_id": 1}
        )
    assert refused.value.error_id == "dial.never_dial" and bridge.asked == []
