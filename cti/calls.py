"""Channels → calls, grouped by linkedid, built from AMI events.

``CallModel.handle(frame)`` (and ``CallModel.listeners``, one AMI listener per
event, which the bridge subscribes) is pure bookkeeping: it updates calls, agents
(through ``AgentBook``) and queues (through ``QueueBoard``) and hands every
resulting event to ``notify``. Times come from Asterisk's ``Timestamp:``
header, so a record is as exact as Asterisk's own clock even when the bridge
lags. The bridge does the I/O (publishing, pausing a missed agent, recording).

The handlers live by event family: channels and bridges in
``cti.channel_calls``, app_queue's events in ``cti.queue_calls``. Each names
the fields it needs (``@reads``); its listener (``listener``) reads them, with
the time, in one pass over the frame (``FieldPicker``) and calls it with their
values. The events are built with ``Cls.make`` (``cti.events.event``).
"""

from __future__ import annotations

import collections
import dataclasses
import operator
import time
from collections.abc import Callable
from typing import Any

from cti import agents as A
from cti.agents import AgentBook
from cti.ami.fields import FieldPicker
from cti.ami.protocol import Frame
from cti.ami.speedups import chosen as chosen_speedups
from cti.ami.speedups import round3
from cti.call_events import (
    CallAnswered,
    CallEnded,
    CallHeld,
    CallQueued,
    CallStarted,
    CallTransferred,
    ConferenceLeft,
    ConsultChanged,
)
from cti.channel_calls import (
    INBOUND_CONTEXTS,
    OFFERABLE,
    OUTBOUND_CONTEXTS,
    UNKNOWN,
    Channel,
    ChannelEvents,
    MalformedEvent,
)
from cti.events import Event, c_maker
from cti.queue_calls import QueueCallEvents, QueueLeg
from cti.queues import QueueBoard

__all__ = [
    "EVENTS",
    "INBOUND_CONTEXTS",
    "OUTBOUND_CONTEXTS",
    "UNKNOWN",
    "Call",
    "CallModel",
    "Channel",
    "MalformedEvent",
    "QueueLeg",
]


#: the relays (``parse_relay``) that bring a call here: a caller handed over (blind), a consultation
RELAY_KINDS = ("blind", "consult")
#: ``Call.relayed`` of a call another server relayed here, known from the bus only (a restarted
#: bridge, ``cti.resync.Ours``) until its resync reads the kind off the trunk's channel: its end
#: adds its agents' legs to that server's record
RELAYED_RESTORED = "restored"
#: how long a 转接备注 told ahead of a caller relayed from another server waits for them
#: (``CallModel.expect_relay_note``): the trunk brings them within seconds, or not at all
RELAY_NOTE_SECONDS = 60.0

# The events the model listens to; everything else is never parsed.
EVENTS = (
    "Newchannel",
    "NewCallerid",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentRingNoAnswer",
    "AgentDump",
    "AgentConnect",
    "AgentComplete",
    "DialEnd",
    "BridgeEnter",
    "BridgeLeave",
    "Hold",
    "Unhold",
    "Hangup",
    "UserEvent",
    "MixMonitorStart",
    "QueueMemberAdded",
    "QueueMemberRemoved",
    "QueueMemberPause",
)


