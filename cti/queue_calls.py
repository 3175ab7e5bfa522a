"""How app_queue's events change a call, its agents and its queue.

Part of ``CallModel`` (``cti.calls``), kept apart because it is the biggest
group of handlers: a caller joins, agents are offered the call and miss it or
answer it, the caller abandons or overflows, members come and go and pause.
Each handler is called with the event's time and the fields it names in
``@reads``, read from the frame in one pass.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from cti import agents as A
from cti.ami.fields import reads
from cti.ami.speedups import round3
from cti.call_events import CallOffered, CallQueued
from cti.channel_calls import _party

if TYPE_CHECKING:
    from cti.calls import Call, CallModel

    _Base = CallModel
else:
    _Base = object


@dataclasses.dataclass(slots=True)  # read in its slots by the C accelerator, as a Call (cti.calls)
class QueueLeg:
    """The caller's time in one queue: offered there at ``queued_at``; its outcome there
    (answered, abandoned_queue, abandoned_ringing, overflow: left for another queue or the
    voicemail unanswered, callback: left asking to be called back) at ``left_at``, counted on
    that queue's board once, when it is known.
    A call answered in one queue and transferred to another is two legs, each queue's own."""

    queue: str
    queued_at: float
    left_at: float = 0.0
    outcome: str = ""  # "" while the caller waits there
    agent_id: str = ""  # who answered it there
    #: app_queue let the caller go unanswered (its QueueCallerAbandon, sent for a caller who hung
    #: up and for a timeout or an emptied queue alike): the abandon it would be, its time, and the
    #: caller's channel there. The caller hanging up makes it that queue's abandon; the dialplan
    #: going on (HotlineOverflow, another queue) makes it the queue's overflow
    gave_up: str = ""
    gave_up_at: float = 0.0
    gave_up_channel: str = ""

    @property
    def waited(self) -> float:
        return round3(max(0.0, (self.left_at or self.queued_at) - self.queued_at))


