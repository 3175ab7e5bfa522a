"""Which way a call goes reaches the browser: a callback (回呼, click-to-dial) or a campaign's call is
outbound on the wallboard and in the seat's pop, not a caller ringing in (QA F12)."""

from __future__ import annotations

from typing import Any

from cti.call_events import AgentStateChanged, CallAnswered, CallOffered, CallStarted
from tests.agent_ui.conftest import login
from tests.agent_ui.test_seat_asterisk import Tab

DIALLED = "13900003333"


class DialingBridge:
    """What the gateway asks of the bridge here: no live calls, no agents (the bus brings them)."""

    connected = True

    def __init__(self) -> None:
        self.live: list[dict[str, Any]] = []

    def calls(self) -> list[dict[str, Any]]:
        return list(self.live)

    def agent(self, agent_id: str) -> None:
        return None


async def test_outbound_calls_say_so_on_the_board_and_to_the_seat(client, aiohttp_client, world):
    bridge = DialingBridge()
    world.services.bridge = bridge
    await login(client, "3001")
    agent = await aiohttp_client(client.server)
    await login(agent, "1001")
    async with client.ws_connect("/ws") as ws, agent.ws_connect("/ws") as agent_ws:
        board, seat = Tab(ws), Tab(agent_ws)
        await board.next("snapshot")
        await seat.next("snapshot")
        await board.wallboard()

        # 回呼: the agent's phone rings first; the bridge starts the call outbound before the seat
        # rings, so the board learns whom it dials before the state
        await world.bus.publish(
            CallStarted(call_id="out-1", direction="outbound", caller=DIALLED, dnis=DIALLED)
        )
        started = await board.next("board_call", event="CallStarted", call_id="out-1")
        assert started["event"]["direction"] == "outbound" and started["event"]["dnis"] == DIALLED
        await world.bus.publish(
            AgentStateChanged(
                agent_id="1001", state="ringing", previous="not_ready", seconds_in_previous=4, call_id="out-1"
            )
        )
        await board.next("agent_state", call_id="out-1", within=2)

        # the customer answers, which says outbound too
        await world.bus.publish(
            CallAnswered(call_id="out-1", agent_id="1001", caller=DIALLED, answered_at=1.0)
        )
        answered = await board.next("board_call", event="CallAnswered", call_id="out-1")
        assert answered["event"]["direction"] == "outbound"
        assert (await seat.next("call", event="CallAnswered", call_id="out-1"))["event"][
            "direction"
        ] == "outbound"

        # a campaign's call handed to a queue pops on the seat as outbound; a caller's as inbound
        for call_id, direction in (("out-2", "outbound"), ("in-1", "inbound")):
            await world.bus.publish(CallStarted(call_id=call_id, direction=direction, caller=DIALLED))
            await world.bus.publish(
                CallOffered(call_id=call_id, agent_id="1001", caller=DIALLED, queue="service")
            )
            pop = await seat.next("screen_pop", call_id=call_id)
            assert pop["event"]["direction"] == direction
            assert (await board.next("board_call", event="CallOffered", call_id=call_id))["event"][
                "direction"
            ] == (direction)