# slots: the C accelerator reads and writes a call's fields straight in their slots (``_speedups``'
# Slot: a load where getattr was a type lookup and a descriptor's call), and a call is one
# allocation instead of two
@dataclasses.dataclass(slots=True)
class Call:
    call_id: str
    direction: str = "internal"
    caller: str = ""
    caller_name: str = ""
    dnis: str = ""
    queue: str = ""
    ivr_path: list[str] = dataclasses.field(default_factory=list)
    agent_id: str = ""
    agents_offered: list[str] = dataclasses.field(default_factory=list)
    ringing: set[str] = dataclasses.field(default_factory=set)
    started_at: float = 0.0
    queued_at: float = 0.0
    ringing_at: float = 0.0
    answered_at: float = 0.0
    ended_at: float = 0.0
    hold_started: float = 0.0
    hold_seconds: float = 0.0
    waited: float = 0.0
    hangup_cause: int = 0
    hangup_side: str = ""
    outcome: str = ""
    overflow_target: str = ""
    recording: str = ""
    channels: set[str] = dataclasses.field(default_factory=set)  # uniqueids
    customer_channel: str = ""  # channel name of the caller/customer leg
    started_published: bool = False
    agent_channels: dict[str, set[str]] = dataclasses.field(default_factory=dict)  # agent -> uniqueids
    overflowed_from: set[str] = dataclasses.field(default_factory=set)
    # [agent, joined, left (0.0: still there)]: each agent's time on the call, in the order they came
    legs: list[list[Any]] = dataclasses.field(default_factory=list)
    # channels of a consultation with a queue that joined it (not the caller: see _consult_leg_of)
    consult_legs: set[str] = dataclasses.field(default_factory=set)
    # the queue each of them waits in, with its position and priority there (QueueCallerJoin)
    consult_queues: dict[str, tuple[str, int, int]] = dataclasses.field(default_factory=dict)
    # each time the caller entered a queue (from the IVR, a blind transfer, a completed
    # consultation, an overflow), in order: the queue KPIs count per queue leg
    queue_legs: list[QueueLeg] = dataclasses.field(default_factory=list)
    # came over the trunk from another server of the platform (blind | consult, ``relayed``; or
    # ``RELAYED_RESTORED``): that server's bridge keeps the call's record, this one adds its agents' legs
    relayed: str = ""
    # a consultation relayed from another server (``relayed`` consult): the agent there who consults
    # the seat it rings here about their caller, until they complete the transfer
    relayed_consult_from: str = ""
    # agent -> the agent who consults them about this call (咨询转接), while the caller is still
    # that agent's: the consulted seat's ring and talk are not a customer contact of its own (in
    # the snapshot too: a reload of the colleague's console still says whose consultation it is)
    consulted: dict[str, str] = dataclasses.field(default_factory=dict)
    # agent -> the agent who brought them into a 三方通话 on this call, until they leave it (hung
    # up, or never answered): that agent's bar says 三方通话 while they are there (in the snapshot
    # too: a reload of the inviting agent's console still says it)
    invited: dict[str, str] = dataclasses.field(default_factory=dict)
    # the agent who last handed the caller on (a blind transfer, 完成转接 of a consultation) and
    # when: the next seat's ring and answer say so (转接自 1001), and so does the snapshot
    transferred_from: str = ""
    transferred_at: float = 0.0
    # what that agent wrote for whoever takes the caller next (转接备注: the customer's words typed
    # so far, as they left them), carried with transferred_from; "" for none
    transfer_note: str = ""

    def snapshot(self) -> dict[str, object]:
        body = dataclasses.asdict(self)
        for key in (
            "channels",
            "ringing",
            "agent_channels",
            "started_published",
            "hold_started",
            "overflowed_from",
            "legs",
            "consult_legs",
            "consult_queues",
        ):
            body.pop(key)
        body["ringing"] = sorted(self.ringing)
        body["on_hold"] = bool(self.hold_started)
        return body


# what _record reads off a call's legs, in C (a lambda, or a generator, is a Python frame for each)
_LEFT_THEN_JOINED = operator.itemgetter(2, 1)  # of an agent's leg [agent, joined, left]
_QUEUE_LEG_RECORD = operator.attrgetter("queue", "queued_at", "left_at", "outcome", "agent_id")


