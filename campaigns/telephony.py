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
from cti.call_events import CallAnswered, CallEnded

log = logging.getLogger(__name__)

OutcomeHandler = Callable[..., Awaitable[None]]  # (call id, outcome, *, late=False)


class BridgeTelephony:
    def __init__(self, bridge: Any, bus: Bus) -> None:
        self.bridge = bridge
        self.bus = bus
        self.watching: set[str] = set()
        self.predictive: set[str] = set()  # watched calls that ring the customer first
        self._connected: set[str] = set()  # predictive calls an agent has taken
        self._dial_status: OrderedDict[str, str] = OrderedDict()
        self._on_outcome: OutcomeHandler | None = None
        self._on_connected: Callable[[str, str], Awaitable[None]] | None = None
        self._subscription: Any = None
        self._unwatch: Callable[[], None] | None = None

    def start(
        self, on_outcome: OutcomeHandler, on_connected: Callable[[str, str], Awaitable[None]] | None = None
    ) -> None:
        self._on_outcome = on_outcome
        self._on_connected = on_connected
        self._unwatch = self.bridge.ami.on_event("DialEnd", self._dial_end)
        self._subscription = self.bus.subscribe(self._call_event, types=[CallEnded, CallAnswered])

    async def stop(self) -> None:
        """Both stopped: a dialer started again (hotline.runtime restarts a failed one) has one of each."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

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

    async def place_predictive(self, queue: str, number: str, ring_seconds: int) -> tuple[bool, str, str]:
        """The customer rings first; answered, the call goes to ``queue`` (an agent within 2 s)."""
        result = await self.bridge.dial_to_queue(
            number, queue, ring_timeout=ring_seconds, connect_timeout=int(rules.CONNECT_WITHIN)
        )
        if not result.ok:
            return False, "", result.reason
        call_id = result.data["call_id"]
        self.watching.add(call_id)
        self.predictive.add(call_id)
        return True, call_id, ""

    def connected(self, call_id: str) -> bool:
        """A predictive call an agent has taken (it no longer waits for one)."""
        return call_id in self._connected

    def _dial_end(self, frame: Any) -> None:
        linkedid = frame.get("Linkedid")
        if linkedid in self.watching and frame.get("DialStatus"):
            self._dial_status[linkedid] = frame.get("DialStatus")
            while len(self._dial_status) > 10_000:
                self._dial_status.popitem(last=False)

    async def _call_event(self, event: CallEnded | CallAnswered) -> None:
        if event.call_id not in self.watching:
            return
        if isinstance(event, CallAnswered):
            if event.call_id in self.predictive and event.call_id not in self._connected:
                self._connected.add(event.call_id)
                if self._on_connected is not None:
                    await self._on_connected(event.call_id, event.agent_id)
            return
        self.watching.discard(event.call_id)
        status = self._dial_status.pop(event.call_id, "")
        if event.call_id in self.predictive:
            self.predictive.discard(event.call_id)
            self._connected.discard(event.call_id)
            await self._predictive_ended(event, status)
            return
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

    async def _predictive_ended(self, event: CallEnded, status: str) -> None:
        """Answered by an agent (late if after CONNECT_WITHIN of the customer's answer), abandoned
        (the customer answered, no agent took it), or the customer's own outcome."""
        late = False
        if event.answered_at and event.agent_id:
            outcome = rules.ANSWERED
            late = event.answered_at - (event.queued_at or event.answered_at) > rules.CONNECT_WITHIN
        elif status.upper() == "ANSWER" or event.queued_at:
            outcome = rules.ABANDONED
        else:
            outcome = rules.outcome_of(status, hangup_cause=event.hangup_cause)
        log.info(
            "predictive call %s: %s%s (DialStatus %s, waited %.2f s)",
            event.call_id,
            outcome,
            " (late)" if late else "",
            status,
            event.waited,
        )
        if self._on_outcome is not None:
            await self._on_outcome(event.call_id, outcome, late=late)
