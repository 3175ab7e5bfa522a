"""Several Asterisk servers' bridges in one process (``hotline serve --role all``).

``LocalBridges`` is the console's bridge when one process runs a ``CtiBridge`` per Asterisk
server (``asterisk_servers``) on its in-process bus: each agent's commands go to the bridge
of the server their seat is on, as ``RemoteBridge`` routes them between processes; the
queries put every server's agents, calls and spies together, and a queue several servers
have is one row, their counters added up (``cti.mirror``'s sum).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from cti.commands import CommandResult
from cti.mirror import _ADDED
from cti.remote import BRIDGE_COMMANDS, colleague_elsewhere, conference_elsewhere, server_health

#: commands whose first argument is not the agent they are for, or whose target may be on another
#: server (written out below)
_NOT_BY_AGENT = {
    "acw_alive",
    "dial_to_queue",
    "spy",
    "spy_stop",
    "spy_mode",
    "transfer",
    "consult",
    "conference",
    "complete_transfer",
}


class LocalBridges:
    several = True

    def __init__(
        self, bridges: dict[str, Any], server_of: Callable[[str], str | None], default: str | None
    ) -> None:
        self.bridges = dict(bridges)
        self.server_of = server_of
        self.default = default
        first = next(iter(self.bridges.values()))
        self.customer_lookup = first.customer_lookup

    def bridge_of(self, agent_id: str) -> Any | None:
        return self.bridges.get(self._server_name(agent_id))

    def _server_name(self, agent_id: str) -> str:
        name = self.server_of(agent_id)
        return name if name is not None else self.default or ""

    def _elsewhere(self, agent_id: str, target: str) -> str:
        """The server of the colleague ``target`` when it is another than ``agent_id``'s; else ""."""
        own, theirs = self._server_name(agent_id), self._server_name(target)
        return theirs if theirs != own and own in self.bridges and theirs in self.bridges else ""

    # -- connection ---------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """One server's bridge at least is connected (``connected_for``: an agent's)."""
        return any(bridge.connected for bridge in self.bridges.values())

    def connected_for(self, agent_id: str) -> bool:
        bridge = self.bridge_of(agent_id)
        return bridge is not None and bool(bridge.connected)

    def servers(self) -> list[dict[str, Any]]:
        """Each server's bridge: name, AMI up, ``state`` (up | down | misconfigured) and reason."""
        return [
            {
                "server": name,
                "active": True,
                "connected": bool(bridge.connected),
                **server_health(bool(bridge.connected), getattr(bridge, "misconfigured", "") or ""),
            }
            for name, bridge in self.bridges.items()
        ]

    # -- queries --------------------------------------------------------------------------
    def agents(self) -> list[dict[str, Any]]:
        return [agent for bridge in self.bridges.values() for agent in bridge.agents()]

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        own = self.bridge_of(agent_id)
        found = own.agent(agent_id) if own is not None else None
        if found is not None:
            return found
        return next((a for b in self.bridges.values() if (a := b.agent(agent_id)) is not None), None)

    def calls(self) -> list[dict[str, Any]]:
        return [call for bridge in self.bridges.values() for call in bridge.calls()]

    def spies(self) -> list[dict[str, Any]]:
        return [spy for bridge in self.bridges.values() for spy in bridge.spies()]

    def ended_call(self, call_id: str) -> dict[str, Any] | None:
        return next((c for b in self.bridges.values() if (c := b.ended_call(call_id)) is not None), None)

    def queues(self) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for bridge in self.bridges.values():
            if not bridge.connected:
                continue  # its counters are as of when it lost Asterisk
            for queue in bridge.queues():
                row = rows.get(queue["queue"])
                if row is None:
                    rows[queue["queue"]] = {
                        **queue,
                        "members": list(queue["members"]),
                        "waiting_calls": list(queue["waiting_calls"]),
                    }
                    continue
                for key in _ADDED:
                    row[key] = int(row.get(key) or 0) + int(queue.get(key) or 0)
                row["longest_wait"] = max(float(row["longest_wait"]), float(queue["longest_wait"]))
                row["members"] += queue["members"]
                row["waiting_calls"] += queue["waiting_calls"]
        return list(rows.values())

    def summed_queue(self, event: Any) -> dict[str, Any] | None:
        """A ``QueueUpdated``'s queue over the servers having one of its name; None: one has."""
        having = [b for b in self.bridges.values() if b.connected and event.queue in b.queue_board.queues]
        if len(having) < 2:
            return None
        row = next((q for q in self.queues() if q["queue"] == event.queue), None)
        if row is None:
            return None
        return {**{key: row[key] for key in _ADDED}, "longest_wait": row["longest_wait"]}

    # -- commands ---------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name not in BRIDGE_COMMANDS or name in _NOT_BY_AGENT:
            raise AttributeError(name)

        async def command(agent_id: str, *args: Any) -> CommandResult:
            bridge = self.bridge_of(agent_id)
            if bridge is None:
                return CommandResult.refused("no_server", f"{agent_id}: no Asterisk server has this seat")
            return await getattr(bridge, name)(agent_id, *args)

        return command

    async def _handed_over(
        self, name: str, agent_id: str, kind: str, target: str, note: str = ""
    ) -> CommandResult:
        """``transfer`` or ``consult`` (as ``RemoteBridge`` routes them): a colleague on another
        server is reached over its trunk, once that server's bridge says they are ready. A
        transfer's ``note`` (转接备注) goes to both bridges, as ``RemoteBridge`` sends it."""
        bridge = self.bridge_of(agent_id)
        if bridge is None:
            return CommandResult.refused("no_server", f"{agent_id}: no Asterisk server has this seat")
        theirs = self._elsewhere(agent_id, target) if kind == "agent" else ""
        noted = {"note": note} if note else {}
        if not theirs:
            return await getattr(bridge, name)(agent_id, kind, target, **noted)
        if not self.bridges[theirs].connected:
            return CommandResult.refused(
                "target_server_down", f"Asterisk server {theirs} is not connected", server=theirs
            )
        refusal = colleague_elsewhere(target, self.bridges[theirs].agent(target))
        if refusal is not None:
            return refusal
        if note:
            # as RemoteBridge: their bridge is told first, not over the trunk (no free text there)
            call_id = str((bridge.agent(agent_id) or {}).get("call_id") or "")
            if call_id:
                await self.bridges[theirs].relay_note(target, call_id, agent_id, note)
        return await getattr(bridge, name)(agent_id, kind, target, theirs, **noted)

    async def transfer(self, agent_id: str, kind: str, target: str, note: str = "") -> CommandResult:
        return await self._handed_over("transfer", agent_id, kind, target, note)

    async def consult(self, agent_id: str, kind: str, target: str) -> CommandResult:
        return await self._handed_over("consult", agent_id, kind, target)

    async def complete_transfer(self, agent_id: str) -> CommandResult:
        """As ``RemoteBridge.complete_transfer``: a colleague consulted on another server is told
        by their own bridge that the caller is theirs now."""
        bridge = self.bridge_of(agent_id)
        if bridge is None:
            return CommandResult.refused("no_server", f"{agent_id}: no Asterisk server has this seat")
        consult = (bridge.agent(agent_id) or {}).get("consult") or {}
        kind, _, colleague = str(consult.get("target") or "").partition(":")
        theirs = self._elsewhere(agent_id, colleague) if kind == "agent" else ""
        result = await bridge.complete_transfer(agent_id)
        if result.ok and theirs:
            await self.bridges[theirs].consult_completed(
                colleague, str(result.data.get("call_id") or ""), agent_id
            )
        return result

    async def conference(self, agent_id: str, target_agent: str) -> CommandResult:
        bridge = self.bridge_of(agent_id)
        if bridge is None:
            return CommandResult.refused("no_server", f"{agent_id}: no Asterisk server has this seat")
        theirs = self._elsewhere(agent_id, target_agent)
        if theirs:
            return conference_elsewhere(target_agent, theirs)
        return await bridge.conference(agent_id, target_agent)

    async def acw_alive(self, process: str, interval: float) -> CommandResult:
        results = await asyncio.gather(*(b.acw_alive(process, interval) for b in self.bridges.values()))
        return next((r for r in results if r.ok), results[0])

    async def dial_to_queue(self, number: str, queue: str, *args: Any) -> CommandResult:
        return await self.bridges[self.default or next(iter(self.bridges))].dial_to_queue(
            number, queue, *args
        )

    async def spy(
        self, supervisor_seat: str, agent_id: str, mode: str, supervisor: str = "", supervisor_name: str = ""
    ) -> CommandResult:
        bridge = self.bridge_of(agent_id)
        if bridge is None:
            return CommandResult.refused("no_server", f"{agent_id}: no Asterisk server has this seat")
        # a supervisor's seat on another server is rung over its trunk (cti.commands.service)
        theirs = self._elsewhere(agent_id, supervisor) if supervisor else ""
        across = (theirs,) if theirs else ()
        return await bridge.spy(supervisor_seat, agent_id, mode, supervisor, supervisor_name, *across)

    def _of_spy(self, spy_id: str) -> Any:
        for bridge in self.bridges.values():
            if any(s.get("spy_id") == spy_id for s in bridge.spies()):
                return bridge
        return self.bridges[self.default or next(iter(self.bridges))]

    async def spy_stop(self, spy_id: str, supervisor: str) -> CommandResult:
        return await self._of_spy(spy_id).spy_stop(spy_id, supervisor)

    async def spy_mode(self, spy_id: str, supervisor: str, mode: str) -> CommandResult:
        return await self._of_spy(spy_id).spy_mode(spy_id, supervisor, mode)