class QueueCallEvents(_Base):
    # -- queue ------------------------------------------------------------------
    @reads("Linkedid", "CallerIDNum", "CallerIDName", "Channel", "Queue", "Position", "Priority")
    def _on_QueueCallerJoin(
        self,
        at: float,
        linkedid: str,
        num: str,
        cname: str,
        channel: str,
        queue: str,
        position: str,
        priority: str,
    ) -> None:
        call = self._call_for(linkedid, at)
        if call is None:
            return
        if self._consult_leg_of(call, channel):
            # A consultation with a queue (咨询转接): the consult's leg waits there, not the
            # caller, who stays the agent's, held, with the queue and wait they came with. Once
            # the consultation is completed the caller waits there on that leg, as after a blind
            # transfer to it (``consult_handed_to_queue``).
            call.consult_legs.add(channel)
            call.consult_queues[channel] = (queue, int(position or 0), int(priority or 0))
            return
        if call.direction != "outbound":
            self._caller_from(call, num, cname)
        if call.direction == "internal":
            call.direction = "inbound"
        call.customer_channel = channel
        self._queued(call, channel, queue, int(position or 0), int(priority or 0), at, joined=True)

    def _queued(
        self,
        call: Call,
        channel: str,
        queue: str,
        position: int,
        priority: int,
        at: float,
        joined: bool = False,
    ) -> None:
        """The caller waits in ``queue`` on ``channel`` from ``at``: come from the IVR, transferred
        there (blind; ``joined``: its QueueCallerJoin), or handed there on a completed
        consultation's leg (``consult_handed_to_queue``, no IVR choices to read on it). A later
        queue than the call's is its queue now (its answer or abandon decides)."""
        waiting = self._open_leg(call)
        if waiting is not None and waiting.queue == queue:
            # the same wait heard again: no new leg
            call.queue = queue
        else:
            if waiting is not None:
                # left unanswered for this queue: that queue's overflow (once: the dialplan's
                # HotlineOverflow may have said so already)
                self._close_leg(call, waiting, "overflow", waiting.gave_up_at or at)
            if call.queue and call.queue != queue:
                call.ivr_path.append(f"overflow:{call.queue}")
            call.outcome = ""  # a new queue leg: its own answer/abandon decides
            call.queue = queue
            call.queued_at = at
            call.queue_legs.append(QueueLeg(queue, at))
        if joined and self.on_queued:
            self.on_queued(call, channel)
        self._start(call)
        self.queues.join(call.queue, call.call_id, at)
        self.notify(
            CallQueued.make(
                call_id=call.call_id,
                queue=call.queue,
                position=position,
                priority=priority,
                queued_at=at,
            )
        )

    def _open_leg(self, call: Call) -> QueueLeg | None:
        """The queue leg the caller waits in now, if any. A call known from before a restart
        (no legs heard) has one made from its queue: waiting there, or answered there."""
        if not call.queue_legs and call.queue and call.queued_at:
            leg = QueueLeg(call.queue, call.queued_at)
            if call.answered_at:
                leg.left_at, leg.outcome, leg.agent_id = call.answered_at, "answered", call.agent_id
            call.queue_legs.append(leg)
        if call.queue_legs and not call.queue_legs[-1].outcome:
            return call.queue_legs[-1]
        return None

    def _close_leg(self, call: Call, leg: QueueLeg, outcome: str, at: float, agent_id: str = "") -> None:
        """The leg's outcome in its queue, counted on that queue's board now (once per leg); the
        caller waits there no more (whether or not its QueueCallerLeave came first)."""
        leg.outcome, leg.left_at, leg.agent_id = outcome, at, agent_id
        self.queues.outcome(leg.queue, outcome, at, leg.waited, call_id=call.call_id)

    def _gave_up(self, call: Call, channel: str = "") -> None:
        """The caller app_queue let go unanswered hung up (on ``channel``, the caller's or the one
        that waited; any, at the call's end): that queue's abandon, counted as of its leaving."""
        leg = self._open_leg(call)
        if leg is None or not leg.gave_up:
            return
        if channel and _party(channel) not in (_party(call.customer_channel), _party(leg.gave_up_channel)):
            return
        self._close_leg(call, leg, leg.gave_up, leg.gave_up_at)

    def _queue_answered(self, call: Call, agent_id: str, at: float) -> None:
        """``agent_id`` answered the caller waiting in a queue: that queue's answer (the first
        queue's, or the one a transfer or a completed consultation took the caller to)."""
        leg = self._open_leg(call)
        if leg is not None:
            self._close_leg(call, leg, "answered", at, agent_id)

    def _consult_leg_of(self, call: Call, channel: str) -> bool:
        """Whether ``channel``, joining a queue on ``call``, is the leg of a consultation (the
        agent's Atxfer to a queue) rather than the caller: the caller is answered, held by the
        consulting agent, and ``channel`` is none of the caller's."""
        if channel in call.consult_legs:
            return True
        holder = self._consulting_holder(call)
        if holder is None or holder.consult["caller_gone"]:  # type: ignore[index]
            return False
        return bool(call.answered_at) and _party(channel) != _party(call.customer_channel)

    @reads("Linkedid", "Queue", "Channel")
    def _on_QueueCallerLeave(self, at: float, linkedid: str, queue: str, channel: str) -> None:
        call = self._known(linkedid)
        if call is not None and channel not in call.consult_legs:
            self.queues.leave(queue, call.call_id, at)

    @reads("Linkedid", "Queue", "Channel")
    def _on_QueueCallerAbandon(self, at: float, linkedid: str, queue: str, channel: str) -> None:
        call = self._known(linkedid)
        if call is None or channel in call.consult_legs:
            # a consultation's leg leaving the queue (取消咨询, or the held caller gone): no abandon
            return
        call.outcome = "abandoned_ringing" if call.ringing else "abandoned_queue"
        call.waited = round3(at - call.queued_at) if call.queued_at else 0.0
        call.hangup_side = "caller"
        self.queues.leave(queue, call.call_id, at)
        leg = self._open_leg(call)
        if leg is not None:
            # Not counted yet: app_queue says the same for a timeout (and an emptied queue), after
            # which the dialplan moves the caller on (HotlineOverflow: that queue's overflow). The
            # caller's hangup that follows a real abandon counts it (``_gave_up``).
            leg.gave_up, leg.gave_up_at, leg.gave_up_channel = call.outcome, at, channel

    @reads("Linkedid", "MemberName", "Interface", "Queue", "Channel")
    def _on_AgentCalled(
        self, at: float, linkedid: str, member: str, interface: str, queue: str, channel: str
    ) -> None:
        call = self._known(linkedid)
        agent = self._agent_of(member, interface)
        if call is None or agent is None:
            return
        if not call.ringing_at:
            call.ringing_at = at
        call.ringing.add(agent.agent_id)
        if agent.agent_id not in call.agents_offered:
            call.agents_offered.append(agent.agent_id)
        if agent.state != A.RINGING or agent.call_id != call.call_id:
            self._transition(agent, "offer", at, call.call_id)
        self._offer(call, agent.agent_id, at, queue, consult=channel in call.consult_legs)

    def _offer(self, call: Call, agent_id: str, at: float, queue: str = "", consult: bool = False) -> None:
        """The screen-pop of ``agent_id``'s ring: from ``queue``'s ``AgentCalled``, or (no queue)
        from the seat's own leg appearing (``_on_Newchannel``: a transfer target, a click-to-dial).

        A consultation's leg waiting in a queue (``consult``, 咨询转接) is offered from that queue,
        about the customer of the call, with the wait the customer had; the member's leg appearing
        for it pops nothing, the queue's ``AgentCalled`` that follows does (one pop per ring). So
        for a caller waiting in a queue (a blind transfer to it): that queue's pop names it."""
        if not queue and (self._consult_leg_waiting(call) or self._waiting_in_a_queue(call)):
            return
        if consult:
            waited = call.waited
        else:
            waited = round3(at - call.queued_at) if call.queued_at else 0.0
        self.notify(
            CallOffered.make(
                call_id=call.call_id,
                agent_id=agent_id,
                caller=call.caller,
                caller_name=call.caller_name,
                dnis=call.dnis,
                queue=queue or call.queue,
                ivr_path=tuple(call.ivr_path),
                waited=waited,
                offered_at=at,
                consult_from=call.consulted.get(agent_id, ""),
                **self.handed_on_to(call, agent_id),
            )
        )

    def _waiting_in_a_queue(self, call: Call) -> bool:
        """Whether ``call``'s caller waits in a queue now (on its board's waiting list): a seat of
        the call ringing meanwhile is rung by that queue, whose ``AgentCalled`` pops."""
        return any(call.call_id in q.waiting for q in self.queues.queues.values())

    def _consult_leg_waiting(self, call: Call) -> bool:
        """Whether a consultation's leg of ``call`` waits in a queue now (live, in no bridge yet):
        a seat of the call ringing meanwhile is rung by that queue."""
        for name in call.consult_legs:
            chan = self.by_name.get(name)
            if chan is not None and not chan.bridge:
                return True
        return False

    @reads("Linkedid", "MemberName", "Interface")
    def _on_AgentRingNoAnswer(self, at: float, linkedid: str, member: str, interface: str) -> None:
        self._missed(at, linkedid, member, interface)

    @reads("Linkedid", "MemberName", "Interface")
    def _on_AgentDump(self, at: float, linkedid: str, member: str, interface: str) -> None:
        self._missed(at, linkedid, member, interface)

    def _missed(self, at: float, linkedid: str, member: str, interface: str) -> None:
        call = self._known(linkedid)
        agent = self._agent_of(member, interface)
        if agent is None:
            return
        if call is not None:
            call.ringing.discard(agent.agent_id)
        if agent.state == A.RINGING:
            self._transition(agent, "miss", at, "")
            if self.on_missed:
                self.on_missed(agent, call.call_id if call else "")

    @reads("Linkedid", "MemberName", "Interface", "HoldTime", "Channel")
    def _on_AgentConnect(
        self, at: float, linkedid: str, member: str, interface: str, hold_time: str, channel: str
    ) -> None:
        call = self._known(linkedid)
        agent = self._agent_of(member, interface)
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
            self._answered(call, agent.agent_id, at, float(hold_time or 0))
            call.waited = round3(at - call.queued_at) if call.queued_at else call.waited
        elif channel not in call.consult_legs:
            # answered before, then handed to this queue (a blind transfer, a completed
            # consultation): this queue's answer, counted here as its offer was; not a
            # consultation's leg answered (that talk is the consulting agent's)
            self._queue_answered(call, agent.agent_id, at)

    @reads("Linkedid", "Reason")
    def _on_AgentComplete(self, at: float, linkedid: str, reason: str) -> None:
        call = self._known(linkedid)
        if call is not None and not call.hangup_side and reason in ("caller", "agent"):
            call.hangup_side = reason

    @reads("UserEvent", "Linkedid", "Queue", "Target", "Relay")
    def _on_UserEvent(self, at: float, kind: str, linkedid: str, queue: str, target: str, relay: str) -> None:
        if kind == "HotlineRelayed":
            self.relayed(linkedid, relay, at)
            return
        if kind not in ("HotlineOverflow", "HotlineCallback"):
            return
        call = self._known(linkedid)
        if call is None:
            return
        if kind == "HotlineCallback":
            # pressed 9 (call me back, keep my place, ivr/callback.py): the caller is in the
            # callback campaign, so neither that queue's answer nor its abandon
            call.outcome = "callback"
            call.waited = round3(at - call.queued_at) if call.queued_at else 0.0
            leg = self._open_leg(call)
            if leg is not None:
                self._close_leg(call, leg, "callback", at)
            return
        queue = queue or call.queue
        call.outcome = "overflow"
        call.overflow_target = target or "voicemail"
        call.waited = round3(at - call.queued_at) if call.queued_at else 0.0
        if queue:
            # Counted once per queue leg it left; a second hop (queue → voicemail) is not a second call.
            call.overflowed_from.add(queue)
            leg = self._open_leg(call)
            if leg is not None and leg.queue == queue:
                # the timeout's QueueCallerAbandon came first: not an abandon, the caller goes on
                self._close_leg(call, leg, "overflow", leg.gave_up_at or at)

    @reads("Linkedid", "Channel")
    def _on_MixMonitorStart(self, at: float, linkedid: str, channel: str) -> None:
        call = self._known(linkedid)
        if call is not None and self.on_recording_started:
            self.on_recording_started(call, channel)

    # -- queue members ------------------------------------------------------------
    _MEMBER = ("Queue", "Interface", "MemberName", "Penalty", "Paused", "PausedReason")

    @reads(*_MEMBER)
    def _on_QueueMemberAdded(self, at: float, *member: str) -> None:
        self._member(at, *member)

    @reads(*_MEMBER)
    def _on_QueueMemberPause(self, at: float, *member: str) -> None:
        agent_id, paused, reason = self._member(at, *member)
        self._pause_from_asterisk(agent_id, paused, reason, at)

    def _member(
        self, at: float, queue: str, interface: str, member: str, penalty: str, paused: str, reason: str
    ) -> tuple[str, bool, str]:
        agent_id = member or interface
        self.queues.member(queue, interface, agent_id, int(penalty or 0), paused == "1", reason, at)
        return agent_id, paused == "1", reason

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

    @reads("Queue", "Interface")
    def _on_QueueMemberRemoved(self, at: float, queue: str, interface: str) -> None:
        self.queues.remove_member(queue, interface, at)
        # A removal made outside our commands (CLI, a cleanup script) shows on the seat too,
        # as a resync would show it: the agent leaves that queue, and with no queue left is
        # signed out (a dialer must not count them as ready). Our own logout finds it done.
        agent = self.agents.by_interface(interface)
        if agent is None:
            return
        left = agent.skills.pop(queue, None) is not None
        call = self.calls.get(agent.call_id) if agent.state == A.RINGING else None
        if call is not None and call.queue == queue and agent.agent_id in call.ringing:
            # The offer is withdrawn, not missed: the seat leaves the queue it rings for (下班
            # takes it out of its queues, then hangs the ringing leg up; the ring-no-answer that
            # follows finds it no longer ringing). Out of every queue it is signed out, straight
            # from 振铃; else it is back where it was.
            call.ringing.discard(agent.agent_id)
            self._transition(agent, "cancel" if self.queues.queues_of(interface) else "logout", at)
            return
        if not left or agent.skills:
            return
        if agent.state in (A.READY, A.NOT_READY, A.AFTER_CALL_WORK):
            self._transition_reason(agent, "logout", at, "")
