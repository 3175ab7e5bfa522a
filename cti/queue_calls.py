"""How app_queue's events change a call, its agents and its queue.

Part of ``CallModel`` (``cti.calls``), kept apart because it is the biggest
group of handlers: a caller joins, agents are offered the call and miss it or
answer it, the caller abandons or overflows, members come and go and pause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cti import agents as A
from cti.ami.protocol import Frame
from cti.call_events import CallOffered, CallQueued

if TYPE_CHECKING:
    from cti.calls import Call, CallModel

    _Base = CallModel
else:
    _Base = object


class QueueCallEvents(_Base):
    # -- queue ------------------------------------------------------------------
    def _on_QueueCallerJoin(self, f: Frame, at: float) -> None:
        call = self._call_of(f, at)
        if call is None:
            return
        self._caller_from(call, f)
        if call.direction == "internal":
            call.direction = "inbound"
        call.customer_channel = f.get("Channel")
        if call.queue and call.queue != f.get("Queue"):
            call.ivr_path.append(f"overflow:{call.queue}")
            call.outcome = ""  # a new queue: its own answer/abandon decides
        call.queue = f.get("Queue")
        call.queued_at = at
        if self.on_queued:
            self.on_queued(call, f.get("Channel"))
        self._start(call)
        self.queues.join(call.queue, call.call_id, at)
        self.notify(
            CallQueued(
                call_id=call.call_id,
                queue=call.queue,
                position=int(f.get("Position", "0") or 0),
                priority=int(f.get("Priority", "0") or 0),
                queued_at=at,
            )
        )

    def _on_QueueCallerLeave(self, f: Frame, at: float) -> None:
        call = self._find(f)
        if call is not None:
            self.queues.leave(f.get("Queue"), call.call_id, at)

    def _on_QueueCallerAbandon(self, f: Frame, at: float) -> None:
        call = self._find(f)
        if call is None:
            return
        call.outcome = "abandoned_ringing" if call.ringing else "abandoned_queue"
        call.waited = round(at - call.queued_at, 3) if call.queued_at else 0.0
        call.hangup_side = "caller"
        self.queues.leave(f.get("Queue"), call.call_id, at)

    def _on_AgentCalled(self, f: Frame, at: float) -> None:
        call = self._find(f)
        agent = self._agent_of(f)
        if call is None or agent is None:
            return
        if not call.ringing_at:
            call.ringing_at = at
        call.ringing.add(agent.agent_id)
        if agent.agent_id not in call.agents_offered:
            call.agents_offered.append(agent.agent_id)
        if agent.state != A.RINGING or agent.call_id != call.call_id:
            self._transition(agent, "offer", at, call.call_id)
        self._offer(call, agent.agent_id, at)

    def _offer(self, call: Call, agent_id: str, at: float) -> None:
        self.notify(
            CallOffered(
                call_id=call.call_id,
                agent_id=agent_id,
                caller=call.caller,
                caller_name=call.caller_name,
                dnis=call.dnis,
                queue=call.queue,
                ivr_path=tuple(call.ivr_path),
                waited=round(at - call.queued_at, 3) if call.queued_at else 0.0,
                offered_at=at,
            )
        )

    def _on_AgentRingNoAnswer(self, f: Frame, at: float) -> None:
        self._missed(f, at)

    def _on_AgentDump(self, f: Frame, at: float) -> None:
        self._missed(f, at)

    def _missed(self, f: Frame, at: float) -> None:
        call = self._find(f)
        agent = self._agent_of(f)
        if agent is None:
            return
        if call is not None:
            call.ringing.discard(agent.agent_id)
        if agent.state == A.RINGING:
            self._transition(agent, "miss", at, "")
            if self.on_missed:
                self.on_missed(agent, call.call_id if call else "")

    def _on_AgentConnect(self, f: Frame, at: float) -> None:
        call = self._find(f)
        agent = self._agent_of(f)
        if call is None or agent is None:
            return
        call.ringing.discard(agent.agent_id)
        for other in list(call.ringing):
            other_agent = self.agents.get(other)
            if other_agent is not None and other_agent.state == A.RINGING:
                self._transition(other_agent, "cancel", at)
        call.ringing.clear()
        self._transition(agent, "answer", at, call.call_id)
        if not call.answered_at:
            self._answered(call, agent.agent_id, at, float(f.get("HoldTime", "0") or 0))
            call.waited = round(at - call.queued_at, 3) if call.queued_at else call.waited

    def _on_AgentComplete(self, f: Frame, at: float) -> None:
        call = self._find(f)
        if call is not None and not call.hangup_side:
            reason = f.get("Reason")
            if reason in ("caller", "agent"):
                call.hangup_side = reason

    def _on_UserEvent(self, f: Frame, at: float) -> None:
        if f.get("UserEvent") != "HotlineOverflow":
            return
        call = self._find(f)
        if call is None:
            return
        queue = f.get("Queue") or call.queue
        call.outcome = "overflow"
        call.overflow_target = f.get("Target") or "voicemail"
        call.waited = round(at - call.queued_at, 3) if call.queued_at else 0.0
        if queue and queue not in call.overflowed_from:
            # Counted once per queue it left; a second hop (queue → voicemail) is not a second call.
            call.overflowed_from.add(queue)
            if queue == call.queue:
                self.queues.outcome(queue, "overflow", at)

    def _on_MixMonitorStart(self, f: Frame, at: float) -> None:
        call = self._find(f)
        if call is not None and self.on_recording_started:
            self.on_recording_started(call, f.get("Channel"))

    # -- queue members ------------------------------------------------------------
    def _on_QueueMemberAdded(self, f: Frame, at: float) -> None:
        self._member(f, at)

    def _on_QueueMemberPause(self, f: Frame, at: float) -> None:
        self._member(f, at)

    def _member(self, f: Frame, at: float) -> None:
        interface = f.get("Interface")
        agent_id = f.get("MemberName") or interface
        paused = f.get("Paused") == "1"
        self.queues.member(
            f.get("Queue"),
            interface,
            agent_id,
            int(f.get("Penalty", "0") or 0),
            paused,
            f.get("PausedReason"),
            at,
        )
        if f.name == "QueueMemberPause":
            self._pause_from_asterisk(agent_id, paused, f.get("PausedReason"), at)

    def _pause_from_asterisk(self, agent_id: str, paused: bool, reason: str, at: float) -> None:
        """A pause done outside our commands (CLI, another tool) shows on the seat too.

        Our own commands change the state themselves; the event then finds the
        state already there and publishes nothing. During calls and after-call
        work the pause is app_queue's business, not a state change.
        """
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if paused and agent.state in (A.READY, A.NOT_READY):
            self._transition_reason(agent, "pause", at, reason)
        elif not paused and agent.state == A.NOT_READY:
            self._transition_reason(agent, "ready", at, "")

    def _transition_reason(self, agent: A.Agent, trigger: str, at: float, reason: str) -> None:
        try:
            self.agents.apply(agent, trigger, at, reason=reason)
        except A.InvalidTransition:
            pass

    def _on_QueueMemberRemoved(self, f: Frame, at: float) -> None:
        self.queues.remove_member(f.get("Queue"), f.get("Interface"), at)