class CallModel(ChannelEvents, QueueCallEvents):
    def __init__(
        self,
        notify: Callable[[Event], object],
        agents: AgentBook,
        queues: QueueBoard,
        *,
        on_missed: Callable[[A.Agent, str], object] | None = None,
        on_call_end: Callable[[Call], object] | None = None,
        on_recording_started: Callable[[Call, str], object] | None = None,
        on_acw: Callable[[A.Agent], object] | None = None,
        on_queued: Callable[[Call, str], object] | None = None,
        speedups: bool | None = None,
    ) -> None:
        self.notify = notify
        self.agents = agents
        self.queues = queues
        self.on_missed = on_missed
        self.on_call_end = on_call_end
        self.on_recording_started = on_recording_started
        self.on_acw = on_acw
        self.on_queued = on_queued
        self.calls: dict[str, Call] = {}
        self.channels: dict[str, Channel] = {}
        self.by_name: dict[str, Channel] = {}
        self.bridges: dict[str, set[str]] = {}  # bridge id -> channel names
        self.expected: dict[str, dict[str, str]] = {}  # linkedid -> facts from our own Originate
        self.aliases: dict[str, str] = {}  # linkedid of a leg we added (conference) -> its call
        self.ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.restored: dict[str, Call] = {}  # calls known from the bus, not yet seen on AMI
        # 转接备注 of callers an agent on another server is handing on to a seat here, told by the
        # console's routing before the caller comes over the trunk (``expect_relay_note``): call id
        # -> (that agent, the note, when told)
        self.relay_notes: dict[str, tuple[str, str, float]] = {}
        # event name -> the AMI listener of that event (``listener``): the frame's fields read in
        # one pass, the handler called with them
        fast = self._channel_book(speedups)
        self.listeners: dict[str, Callable[[Frame], None]] = {
            name: listener(getattr(self, "_on_" + name), speedups=speedups, call=fast.get(name))
            for name in EVENTS
        }

    def _channel_book(self, speedups: bool | None) -> dict[str, Callable[..., None]]:
        """Event name -> the C accelerator's handler standing in for the Python one (``_speedups.
        ChannelBook``: the channels' and bridges' bookkeeping), for each handler this class has not
        overridden (nor a method the C handler does the work of). None with the pure Python
        implementation."""
        c = chosen_speedups(speedups)
        if c is None or not hasattr(c, "ChannelBook"):  # not built, or built before it had one
            return {}
        # the agents by id, for the hangup's look at whether the call's agent consults: only when
        # the book's get is a lookup there (else the C code asks the model's Python each time)
        by_id = self.agents.agents if getattr(type(self.agents), "get", None) is AgentBook.get else None
        # and the seats by channel-name prefix, when its by_channel is a lookup there (else its own)
        by_prefix = (
            self.agents._by_prefix
            if getattr(type(self.agents), "by_channel", None) is AgentBook.by_channel
            else None
        )
        book = c.ChannelBook(
            self,
            _slot_maker(c, Channel),
            _slot_maker(c, Call),
            UNKNOWN,
            A.LOGGED_OUT,
            OFFERABLE,
            INBOUND_CONTEXTS,
            OUTBOUND_CONTEXTS,
            by_id,
            by_prefix,
            # the states _check_answer compares an agent's with (written out in C too)
            ringing=A.RINGING,
            talking=A.TALKING,
            on_hold=A.ON_HOLD,
            # what the queue join makes: the caller's leg in a queue, and its CallQueued
            queue_leg=_slot_maker(c, QueueLeg),
            call_queued=CallQueued.make,
        )
        return {
            name: getattr(book, method)
            for name, (method, *written_out) in _IN_C.items()
            # (an accelerator built before it had the method: the Python handler)
            if hasattr(book, method)
            and all(getattr(type(self), m) is getattr(CallModel, m) for m in ("_on_" + name, *written_out))
        }

    # -- entry point --------------------------------------------------------
    def handle(self, frame: Frame) -> None:
        """Any AMI event: the model's listener of its name, if it has one. The bridge subscribes
        those listeners (``listeners``) to the client straight away, one per event."""
        entry = self.listeners.get(frame.name)
        if entry is not None:
            entry(frame)

    def expect(self, linkedid: str, **facts: str) -> None:
        """Facts about a call we originate ourselves (direction, agent, customer number)."""
        self.expected[linkedid] = facts

    def mark_ended(self, call_id: str) -> None:
        """Remember a call whose CallEnded is already published (by us or a previous run)."""
        self.ended[call_id] = None
        while len(self.ended) > 100_000:
            self.ended.popitem(last=False)

    # -- helpers ----------------------------------------------------------------
    def _known(self, linkedid: str) -> Call | None:
        return self.calls.get(self.aliases.get(linkedid, linkedid))

    def _call_for(self, linkedid: str, at: float) -> Call | None:
        """The call of ``linkedid``, new if it is not known yet (None once it has ended)."""
        if not linkedid or linkedid in self.ended:
            return None
        linkedid = self.aliases.get(linkedid, linkedid)
        call = self.calls.get(linkedid)
        if call is None:
            facts = self.expected.pop(linkedid, None)
            if facts and facts.get("join") in self.calls:
                self.aliases[linkedid] = facts["join"]
                return self.calls[facts["join"]]
            call = self.calls[linkedid] = Call(linkedid, started_at=at)
            if facts:
                call.direction = facts.get("direction", call.direction)
                call.dnis = facts.get("dnis", "")
                call.caller = facts.get("caller", "")
        return call

    def _start(self, call: Call) -> None:
        if not call.started_published:
            call.started_published = True
            self.notify(
                CallStarted.make(
                    call_id=call.call_id,
                    direction=call.direction,
                    caller=call.caller,
                    caller_name=call.caller_name,
                    dnis=call.dnis,
                    started_at=call.started_at,
                )
            )

    def _caller_from(self, call: Call, num: str, name: str) -> None:
        if num not in UNKNOWN and not call.caller:
            call.caller = num
        if name not in UNKNOWN and not call.caller_name:
            call.caller_name = name

    def _agent_of(self, member: str, interface: str) -> A.Agent | None:
        agent = self.agents.get(member) if member else None
        if agent is None and interface:
            agent = self.agents.by_interface(interface)
        return agent

    def _transition(self, agent: A.Agent, trigger: str, at: float, call_id: str = "") -> None:
        try:
            self.agents.apply(agent, trigger, at, call_id=call_id)
        except A.InvalidTransition:
            return
        if agent.state == A.AFTER_CALL_WORK and self.on_acw:
            self.on_acw(agent)

    def _dialing(self, call: Call, agent_id: str, at: float) -> None:
        """Click-to-dial (回呼, a campaign's preview call): the agent's own phone rings first, and
        the customer is dialled once it answers. The call starts now, outbound (its
        ``CallStarted`` ahead of the seat's ringing, so every consumer knows which way it goes
        before the pop), and is offered to the agent as a queue call is, the customer being the
        number dialled: the same screen-pop, ended the same way by the answer, a failure or a
        rejection."""
        self._start(call)
        if not call.ringing_at:
            call.ringing_at = at
        call.ringing.add(agent_id)
        if agent_id not in call.agents_offered:
            call.agents_offered.append(agent_id)

    def _answered(self, call: Call, agent_id: str, at: float, waited: float | None = None) -> None:
        call.ringing.discard(agent_id)
        call.answered_at = at
        call.agent_id = agent_id
        # the queue's answer counts now, for the wallboard, not when the call ends
        self._queue_answered(call, agent_id, at)
        if waited is None:
            waited = at - call.queued_at if call.queued_at else 0.0
        call.waited = round3(max(0.0, waited))
        self._start(call)
        self._join(call, agent_id, at)

    def _join(self, call: Call, agent_id: str, at: float) -> None:
        """``agent_id`` is on the call from ``at`` on (a new leg unless already there): the first
        answer, then whoever talks on it after (a transfer target, a conference member, an agent
        consulted), each a ``CallAnswered``. The leg ends when the agent's channels are gone."""
        for leg in call.legs:  # a loop, not any() over a generator: a Python frame less per answer
            if leg[0] == agent_id and not leg[2]:
                return
        call.legs.append([agent_id, at, 0.0])
        self._announce(call, agent_id, at)

    def _announce(self, call: Call, agent_id: str, joined: float) -> None:
        """``CallAnswered`` of ``agent_id``'s leg on ``call``, which began at ``joined``."""
        self.notify(
            CallAnswered.make(
                call_id=call.call_id,
                agent_id=agent_id,
                queue=call.queue,
                caller=call.caller,
                answered_at=joined,
                waited=call.waited,
                consult_from=call.consulted.get(agent_id, ""),
                **self.handed_on_to(call, agent_id),
            )
        )

    @staticmethod
    def handed_on_to(call: Call, agent_id: str) -> dict[str, Any]:
        """``transferred_from``, ``transferred_at`` and ``transfer_note`` of ``agent_id``'s ring and
        answer on ``call``: who last handed the caller on, when, and what they wrote for the next
        agent; nothing for a colleague who is only consulted about the caller or brought into a
        三方通话, nor for whoever handed them on. The C accelerator's seat ring goes through here
        too (``_seat_rings`` → ``_offer``)."""
        by = call.transferred_from
        if not by or by == agent_id or agent_id in call.consulted or agent_id in call.invited:
            return {}
        return {
            "transferred_from": by,
            "transferred_at": call.transferred_at,
            "transfer_note": call.transfer_note,
        }

    def _leave(self, call: Call, agent_id: str, at: float) -> None:
        """``agent_id``'s time on the call ends. If the caller was theirs, the agent who came on
        last and is still there has the call now (an attended transfer completed), and the
        caller, held while the two agents talked, is held no more (Asterisk sends no Unhold)."""
        for leg in call.legs:
            if leg[0] == agent_id and not leg[2]:
                leg[2] = at
        if call.agent_id == agent_id:
            staying = [leg[0] for leg in call.legs if not leg[2]]
            if staying:
                call.agent_id = staying[-1]
                self.set_hold(call, False, at)
                asker = call.consulted.pop(call.agent_id, "") if call.call_id not in self.ended else ""
                if asker:
                    # consulted until now, the transfer completed: the caller is theirs, announced
                    # again as their contact (the same leg: its start, no consult_from; handed on
                    # by the agent who asked, if not by their 完成转接: the desk phone hung up
                    # completes it too). Not once the caller has hung up: nobody was handed over.
                    if call.transferred_from != asker:
                        self.handing_on(call, asker, at)
                    joined = max(leg[1] for leg in call.legs if leg[0] == call.agent_id and not leg[2])
                    self._announce(call, call.agent_id, joined)

    def set_hold(self, call: Call, held: bool, at: float) -> None:
        """Hold started or ended by our own command (no Hold event comes for a redirect)."""
        if not call.answered_at or bool(call.hold_started) == held:
            return
        if held:
            call.hold_started = at
        else:
            call.hold_seconds += at - call.hold_started
            call.hold_started = 0.0
            holder = self._consulting_holder(call)
            if holder is not None and not holder.consult["caller_gone"]:  # type: ignore[index]
                self.consult_over(holder, at)  # back with the caller: cancelled, or the target left
        agent = self.agents.get(call.agent_id)
        if agent is not None:
            self._transition(agent, "hold" if held else "unhold", at, call.call_id)
        self.notify(CallHeld.make(call_id=call.call_id, agent_id=call.agent_id, held=held, at=at))

    # -- consultations (咨询转接) -------------------------------------------------------
    def consult_started(self, agent: A.Agent, call: Call, channel: str, target: str, at: float) -> None:
        agent.consult = {
            "call_id": call.call_id,
            "target": target,
            "caller_gone": False,
            "channel": channel,
            # the call's legs so far: any other one is the consultation's (complete_transfer needs one)
            "channels_before": frozenset(call.channels),
        }
        self.notify(ConsultChanged(agent_id=agent.agent_id, call_id=call.call_id, target=target, at=at))

    def consult_over(self, agent: A.Agent, at: float) -> None:
        consult, agent.consult = agent.consult, None
        if consult is not None:
            self.notify(
                ConsultChanged(
                    agent_id=agent.agent_id,
                    call_id=consult["call_id"],
                    target=consult["target"],
                    state="ended",
                    at=at,
                )
            )

    def _call_over(self, agent: A.Agent, call: Call, at: float) -> None:
        """``agent``'s talk on ``call`` ended: after-call work (when it is on) for a caller of
        theirs; back where they were, with no call, for a consultation they were only asked in
        that was not completed into a transfer: nothing of theirs to write up."""
        if agent.agent_id in call.consulted:
            self._transition(agent, "cancel", at)
        else:
            self._transition(agent, "end", at, call.call_id)

    def _consulting_holder(self, call: Call) -> A.Agent | None:
        """The agent whose caller this is, while they consult about it with the caller held."""
        agent = self.agents.get(call.agent_id)
        if agent is not None and agent.consult and agent.consult["call_id"] == call.call_id:
            return agent
        return None

    def _caller_gone(self, agent: A.Agent, call: Call, at: float) -> None:
        """The held caller hung up during ``agent``'s consultation: the call's record ends now (the
        agent and the target still talk, on the call's channels, until one hangs up)."""
        assert agent.consult is not None
        agent.consult["caller_gone"] = True  # first: the hold's end below is not the consult's
        self.set_hold(call, False, at)  # the agent talks with the target now: 通话中, not 保持
        self.notify(
            ConsultChanged(
                agent_id=agent.agent_id,
                call_id=call.call_id,
                target=agent.consult["target"],
                state="caller_gone",
                at=at,
            )
        )
        self._record(call, at, agent_id=agent.agent_id)

    def handed_over(self, call: Call, agent_id: str, at: float) -> None:
        """``agent_id`` completed a consultation nobody has answered yet (a queue's, a number's):
        the caller, held for it, is held by nobody now but waits for that target. The hold ends
        here (no agent stays on the call to end it, as the target does who answered); the
        agent's own state ends with their leg."""
        if not call.hold_started or any(leg[0] != agent_id and not leg[2] for leg in call.legs):
            return
        call.hold_seconds += at - call.hold_started
        call.hold_started = 0.0
        self.notify(CallHeld.make(call_id=call.call_id, agent_id=agent_id, held=False, at=at))

    def consult_handed_to_queue(self, call: Call, at: float) -> None:
        """完成转接 to a queue: the consultation's leg waiting there (answered in hotline-queue, no
        member's yet) is the caller's way into that queue now. The caller waits there from ``at``
        as after a blind transfer to it (``_queued``): on its board and waiting count, its next
        offer naming it, its abandon the caller's, counted there; the record keeps who answered
        first and the wait before that answer. A leg a member has answered already (bridged) was
        the consultation's talk with that member, who takes the caller as a consulted agent does."""
        for name in sorted(call.consult_legs):
            chan = self.by_name.get(name)
            if chan is None or chan.bridge:
                continue
            queue, position, priority = call.consult_queues.get(name) or (_queue_of_leg(name), 0, 0)
            if not queue:
                continue
            call.consult_legs.discard(name)
            call.consult_queues.pop(name, None)
            self._queued(call, name, queue, position, priority, at)

    def relayed(self, linkedid: str, relay: str, at: float) -> None:
        """A call came over the trunk from another server of the platform (``[hotline-trunk-in]``'s
        ``HotlineRelayed``; ``relay``: ``cti.commands.service.relay_of``): a colleague there
        transferred their caller to a seat here (blind), or consults one (consult). It takes the
        call's own id, so the seat's screen-pop, answer and legs are that call's (its customer,
        the order it is linked to), and it is inbound and answered already, so the seat ringing
        pops as for a transfer on one server. The other server's bridge keeps the record."""
        kind, call_id = parse_relay(relay)[:2]
        call = self._known(linkedid)
        if call is None or kind not in RELAY_KINDS or not call_id or call.answered_at:
            return
        trunk = self.channels.get(linkedid)
        if call_id != call.call_id:
            # a part of it here that ended already (a consultation cancelled, then asked again; a
            # caller handed back and forth): this is a new one, its legs a record of their own
            self.ended.pop(call_id, None)
            home = self.calls.get(call_id)
            self.calls.pop(call.call_id, None)
            self.aliases[call.call_id] = call_id
            for uid in call.channels:
                chan = self.channels.get(uid)
                if chan is not None:
                    chan.linkedid = call_id
            if home is not None:
                # back on the server it came from, whose caller's leg is still here: the trunk's
                # legs are that call's, which keeps its own record
                home.channels |= call.channels
                return
            call.call_id = call_id
            self.calls[call_id] = call
        self.take_relay(call, relay, at, trunk.name if trunk is not None else "")

    def take_relay(self, call: Call, relay: str, at: float, trunk: str) -> None:
        """``call`` is the one ``relay`` carried here over the channel ``trunk``: inbound, with the
        caller, queue and DNIS of the server it came from, answered there. Live (``relayed``), and
        by the resync of a restarted bridge, which reads the relay off the trunk's channel."""
        kind, _, caller, queue, dnis = parse_relay(relay)
        by = relay_agent(relay)
        call.relayed = kind
        call.relayed_consult_from = by if kind == "consult" else ""
        if kind == "blind" and by:
            # handed on over there: the seats here are told by whom, as on one server (转接自), and
            # what they wrote (转接备注): not in the relay, a SIP header that carries no free text,
            # but told by the routing before the caller came (``expect_relay_note``); a restarted
            # bridge's resync keeps the one the call had from its history
            told = self.relay_notes.pop(call.call_id, None)
            if told is not None and told[0] == by:
                note = told[1]
            else:
                note = call.transfer_note if call.transferred_from == by else ""
            call.transferred_from, call.transferred_at, call.transfer_note = by, at, note
        call.direction = "inbound"
        call.caller = caller or call.caller
        call.queue, call.dnis = queue, dnis
        call.answered_at = call.answered_at or at
        call.started_published = True  # the other server published its start
        if kind == "blind" and trunk:
            # the caller's side here: their hang-up is the caller's, and a ring-out is missed
            call.customer_channel = trunk

    def expect_relay_note(self, call_id: str, by: str, note: str, at: float) -> None:
        """``by``, an agent on another server, is handing ``call_id``'s caller on to a seat here
        with the 转接备注 ``note``: the relayed call takes it when it comes (``take_relay``). Told
        by the console's routing (``CtiBridge.relay_note``) before that agent's own bridge moves
        the caller; one whose caller never came (the transfer refused there) is forgotten after
        ``RELAY_NOTE_SECONDS``."""
        for stale in [c for c, (_, _, told) in self.relay_notes.items() if at - told > RELAY_NOTE_SECONDS]:
            del self.relay_notes[stale]
        self.relay_notes[call_id] = (by, note, at)

    def relayed_consult_completed(self, call_id: str, agent_id: str, consulting: str) -> bool:
        """``consulting``, on the server this consultation was relayed from, completed the transfer
        to ``agent_id`` here (their bridge cannot see this server's legs: ``RemoteBridge`` and
        ``LocalBridges`` tell this one, ``CtiBridge.consult_completed``). The caller is the
        colleague's now: announced again as their contact (the same leg, no ``consult_from``),
        their hang-up into 话后处理, as ``_leave`` does on one server. False when it is not such a
        consultation (any more)."""
        call = self.calls.get(self.aliases.get(call_id, call_id))
        if call is None or not consulting or call.relayed_consult_from != consulting:
            return False
        call.relayed_consult_from = ""
        if call.consulted.get(agent_id) != consulting:
            return False
        del call.consulted[agent_id]
        joined = [leg[1] for leg in call.legs if leg[0] == agent_id and not leg[2]]
        if joined and call.call_id not in self.ended:
            if call.transferred_from != consulting:
                self.handing_on(call, consulting, time.time())
            self._announce(call, agent_id, max(joined))
        return True

    def transferred(
        self, call: Call, agent_id: str, kind: str, target: str, at: float, note: str = ""
    ) -> None:
        """``agent_id`` handed the caller to ``target`` (``note``: their 转接备注, on the bus for
        the mirrors and a restarted bridge's history, which keep it as ``transferred_from``)."""
        call.ivr_path.append(f"{kind}:{target}")
        self.notify(
            CallTransferred(
                call_id=call.call_id, agent_id=agent_id, kind=kind, target=target, at=at, note=note
            )
        )

    @staticmethod
    def handing_on(call: Call, agent_id: str, at: float, note: str = "") -> tuple[str, float, str]:
        """``agent_id`` hands the caller on at ``at`` (转接, 完成转接) with ``note`` (转接备注, ""
        for none: an earlier agent's note is not this hand-over's): the seats that ring and answer
        from now on are told (``handed_on_to``). Said before Asterisk moves the caller, whose
        target's ring may come before its answer to the action; the previous hand-over is
        returned, for ``handing_on_failed``."""
        before = call.transferred_from, call.transferred_at, call.transfer_note
        call.transferred_from, call.transferred_at, call.transfer_note = agent_id, at, note
        return before

    @staticmethod
    def handing_on_failed(call: Call, before: tuple[str, float, str]) -> None:
        """Asterisk refused the hand-over ``handing_on`` announced: the caller is where they were."""
        call.transferred_from, call.transferred_at, call.transfer_note = before

    # -- 三方通话 ------------------------------------------------------------------------
    def conference_invited(self, call: Call, agent_id: str, colleague: str, at: float) -> None:
        """``agent_id`` brought ``colleague`` into a 三方通话 on ``call`` (their seat rung into the
        room): theirs until the colleague leaves it (``_conference_left``)."""
        call.invited[colleague] = agent_id
        self.transferred(call, agent_id, "conference", f"agent:{colleague}", at)

    def _conference_left(self, call: Call, colleague: str, at: float) -> None:
        """``colleague``'s last leg on ``call`` is gone: if an agent brought them into a 三方通话
        and is still on the call with the caller, that agent is told the colleague left it."""
        host = call.invited.pop(colleague, "")
        if host and call.agent_channels.get(host) and call.call_id not in self.ended:
            self.notify(
                ConferenceLeft(agent_id=host, call_id=call.call_id, target=f"agent:{colleague}", at=at)
            )

    # -- the end ------------------------------------------------------------------
    def end(self, call: Call, at: float) -> CallEnded | None:
        """Close ``call`` and publish its record, exactly once."""
        self.calls.pop(call.call_id, None)
        for uid in list(call.channels):
            chan = self.channels.pop(uid, None)
            if chan is not None and self.by_name.get(chan.name) is chan:
                del self.by_name[chan.name]
        for agent_id in list(call.ringing):
            agent = self.agents.get(agent_id)
            if agent is not None and agent.state == A.RINGING and agent.call_id == call.call_id:
                self._transition(agent, "cancel", at)
        for agent_id in call.agent_channels:
            agent = self.agents.get(agent_id)
            if agent is not None and agent.consult and agent.consult["call_id"] == call.call_id:
                self.consult_over(agent, at)
            if agent is not None and agent.call_id == call.call_id and agent.state in (A.TALKING, A.ON_HOLD):
                self._call_over(agent, call, at)
            elif agent is not None and agent.call_id == call.call_id and agent.state == A.RINGING:
                self._transition(agent, "cancel", at)
        return self._record(call, at)

    def _record(self, call: Call, at: float, agent_id: str = "") -> CallEnded | None:
        """Publish the call's record, once; ``agent_id``: whose call it was, when the record ends
        before the agents' legs do (the caller hung up while held for a consultation)."""
        if call.call_id in self.ended:
            return None
        self.mark_ended(call.call_id)
        if self.aliases:  # a conference's legs; most calls have none (and no comprehension's frame then)
            for leg in [k for k, v in self.aliases.items() if v == call.call_id]:
                del self.aliases[leg]
        call.ended_at = at
        for leg in call.legs:
            leg[2] = leg[2] or at
        if call.legs:
            # The record's agent is who had the call last: the one whose time on it ended last
            # (the later to join, when both stayed to the end, as in a conference). The live
            # agent_id is whose caller it is meanwhile, and may differ: a conference's host.
            call.agent_id = agent_id or max(call.legs, key=_LEFT_THEN_JOINED)[0]
        if call.hold_started:
            call.hold_seconds += at - call.hold_started
            call.hold_started = 0.0
        self._gave_up(call)  # a caller app_queue let go, gone since: that queue's abandon
        leg = self._open_leg(call)
        if leg is not None:
            # still waiting in a queue when the call ended: given up there (no abandon was heard)
            gave_up = "abandoned_ringing" if call.ringing_at and call.ringing else "abandoned_queue"
            self._close_leg(call, leg, gave_up, at)
            call.outcome = gave_up
            call.waited = leg.waited
            if not call.hangup_side:
                call.hangup_side = "caller"
        if call.answered_at and not call.outcome.startswith("abandoned"):
            # answered; a caller answered, then handed to a queue (a transfer) who gave up there
            # is that queue's abandon (its leg's, counted there)
            call.outcome = "answered"
        elif not call.outcome:
            if call.queued_at:
                call.outcome = "abandoned_ringing" if call.ringing_at and call.ringing else "abandoned_queue"
                call.waited = round3(at - call.queued_at)
                if not call.hangup_side:
                    call.hangup_side = "caller"
            elif call.direction == "inbound":
                # Never queued: it ended in the IVR (self-service, a message, a hang-up in the
                # menus). Not a failure, and its time in the menus is no queue wait.
                call.outcome = "ivr"
            else:
                call.outcome = "failed"
        if call.queue and not call.relayed:  # a relayed call's queue is the other server's
            self.queues.leave(call.queue, call.call_id, at)
        self._start(call)
        event = CallEnded.make(
            call_id=call.call_id,
            direction=call.direction,
            outcome=call.outcome,
            caller=call.caller,
            caller_name=call.caller_name,
            dnis=call.dnis,
            queue=call.queue,
            agent_id=call.agent_id,
            agents_offered=tuple(call.agents_offered),
            ivr_path=tuple(call.ivr_path),
            started_at=call.started_at,
            queued_at=call.queued_at,
            ringing_at=call.ringing_at,
            answered_at=call.answered_at,
            ended_at=at,
            hold_seconds=round3(call.hold_seconds),
            hangup_cause=call.hangup_cause,
            hangup_side=call.hangup_side or ("system" if call.outcome == "failed" else ""),
            overflow_target=call.overflow_target,
            recording=call.recording,
            waited=call.waited,
            legs=tuple(map(tuple, call.legs)),  # (agent, joined, left) each
            queue_legs=tuple(map(_QUEUE_LEG_RECORD, call.queue_legs)),
            relayed=bool(call.relayed),
        )
        self.notify(event)
        if self.on_call_end:
            self.on_call_end(call)
        return event


