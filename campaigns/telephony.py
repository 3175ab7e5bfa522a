"""The dialer's only contact with Asterisk: the CTI bridge.

Who is ready in a queue comes from the bridge's agent snapshots; a call is the
bridge's click-to-dial (the agent's seat rings first, then ``hotline-outbound``
dials the customer with the hotline number as caller ID and records the call);
its outcome comes from the bridge's ``CallEnded`` on the bus and, to tell busy
from no answer, the ``DialEnd`` status Asterisk reports for the customer leg.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from campaigns import rules
from cti.bus import Bus
from cti.call_events import CallEnded

log = logging.getLogger(__name__)

OutcomeHandler = Callable[[str, str], Awaitable[None]]


class BridgeTelephony:
    def __init__(self, bridge: Any, bus: Bus) -> None:
        self.bridge = bridge
        self.bus = bus
        self.watching: set[str] = set()
        self._dial_status: OrderedDict[str, str] = OrderedDict()
        self._on_outcome: OutcomeHandler | None = None
        self._subscription: Any = None

    def start(self, on_outcome: OutcomeHandler) -> None:
        self._on_outcome = on_outcome
        self.bridge.ami.on_event("DialEnd", self._dial_end)
        self._subscription = self.bus.subscribe(self._call_ended, types=[CallEnded])

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    def ready_agents(self, queue: str) -> list[str]:
        """Agents signed into ``queue`` and ready, the longest-ready first."""
        agents = [a for a in self.bridge.agents() if a["state"] == "ready" and queue in (a["skills"] or {})]
        return [a["agent_id"] for a in sorted(agents, key=lambda a: a.get("since") or 0.0)]

    async def place(self, agent_id: str, number: str, ring_seconds: int) -> tuple[bool, str, str]:
        """(ok, call id, refusal reason); the customer rings ``ring_seconds`` at most."""
        result = await self.bridge.dial(agent_id, number, ring_timeout=ring_seconds)
        if not result.ok:
            return False, "", result.reason
        call_id = result.data["call_id"]
        self.watching.add(call_id)
        return True, call_id, ""

    def _dial_end(self, frame: Any) -> None:
        linkedid = frame.get("Linkedid")
        if linkedid in self.watching and frame.get("DialStatus"):
            self._dial_status[linkedid] = frame.get("DialStatus")
            while len(self._dial_status) > 10_000:
                self._dial_status.popitem(last=False)

    async def _call_ended(self, event: CallEnded) -> None:
        if event.call_id not in self.watching:
            return
        self.watching.discard(event.call_id)
        status = self._dial_status.pop(event.call_id, "")
        if event.outcome == "answered":
            outcome = rules.ANSWERED
        elif status:
            outcome = rules.outcome_of(status)
        else:
            outcome = rules.AGENT_MISSED  # no Dial ran: the agent's phone never picked up
        log.info(
            "campaign call %s: %s (DialStatus %s, cause %s)",
            event.call_id,
            outcome,
            status,
            event.hangup_cause,
        )
        if self._on_outcome is not None:
            await self._on_outcome(event.call_id, outcome)
