"""Transfers, consultations, conferences and spies between seats on two Asterisk servers, as the
one-process bridges route them (``LocalBridges``; ``RemoteBridge`` the same way between processes,
tests/integration/test_serve_servers_trunk.py): a colleague on the other server is reached through
the agent's own bridge, named with their server, once their own bridge says they are ready."""

from __future__ import annotations

from cti.commands import CommandResult
from cti.local_bridges import LocalBridges


class Bridge:
    customer_lookup = None

    def __init__(self, agents: dict[str, dict]) -> None:
        self.seats = agents
        self.connected = True
        self.asked: list[tuple] = []

    def agent(self, agent_id: str) -> dict | None:
        return self.seats.get(agent_id)

    def __getattr__(self, name: str):
        async def command(*args):
            self.asked.append((name, *args))
            return CommandResult.done()

        return command


def _bridges(second_state: str = "ready", reason: str = "") -> tuple[LocalBridges, Bridge, Bridge]:
    main = Bridge({"7001": {"state": "talking"}, "3001": {"state": "logged_out"}})
    second = Bridge({"8001": {"state": second_state, "reason": reason}})
    routed = LocalBridges(
        {"main": main, "second": second},
        lambda agent: "second" if agent.startswith("8") else None,
        "main",
    )
    return routed, main, second


async def test_a_colleague_on_the_other_server_is_reached_through_the_agents_own_bridge():
    routed, main, second = _bridges()
    assert (await routed.transfer("7001", "agent", "8001")).ok
    assert (await routed.consult("7001", "agent", "8001")).ok
    assert main.asked == [
        ("transfer", "7001", "agent", "8001", "second"),
        ("consult", "7001", "agent", "8001", "second"),
    ]
    assert second.asked == []
    # a queue, a number, a colleague on the same server: as before, no server named
    assert (await routed.transfer("7001", "queue", "service")).ok
    assert main.asked[-1] == ("transfer", "7001", "queue", "service")


async def test_a_colleague_there_not_ready_busy_or_gone_is_refused_with_their_servers_word():
    for state, reason, refused in (
        ("not_ready", "小休", "target_not_ready"),
        ("after_call_work", "", "target_not_ready"),
        ("talking", "", "target_busy"),
        ("logged_out", "", "target_logged_out"),
    ):
        routed, main, _second = _bridges(state, reason)
        result = await routed.transfer("7001", "agent", "8001")
        assert (result.ok, result.reason) == (False, refused), state
        assert main.asked == []
    routed, main, _second = _bridges("not_ready", "小休")
    assert (await routed.consult("7001", "agent", "8001")).data == {"pause_reason": "小休"}


async def test_the_other_server_down_or_a_conference_across_servers_is_refused_in_words():
    routed, main, second = _bridges()
    second.connected = False
    result = await routed.transfer("7001", "agent", "8001")
    assert (result.reason, result.data) == ("target_server_down", {"server": "second"})
    second.connected = True
    result = await routed.conference("7001", "8001")
    assert (result.ok, result.reason, result.data) == (
        False,
        "conference_target_other_server",
        {"server": "second"},
    )
    assert main.asked == [] and second.asked == []


async def test_a_supervisor_on_the_other_server_is_rung_over_the_trunk_by_the_agents_bridge():
    routed, main, second = _bridges("talking")
    assert (await routed.spy("Local/3001@hotline-sim-phone/n", "8001", "listen", "3001", "班长")).ok
    assert second.asked == [
        ("spy", "Local/3001@hotline-sim-phone/n", "8001", "listen", "3001", "班长", "main")
    ]
    assert (await routed.spy("Local/3001@hotline-sim-phone/n", "7001", "listen", "3001", "班长")).ok
    assert main.asked == [("spy", "Local/3001@hotline-sim-phone/n", "7001", "listen", "3001", "班长")]