def parse_relay(relay: str) -> tuple[str, str, str, str, str]:
    """(kind, call id, caller, queue, DNIS) of a relay (``cti.commands.service.relay_of``), each
    "" when it is missing."""
    kind, call_id, caller, queue, dnis = [*relay.split("|"), "", "", "", "", ""][:5]
    return kind, call_id, caller, queue, dnis


def relay_agent(relay: str) -> str:
    """The agent on the other server a relay comes from (``relay_of``'s last field): who consults,
    for a consultation (the seat it rings here is asked about their caller), or who hands the
    caller on, for a blind transfer (the seat's pop says 转接自). "" for a spy, and for a relay
    that does not name them: one the dialplan makes of a transfer from the phone's own keys, or
    from a bridge before this field (a consultation then rings as a transfer, as it did)."""
    kind, *fields = relay.split("|")
    return fields[4] if kind in ("consult", "blind") and len(fields) > 4 else ""


# the handlers ``_speedups.ChannelBook`` stands in for, by event: its method's name, and the
# model's methods it does the work of itself (written out in C): a subclass overriding any of
# them (or the handler) keeps the Python handler
_IN_C = {
    "Newchannel": ("newchannel", "_call_for", "_customer_leg", "_caller_from"),
    "Hangup": ("hangup", "_hung_up", "_agent_channel_gone", "_consulting_holder"),
    "BridgeEnter": ("bridge_enter", "_check_answer"),
    "BridgeLeave": ("bridge_leave",),
    "NewCallerid": ("newcallerid", "_customer_leg", "_caller_from"),
    "AgentCalled": ("agent_called", "_known", "_agent_of"),
    "AgentConnect": ("agent_connect", "_known", "_agent_of"),
    "QueueCallerJoin": (
        "queue_caller_join",
        "_call_for",
        "_consult_leg_of",
        "_consulting_holder",
        "_caller_from",
        "_queued",
        "_open_leg",
        "_start",
    ),
}


