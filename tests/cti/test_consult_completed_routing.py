"""完成转接 of a consultation with a colleague on another Asterisk server: the agent's own bridge
completes it, and the colleague's bridge, which sees none of that server's legs, is then told the
caller is theirs (``consult_completed``), as ``LocalBridges`` routes it in one process
(``RemoteBridge`` the same between processes: tests/integration/test_serve_servers_trunk.py)."""

from __future__ import annotations

from cti.commands import CommandResult
from cti.local_bridges import LocalBridges
from tests.cti.test_transfer_across_servers import Bridge


class Completing(Bridge):
    async def complete_transfer(self, agent_id: str) -> CommandResult:
        self.asked.append(("complete_transfer", agent_id))
        return CommandResult.done(call_id="1700000000.77")


def _bridges(target: str) -> tuple[LocalBridges, Bridge, Bridge]:
    main = Completing(
        {"7001": {"state": "on_hold", "consult": {"call_id": "1700000000.77", "target": target}}}
    )
    second = Bridge({"8001": {"state": "talking"}})
    routed = LocalBridges(
        {"main": main, "second": second},
        lambda agent: "second" if agent.startswith("8") else None,
        "main",
    )
    return routed, main, second


async def test_the_colleague_on_the_other_server_is_told_the_caller_is_theirs():
    routed, main, second = _bridges("agent:8001")
    result = await routed.complete_transfer("7001")
    assert result.ok and result.data == {"call_id": "1700000000.77"}
    assert main.asked == [("complete_transfer", "7001")]
    assert second.asked == [("consult_completed", "8001", "1700000000.77", "7001")]


async def test_a_colleague_on_the_same_server_or_a_queue_needs_no_word_from_elsewhere():
    for target in ("agent:7002", "queue:cti-a", "number:13800138000"):
        routed, main, second = _bridges(target)
        assert (await routed.complete_transfer("7001")).ok
        assert main.asked == [("complete_transfer", "7001")]
        assert second.asked == []
