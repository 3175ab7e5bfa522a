"""A stand-in for the web process's bridge when there are several Asterisk servers (a
``RemoteBridge`` with routes, or ``LocalBridges``), for the console tests that vary only which
server is up for whom."""

from __future__ import annotations

from typing import Any


class SeveralServersBridge:
    """What the console asks of such a bridge besides its servers' state, answered as by servers
    that know no agent, queue, call or spy yet. A subclass says who is connected
    (``connected``, ``connected_for``) and may sum queues (``summed_queue``)."""

    several = True
    customer_lookup = True

    def summed_queue(self, event: Any) -> dict[str, Any] | None:
        return None

    def agent(self, agent_id: str) -> None:
        return None

    def agents(self) -> list:
        return []

    def queues(self) -> list:
        return []

    def calls(self) -> list:
        return []

    def spies(self) -> list:
        return []

    def ended_call(self, call_id: str) -> None:
        return None