def listener(
    handler: Callable[..., None],
    *,
    speedups: bool | None = None,
    call: Callable[..., None] | None = None,
) -> Callable[[Frame], None]:
    """The AMI listener of one event handler marked with ``@reads``: it reads the handler's fields
    and the ``Timestamp:`` (manager.conf ``timestampevents``; now when it is absent or garbled) in
    one pass (``FieldPicker``) and calls the handler with them, skipping frames that lack the
    handler's ``only_if`` pattern.

    Written out per handler, with the fields passed one by one: a generic ``handle`` that looked
    the handler up by the event's name and called it with ``*values[1:]`` was one more Python call
    per handled event, a dict lookup, a tuple sliced and one built for the call; the picker's own
    call was one more.

    With the C accelerator (``cti.ami.speedups``; ``speedups`` chooses, as for ``AmiProtocol``)
    the listener is a ``_speedups.Listener``: the same answers, with no Python frame of its own,
    the fields found line by line in C and the usual ``Timestamp:`` (digits, a dot, six digits)
    turned into its float exactly without ``float()``'s slow path for 16 significant digits.
    ``call``: what that C listener calls instead of ``handler`` (with the same arguments; the
    ``ChannelBook``'s stand-ins), ``handler`` still saying what is read.
    """
    keys = ("Timestamp", *handler.reads)
    picker = FieldPicker(keys)  # also refuses keys a byte search cannot read, in either case
    name = f"listener({getattr(handler, '__name__', type(handler).__name__)})"
    c = chosen_speedups(speedups)
    if c is not None and len(keys) <= 64:
        return c.Listener(keys, call or handler, handler.only_if, time, name)  # type: ignore[no-any-return]
    args = "".join(f", v[{i}]" for i in range(1, len(handler.reads) + 1))
    lines = ["def on_event(frame):", "    raw = frame.raw"]
    if handler.only_if is not None:
        lines.append("    if only_if(raw) is None: return")
    # What ``picker(raw)`` does, inline (its layouts, learned as it goes, are the same list).
    lines += [
        "    text = raw.decode('utf-8', 'replace')",
        "    for match, arrange in layouts:",
        "        m = match(text)",
        "        if m is not None:",
        "            v = arrange(m.groups())",
        "            break",
        "    else:",
        "        v = search_each(raw)",
        "    try:",
        "        at = float(v[0]) or _time.time()",
        "    except ValueError:",
        "        at = _time.time()",
        f"    handler(at{args})",
    ]
    scope: dict[str, Any] = {
        "layouts": picker._layouts,
        "search_each": picker._search_each,
        "handler": handler,
        "only_if": handler.only_if,
        "_time": time,
    }
    exec("\n".join(lines), scope)  # noqa: S102 - built from the handler's own field count
    on_event = scope["on_event"]
    on_event.__qualname__ = on_event.__name__ = name
    return on_event  # type: ignore[no-any-return]


def _slot_maker(c: Any, cls: type) -> Callable[..., Any]:
    """``cls(**fields)`` for the C accelerator's ``ChannelBook``: a ``_speedups.Maker`` that stores each
    field in its slot as the dataclass's ``__init__`` does, without its Python frame (a call's dozens of
    fields, nine of them containers from their factories; a channel's seven); the class itself with
    an accelerator built before its Maker took classes with slots."""
    return c_maker(c, cls, cls)


def _queue_of_leg(name: str) -> str:
    """The queue a consultation's leg dials: ``Local/<queue>@hotline-queue-…;2`` → ``<queue>``."""
    if not name.startswith("Local/"):
        return ""
    return name[len("Local/") :].partition("@")[0]
