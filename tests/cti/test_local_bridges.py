"""``hotline serve --role all`` with several Asterisk servers: a bridge per server in the one
process, and the console's bridge routing each agent to their server's (cti.local_bridges)."""

from __future__ import annotations

from types import SimpleNamespace

from cti.call_events import QueueUpdated
from cti.commands import CommandResult
from cti.local_bridges import LocalBridges


class SiteBridge:
    def __init__(self, name: str, connected: bool, waiting: int, members: list[str]) -> None:
        self.name, self.connected = name, connected
        self.customer_lookup = object()
        self.seen: list[tuple] = []
        self.waiting, self.members = waiting, members
        self.queue_board = SimpleNamespace(queues={"95598": object()})

    async def ready(self, agent_id):
        self.seen.append(("ready", agent_id))
        return CommandResult.done(state="ready", server=self.name)

    async def spy_stop(self, spy_id, supervisor):
        self.seen.append(("spy_stop", spy_id))
        return CommandResult.done()

    async def acw_alive(self, process, interval):
        self.seen.append(("acw_alive", process))
        return CommandResult.done()

    def agents(self):
        return [{"agent_id": a, "state": "ready"} for a in self.members]

    def agent(self, agent_id):
        return {"agent_id": agent_id, "state": "ready"} if agent_id in self.members else None

    def queues(self):
        return [
            {
                "queue": "95598",
                "waiting": self.waiting,
                "waiting_calls": [f"{self.name}-{n}" for n in range(self.waiting)],
                "longest_wait": 10.0 * self.waiting,
                "members": [{"agent_id": a, "interface": f"PJSIP/{a}"} for a in self.members],
                "agents_ready": len(self.members),
                "agents_logged_in": len(self.members),
                "offered": 5,
                "answered": 4,
                "abandoned": 1,
                "short_abandoned": 0,
                "overflowed": 0,
                "answered_in_sl": 3,
            }
        ]

    def calls(self):
        return [{"call_id": f"{self.name}-1"}]

    def spies(self):
        return [{"spy_id": f"spy-{self.name}", "agent_id": self.members[0]}]

    def ended_call(self, call_id):
        return {"call_id": call_id} if call_id.startswith(self.name) else None


def servers(up: bool = True) -> tuple[LocalBridges, SiteBridge, SiteBridge]:
    gz, sz = SiteBridge("gz", True, 2, ["5101"]), SiteBridge("sz", up, 1, ["5201"])
    local = LocalBridges({"gz": gz, "sz": sz}, lambda a: "gz" if a.startswith("51") else None, "sz")
    return local, gz, sz


async def test_each_agent_goes_to_their_servers_bridge_and_the_views_hold_every_server():
    local, gz, sz = servers()
    assert (await local.ready("5101")).data["server"] == "gz"
    assert (await local.ready("1001")).data["server"] == "sz"  # the default server's
    assert (gz.seen, sz.seen) == ([("ready", "5101")], [("ready", "1001")])
    assert {a["agent_id"] for a in local.agents()} == {"5101", "5201"}
    assert {c["call_id"] for c in local.calls()} == {"gz-1", "sz-1"}
    assert local.ended_call("sz-9") == {"call_id": "sz-9"}
    await local.spy_stop("spy-gz", "3001")
    assert gz.seen[-1] == ("spy_stop", "spy-gz")
    await local.acw_alive("web-1", 5.0)
    assert ("acw_alive", "web-1") in gz.seen and ("acw_alive", "web-1") in sz.seen
    (queue,) = local.queues()
    assert (queue["waiting"], queue["agents_ready"], queue["answered"], queue["longest_wait"]) == (
        3,
        2,
        8,
        20.0,
    )
    assert {m["agent_id"] for m in queue["members"]} == {"5101", "5201"}
    event = QueueUpdated(queue="95598", waiting=2, longest_wait=20.0, agents_ready=1, agents_logged_in=1)
    assert local.summed_queue(event)["waiting"] == 3


async def test_a_server_without_asterisk_leaves_the_others_alone():
    local, gz, sz = servers(up=False)
    assert local.connected and local.connected_for("5101") and not local.connected_for("5201")
    (queue,) = local.queues()
    assert queue["waiting"] == 2  # the counters sz had when it lost Asterisk no longer count
    event = QueueUpdated(queue="95598", waiting=2, longest_wait=20.0, agents_ready=1, agents_logged_in=1)
    assert local.summed_queue(event) is None
    no_server = LocalBridges({"gz": gz}, lambda a: "gz" if a.startswith("51") else None, None)
    refused = await no_server.ready("1001")
    assert (refused.ok, refused.reason) == (False, "no_server")
