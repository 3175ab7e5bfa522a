"""Rebuilding the model after a (re)connect or a restart of the bridge.

Two sources: the bus (what this bridge, or its previous run, already
published: exact timestamps, which CallEnded went out) and Asterisk itself
(``CoreShowChannels``: the channels alive now; ``QueueStatus``: members,
pauses and waiting callers). Asterisk wins where they disagree; the bus fills
in what Asterisk cannot tell (when a call was answered, who was offered, since
when it is held, which supervisor listens on a ``ChanSpy`` channel, what an agent
consults about, the record of a call an agent still writes up).
Corrections are published; what did not change is not published again: a session
(a supervisor's spy, an agent's consultation) the bus knows and Asterisk no longer has
ended while no bridge was watching, and its end is published once.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import time
from collections.abc import Callable

from cti import agents as A
from cti.ami import AmiActionError, AmiClient, Frame
from cti.call_events import (
    AcwHoldChanged,
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallOffered,
    CallQueued,
    CallStarted,
    CallTransferred,
    ConferenceLeft,
    ConsultChanged,
    SpyChanged,
    system_name_of,
)
from cti.calls import RELAY_KINDS, RELAYED_RESTORED, Call, CallModel, Channel, QueueLeg, parse_relay
from cti.commands.service import REMOTE_TRANSFER_CONTEXT, TARGET_CONTEXTS, trunk_endpoint
from cti.events import Event
from cti.spies import SPY_VARIABLE, SpyBook, spy_from_tag

log = logging.getLogger(__name__)

#: the channel of a call another Asterisk server sent here over its trunk (``PJSIP/trunk-<server>-…``,
#: hotline.asterisk_trunks), on which ``[hotline-trunk-in]`` keeps the relay (``RELAY_VARIABLE``)
TRUNK_CHANNEL = f"PJSIP/{trunk_endpoint('')}"
RELAY_VARIABLE = "HOTLINE_RELAY"


@dataclasses.dataclass(frozen=True)
class Ours:
    """What of the bus is this bridge's own. Several Asterisk servers' bridges publish on one bus
    (docs/decisions/0007), and a restarted one takes back only its own server's: a call whose id
    its Asterisk's systemname prefixes (``system_name``, ``system_name_of``; None: the only
    server, every call), an agent whose seat is on it (``serves``: the rule the consoles route the
    agent's commands by, hotline.config ``server_of``; None: every agent). A call relayed here from
    another server keeps that server's id: this server's part of it is its own agents' legs."""

    system_name: str | None = None
    serves: Callable[[str], bool] | None = None

    def call(self, call_id: str) -> bool:
        return self.system_name is None or system_name_of(call_id) == self.system_name

    def agent(self, agent_id: str) -> bool:
        return self.serves is None or (bool(agent_id) and self.serves(agent_id))

    def on(self, call: Call) -> bool:
        """Whether anything of ``call`` was on this server: its own call, or one relayed here that
        one of its agents was offered or answered."""
        return (
            self.call(call.call_id)
            or any(self.agent(agent_id) for agent_id in call.agents_offered)
            or any(self.agent(leg[0]) for leg in call.legs)
        )

    def part_of(self, call: Call) -> Call | None:
        """``call`` as this server saw it: its own agents' legs, offers and consultations only (the
        other server's are no channels here); None for another server's call none of them was on.
        One relayed here is marked so (``RELAYED_RESTORED``): its end adds legs, it is no record."""
        if not self.on(call):
            return None
        if not self.call(call.call_id):
            call.relayed = call.relayed or RELAYED_RESTORED
            # the caller's wait and holds there are that server's record's, as live (``relayed``)
            call.queued_at = call.hold_started = call.hold_seconds = 0.0
        legs = [leg for leg in call.legs if self.agent(leg[0])]
        call.legs = legs
        call.agents_offered = [agent_id for agent_id in call.agents_offered if self.agent(agent_id)]
        call.consulted = {a: by for a, by in call.consulted.items() if self.agent(a)}
        if not self.agent(call.agent_id):
            call.agent_id = legs[-1][0] if legs else ""
        return call

    def ended(self, event: CallEnded) -> bool:
        """Whether ``event`` ends this server's part of its call: its own record, or (relayed here)
        the record of its agents' legs. Another server's says nothing of a part here: a relayed
        record of one of this server's calls is the consulted colleague's leg, not the caller's."""
        if event.relayed:
            return not self.call(event.call_id) and any(self.agent(leg[0]) for leg in event.legs)
        return self.call(event.call_id)


#: the events of one agent (``agent_id``), whose server's bridge alone takes them back
AGENTS_OWN = (AgentStateChanged, SpyChanged, AcwHoldChanged, ConsultChanged)


class History:
    """What the bus already carries about recent calls, agents and their sessions; of the agents
    and their sessions, those of this bridge's server only (``ours``)."""

    def __init__(self, records_kept: int = 2_000, ours: Ours | None = None) -> None:
        self.ours = ours or Ours()
        self.calls: dict[str, Call] = {}
        self.ended: set[str] = set()
        self.agents: dict[str, AgentStateChanged] = {}
        #: agent id -> (state, reason) before the agent's latest call: where its end takes them back
        self.before_call: dict[str, tuple[str, str]] = {}
        self.spies: dict[str, SpyChanged] = {}  # spy id -> the session's latest, not ended
        self.consults: dict[str, ConsultChanged] = {}  # agent id -> the consultation's latest, not over
        #: agent id -> the call an intake form held the after-call work of, as last said: a restarted
        #: bridge keeps it held until the tabs, told the bridge is back, hold it again themselves
        self.acw_holds: dict[str, str] = {}
        #: the latest calls' records, oldest first: an agent in after-call work still writes one up
        self.records: collections.OrderedDict[str, CallEnded] = collections.OrderedDict()
        self.records_kept = records_kept
        self.last_seq = 0

    def add(self, event: Event) -> None:
        self.last_seq = max(self.last_seq, event.seq)
        if isinstance(event, AGENTS_OWN) and not self.ours.agent(event.agent_id):
            return  # another server's agent (its seat, its consultation, a spy on its call)
        if isinstance(event, AgentStateChanged):
            prior = self.agents.get(event.agent_id)
            if event.state in (A.RINGING, A.TALKING) and event.previous in A.OFF_CALL:
                # as AgentBook.apply: a pause keeps its reason; a call from after-call work goes
                # back where that work would have ended (agents.after_acw: the pause of a round
                # of call-backs, else ready)
                if event.previous == A.AFTER_CALL_WORK:
                    before, before_reason = self.before_call.get(event.agent_id, (A.READY, ""))
                    back, reason = A.after_acw(
                        A.Agent(event.agent_id, before_call=before, before_call_reason=before_reason)
                    )
                else:
                    back = event.previous
                    reason = prior.reason if prior is not None and back == A.NOT_READY else ""
                self.before_call[event.agent_id] = (back, reason)
            elif event.state == A.AFTER_CALL_WORK and event.acw_ends_in is not None:
                # where this 话后处理 ends, as the bridge had it: a break asked for during the call
                # is on the bus only here (Asterisk's pause of it gave way to 话后处理's)
                then = event.acw_ends_in
                self.before_call[event.agent_id] = (A.NOT_READY, then) if then else (A.READY, "")
            self.agents[event.agent_id] = event
            return
        if isinstance(event, SpyChanged):
            if event.ended:
                self.spies.pop(event.spy_id, None)
            else:
                self.spies[event.spy_id] = event
            return
        if isinstance(event, AcwHoldChanged):
            if event.held:
                self.acw_holds[event.agent_id] = event.call_id
            elif self.acw_holds.get(event.agent_id) == event.call_id:
                del self.acw_holds[event.agent_id]
            return
        if isinstance(event, ConsultChanged):
            if event.state == "ended":
                self.consults.pop(event.agent_id, None)
            else:
                self.consults[event.agent_id] = event
            return
        call_id = getattr(event, "call_id", None)
        if call_id is None:
            return
        if isinstance(event, CallEnded):
            self.records[call_id] = event
            while len(self.records) > self.records_kept:
                self.records.popitem(last=False)
            if self.ours.ended(event):
                self.ended.add(call_id)
                self.calls.pop(call_id, None)
            elif call_id in self.calls and not self.ours.on(self.calls[call_id]):
                del self.calls[call_id]  # another server's, and nothing of it was here
            return
        if call_id in self.ended:
            return
        if isinstance(event, CallStarted):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.direction, call.caller, call.caller_name = event.direction, event.caller, event.caller_name
            call.dnis, call.started_at, call.started_published = event.dnis, event.started_at, True
        elif isinstance(event, CallQueued):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.queue, call.queued_at = event.queue, event.queued_at
        elif isinstance(event, CallOffered):
            call = self.calls.setdefault(call_id, Call(call_id))
            call.ringing_at = call.ringing_at or event.offered_at
            _handed_on(call, event)
            if event.agent_id not in call.agents_offered:
                call.agents_offered.append(event.agent_id)
            if event.consult_from:
                # rung by a consultation, not answered yet: its answer after a restart (or a
                # standby's takeover) is still the consulting agent's question (consult_from)
                call.consulted[event.agent_id] = event.consult_from
        elif isinstance(event, CallAnswered):
            call = self.calls.setdefault(call_id, Call(call_id))
            # each agent who comes on the call answers it; the caller stays the first one's (an
            # agent consulted, or in a conference, does not take it: the resync hands it on to
            # whoever still talks on it once its agent has left)
            call.agent_id, call.waited = call.agent_id or event.agent_id, event.waited
            call.answered_at = call.answered_at or event.answered_at
            _handed_on(call, event)
            # a colleague consulted (consult_from) until a completed transfer announces the same
            # leg again, without it: the caller theirs, no second leg
            if event.consult_from:
                call.consulted[event.agent_id] = event.consult_from
            else:
                call.consulted.pop(event.agent_id, None)
            if [event.agent_id, event.answered_at, 0.0] not in call.legs:
                call.legs.append([event.agent_id, event.answered_at, 0.0])
        elif isinstance(event, CallTransferred):
            call = self.calls.get(call_id)
            if call is not None and event.kind in ("blind", "attended"):
                # who handed the caller on: the next seat's ring after a restart says 转接自 them
                call.transferred_from, call.transferred_at = event.agent_id, event.at
                call.transfer_note = event.note
            if call is not None and event.kind == "blind":
                call.agent_id = ""  # the caller left this agent: the target's answer names the next
            elif call is not None and event.kind == "conference":
                # the colleague brought into the 三方通话, until they leave it (ConferenceLeft)
                call.invited[event.target.removeprefix("agent:")] = event.agent_id
        elif isinstance(event, ConferenceLeft):
            call = self.calls.get(call_id)
            if call is not None:
                call.invited.pop(event.target.removeprefix("agent:"), None)
        elif isinstance(event, CallHeld):
            # Asterisk cannot tell a consultation's hold (the agent bridged with the target),
            # and a hold's start times the record's hold_seconds
            call = self.calls.get(call_id)
            if call is None:
                return
            if event.held and not call.hold_started:
                call.hold_started = event.at
            elif not event.held and call.hold_started:
                call.hold_seconds += event.at - call.hold_started
                call.hold_started = 0.0


def _handed_on(call: Call, event: CallOffered | CallAnswered) -> None:
    """A ring or answer saying who handed the caller on (``transferred_from``, with their
    ``transfer_note``): the call's, as the live model's, so the next seat's ring after a restart
    says it too."""
    if event.transferred_from:
        call.transferred_from, call.transferred_at = event.transferred_from, event.transferred_at
        call.transfer_note = event.transfer_note


def record_call(event: CallEnded) -> Call:
    """A call as it was at its end, from its record on the bus."""
    return Call(
        event.call_id,
        direction=event.direction,
        caller=event.caller,
        caller_name=event.caller_name,
        dnis=event.dnis,
        queue=event.queue,
        ivr_path=list(event.ivr_path),
        agent_id=event.agent_id,
        agents_offered=list(event.agents_offered),
        started_at=event.started_at,
        queued_at=event.queued_at,
        ringing_at=event.ringing_at,
        answered_at=event.answered_at,
        ended_at=event.ended_at,
        hold_seconds=event.hold_seconds,
        waited=event.waited,
        hangup_cause=event.hangup_cause,
        hangup_side=event.hangup_side,
        outcome=event.outcome,
        overflow_target=event.overflow_target,
        recording=event.recording,
        started_published=True,
        legs=[list(leg) for leg in event.legs],
        queue_legs=[QueueLeg(*leg) for leg in event.queue_legs],
    )


def restore(model: CallModel, history: History) -> None:
    """Seed a fresh model from the bus history (before the first AMI connect)."""
    for call_id in history.ended:
        model.mark_ended(call_id)
    for event in history.agents.values():
        agent = model.agents.ensure(event.agent_id, event.seat)
        agent.state, agent.reason, agent.call_id, agent.since = (
            event.state,
            event.reason,
            event.call_id,
            event.at,
        )
        if event.agent_id in history.before_call:
            agent.before_call, agent.before_call_reason = history.before_call[event.agent_id]
    model.queues.recount()  # the states were set here, not by the book's transitions
    model.restored = {
        call_id: part for call_id, call in history.calls.items() if (part := history.ours.part_of(call))
    }
    for consult in history.consults.values():
        agent = model.agents.get(consult.agent_id)
        if agent is not None:
            # Asterisk names the agent's leg and the consultation's at the resync (``channel``
            # empty until then: not confirmed yet)
            agent.consult = {
                "call_id": consult.call_id,
                "target": consult.target,
                "caller_gone": consult.state == "caller_gone",
                "channel": "",
                "channels_before": frozenset(),
            }
            record = history.records.get(consult.call_id)
            if consult.state == "caller_gone" and record is not None:
                model.restored.setdefault(consult.call_id, record_call(record))


def _duration(text: str) -> float:
    try:
        h, m, s = (int(x) for x in text.split(":"))
        return h * 3600 + m * 60 + s
    except ValueError:
        return 0.0


async def resync(ami: AmiClient, model: CallModel, spies: SpyBook | None = None) -> None:
    """Make the model (and the supervisors' sessions) match Asterisk now; publish what changed."""
    channels = await ami.action_list("CoreShowChannels")
    status = await ami.action_list("QueueStatus")
    relays = await trunk_relays(ami, model, channels)
    now = time.time()
    apply_channels(model, channels, now, relays)
    if spies is not None:
        spies.confirm(channels)
        await adopt_spies(ami, spies, channels, now)
    # a seat's channel not answered yet rings for its call (Down, Ring, Ringing: not Up)
    answered = {f.get("Uniqueid") for f in channels if f.get("ChannelState") == "6"}
    apply_queue_status(model, status, now, answered)


async def adopt_spies(ami: AmiClient, spies: SpyBook, channels: list[Frame], now: float) -> None:
    """Supervisors' sessions the bus does not show: the phone still rang when the previous run
    stopped (or answered while no bridge watched). The spy command named each on its channel."""
    for f in spies.unfollowed(channels):
        try:
            reply = await ami.action("Getvar", Channel=f.get("Channel"), Variable=SPY_VARIABLE)
        except AmiActionError:
            continue  # hung up meanwhile (its Hangup, held back till now, ends nothing followed)
        spy = spy_from_tag(f.get("Uniqueid"), reply.get("Value"))
        if spy is not None:
            spies.adopt(spy, f, now)


async def trunk_relays(ami: AmiClient, model: CallModel, channels: list[Frame]) -> dict[str, tuple[str, str]]:
    """The calls that came over a trunk from another server and are not known as relayed (after a
    restart: ``HotlineRelayed`` is not said again): each one's linkedid here -> (its trunk channel,
    the relay ``[hotline-trunk-in]`` keeps on it)."""
    relays = {}
    for f in channels:
        linkedid, name = f.get("Linkedid"), f.get("Channel")
        if f.get("Uniqueid") != linkedid or linkedid in model.aliases or not name.startswith(TRUNK_CHANNEL):
            continue
        try:
            reply = await ami.action("Getvar", Channel=name, Variable=RELAY_VARIABLE)
        except AmiActionError:
            continue  # hung up meanwhile
        relays[linkedid] = (name, reply.get("Value"))
    return relays


def _adopt_relays(model: CallModel, relays: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Each relayed call's id -> (its trunk channel, the relay), the trunk's linkedid an alias of
    that id, as ``CallModel.relayed`` made it live: the seat's leg is on that call, not one of its own."""
    adopted = {}
    for linkedid, (trunk, relay) in relays.items():
        kind, call_id = parse_relay(relay)[:2]
        if kind in RELAY_KINDS and call_id and call_id not in model.ended:
            model.aliases[linkedid] = call_id
            adopted[call_id] = (trunk, relay)
    return adopted


def apply_channels(
    model: CallModel, frames: list[Frame], now: float, relays: dict[str, tuple[str, str]] | None = None
) -> None:
    """``relays``: the calls relayed here from another server not known as such yet (``trunk_relays``)."""
    relayed = _adopt_relays(model, relays or {})
    live_by_call: dict[str, list[Frame]] = {}
    for f in frames:
        linkedid = f.get("Linkedid")
        live_by_call.setdefault(model.aliases.get(linkedid, linkedid), []).append(f)
    # Calls that ended while we were away: close them once, with what we know.
    for call_id, call in list(model.calls.items()):
        if call_id not in live_by_call:
            model.end(call, now)
    live_uids = {f.get("Uniqueid") for f in frames}
    for uid in [u for u in model.channels if u not in live_uids]:
        chan = model.channels.pop(uid)
        model.by_name.pop(chan.name, None)
    model.bridges.clear()
    restored = model.restored
    # Calls the bus knows as running (a previous run published their start)
    # but Asterisk no longer has: they ended while no bridge was watching.
    for call_id in [c for c in restored if c not in live_by_call]:
        model.end(restored.pop(call_id), now)
    for call_id, chans in live_by_call.items():
        if call_id in model.ended:
            # a record that ended while its agents talk on (the held caller hung up during a
            # consultation): followed again from its record, to the agents' hang-up
            call = restored.pop(call_id, None)
            if call is not None:
                model.calls[call_id] = call
                for f in chans:
                    _channel(model, call, f)
            continue
        call = model.calls.get(call_id)
        if call is None:
            call = restored.pop(call_id, None) or Call(call_id)
            model.calls[call_id] = call
            oldest = max((_duration(f.get("Duration")) for f in chans), default=0.0)
            call.started_at = call.started_at or now - oldest
        for f in chans:
            _channel(model, call, f)
        if call_id in relayed and not any(f.get("Linkedid") == call_id for f in chans):
            # (not back on the server it came from, where the caller's own leg is: that call's)
            trunk, relay = relayed[call_id]
            model.take_relay(call, relay, now, trunk)
    for call in list(model.calls.values()):
        # an agent whose legs are all gone left the call while we were away (a consulted
        # colleague who hung up, an agent who completed a transfer): their time on it ends
        for agent_id in {leg[0] for leg in call.legs if not leg[2]}:
            if not call.agent_channels.get(agent_id):
                model._leave(call, agent_id, now)
        # and a colleague brought into a 三方通话 who left it then (or never answered): the agent
        # who brought them, still on the call, is told
        for agent_id in [a for a in call.invited if not call.agent_channels.get(a)]:
            model._conference_left(call, agent_id, now)
    # before the answers: a caller who hung up during a consultation is no caller to take back
    _confirm_consults(model, live_by_call, now)
    for call in model.calls.values():
        if not call.ended_at:  # a record ended, its agents talking on: nobody answers it again
            model._check_answers(call, now)


def _consult_leg(target: str) -> str:
    """The name's start of the consultation's leg to ``target`` (agent:<工号>, queue:…, number:…):
    the Atxfer dials ``Local/<exten>@<context>``, the context ``AgentCommands._target`` dials."""
    kind, _, to = target.partition(":")
    context = TARGET_CONTEXTS.get(kind)
    return f"Local/{to.lstrip('+')}@{context}-" if context and to else ""


def _is_consult_leg(target: str, name: str) -> bool:
    """Whether the channel ``name`` is the consultation's leg to ``target``: on this server
    (``_consult_leg``), or to a colleague on another one (``Local/<server>*<工号>@`` the remote
    transfer's context, ``AgentCommands._remote_target``)."""
    prefix = _consult_leg(target)
    if prefix and name.startswith(prefix):
        return True
    kind, _, to = target.partition(":")
    server, star, rest = name.removeprefix("Local/").partition("*")
    return (
        kind == "agent"
        and bool(to)
        and name.startswith("Local/")
        and bool(star and server)
        and rest.startswith(f"{to}@{REMOTE_TRANSFER_CONTEXT}-")
    )


def _queue_consult_leg(model: CallModel, call: Call, name: str) -> bool:
    """Whether ``name``, in a queue on ``call``, is an agent's consultation with that queue (the
    Atxfer's ``Local/<queue>@hotline-queue`` leg, on the call's linkedid) rather than its caller:
    known as one before a reconnect, or the leg of a consultation the bus told (``restore``)."""
    if name in call.consult_legs:
        return True
    for agent in model.agents.agents.values():
        consult = agent.consult
        if (
            consult is None
            or consult["call_id"] != call.call_id
            or not consult["target"].startswith("queue:")
        ):
            continue
        prefix = _consult_leg(consult["target"])
        if prefix and name.startswith(prefix):
            return True
    return False


def _confirm_consults(model: CallModel, live_by_call: dict[str, list[Frame]], now: float) -> None:
    """Keep the consultations Asterisk still has: the agent's leg on the call and, for one known
    from the bus only, a leg to the target; the others ended meanwhile."""
    for agent in list(model.agents.agents.values()):
        consult = agent.consult
        if consult is None:
            continue
        frames = live_by_call.get(consult["call_id"], ())
        mine = [f for f in frames if model.agents.by_channel(f.get("Channel")) is agent]
        call = model.calls.get(consult["call_id"])
        # the held caller (an inbound call's first channel) hung up while we were away
        caller_gone = (
            call is not None
            and not consult["caller_gone"]
            and call.direction == "inbound"
            and not any(f.get("Uniqueid") == call.call_id for f in frames)
        )
        if not consult["channel"]:
            # the leg that made the Atxfer: the one bridged, with the target now (or with the
            # caller again: the target hung up, and the answers below end the consultation);
            # while the target still rings, the agent's own end of the seat
            mine.sort(key=lambda f: (not f.get("BridgeId"), f.get("Channel").endswith(";2")))
            transferer = mine[0] if mine else None
            bridge = transferer.get("BridgeId") if transferer is not None else ""
            caller = {call.call_id, call.customer_channel} if call is not None else set()
            legs = {
                f.get("Uniqueid")
                for f in frames
                if _is_consult_leg(consult["target"], f.get("Channel"))
                or (
                    bridge
                    and f is not transferer
                    and f.get("BridgeId") == bridge
                    and not caller & {f.get("Uniqueid"), f.get("Channel")}
                )
            }
            if transferer is None or not (legs or caller_gone or consult["caller_gone"]):
                model.consult_over(agent, now)
                continue
            consult["channel"] = transferer.get("Channel")
            consult["channels_before"] = frozenset(f.get("Uniqueid") for f in frames) - legs
        elif not any(f.get("Channel") == consult["channel"] for f in mine):
            model.consult_over(agent, now)  # the agent's leg hung up while we were away
            continue
        if caller_gone:
            # the record ends now, as it would have then; the agent talks on with the target
            model._caller_gone(agent, call, now)  # type: ignore[arg-type]


def _channel(model: CallModel, call: Call, f: Frame) -> None:
    uid, name = f.get("Uniqueid"), f.get("Channel")
    chan = model.channels.get(uid)
    if chan is None:
        chan = Channel(uid, name, call.call_id, f.get("Context"), f.get("Exten"))
        model.channels[uid] = chan
        model.by_name[name] = chan
    call.channels.add(uid)
    chan.bridge = f.get("BridgeId")
    if chan.bridge:
        model.bridges.setdefault(chan.bridge, set()).add(name)
    if uid == call.call_id and call.direction == "internal" and chan.context == "hotline-inbound":
        call.direction, call.dnis = "inbound", chan.exten
    agent = model.agents.by_channel(name)
    if agent is not None:
        chan.agent_id = agent.agent_id
        call.agent_channels.setdefault(agent.agent_id, set()).add(uid)
    elif f.get("Application") == "Queue":
        if _queue_consult_leg(model, call, name):
            # an agent's 咨询转接 to a queue: its leg waits there, the caller stays the agent's
            call.consult_legs.add(name)
            return
        call.customer_channel = name
        call.queue = call.queue or f.get("ApplicationData").split(",")[0]
        call.direction = "inbound" if call.direction == "internal" else call.direction
        for key, attr in (("CallerIDNum", "caller"), ("CallerIDName", "caller_name")):
            if not getattr(call, attr) and f.get(key) not in ("", "<unknown>"):
                setattr(call, attr, f.get(key))


def apply_queue_status(
    model: CallModel, frames: list[Frame], now: float, answered: set[str] | None = None
) -> None:
    """Members, pauses and waiting callers from ``QueueStatus``, and each agent's state with them.
    ``answered``: the uniqueids of the live channels that are up (``CoreShowChannels``), so a seat
    whose channels on a call are not is found ringing for it; None: not known (no ringing found)."""
    members: dict[str, dict[str, object]] = {}
    seen_queues: set[str] = set()
    seen_members: set[tuple[str, str]] = set()
    for f in frames:
        if f.name == "QueueParams":
            seen_queues.add(f.get("Queue"))
        elif f.name == "QueueMember":
            # The member is its Location, the interface it was added with and the one every
            # event names (AgentCalled, QueueMemberAdded's Interface). StateInterface is only
            # where app_queue reads its busy state: the same for a phone, another for a member
            # added with one (QueueAdd's StateInterface, the CLI's "state_interface").
            queue, interface = f.get("Queue"), f.get("Location") or f.get("StateInterface")
            agent_id = f.get("Name") or interface
            paused, reason = f.get("Paused") == "1", f.get("PausedReason")
            penalty = int(f.get("Penalty", "0") or 0)
            seen_members.add((queue, interface))
            model.queues.member(queue, interface, agent_id, penalty, paused, reason, now)
            entry = members.setdefault(
                agent_id, {"interface": interface, "skills": {}, "paused": paused, "reason": reason}
            )
            entry["skills"][queue] = penalty  # type: ignore[index]
        elif f.name == "QueueEntry":
            call_id = model.aliases.get(f.get("Linkedid"), f.get("Linkedid")) or f.get("Uniqueid")
            call = model.calls.get(call_id)
            if call is not None and f.get("Channel") in call.consult_legs:
                continue  # a consultation's leg waits there, not a caller (not on the board live either)
            queue = model.queues.get(f.get("Queue"))
            queue.waiting.setdefault(call_id, now - float(f.get("Wait", "0") or 0))
    # Members Asterisk no longer has are gone from the board.
    for queue in model.queues.queues.values():
        if queue.name in seen_queues:
            for interface in [i for i in queue.members if (queue.name, i) not in seen_members]:
                del queue.members[interface]
    model.queues.recount()  # members were dropped here, not through the board
    for agent_id, info in members.items():
        agent = model.agents.ensure(agent_id, str(info["interface"]))
        agent.skills = dict(info["skills"])  # type: ignore[arg-type]
        agent.paused = bool(info["paused"])
        _agent_state(model, agent, str(info["reason"]), now, answered)
    for agent in model.agents.agents.values():
        if agent.agent_id not in members and agent.state != A.LOGGED_OUT:
            model.agents.force(agent, A.LOGGED_OUT, now)
    for name in seen_queues | set(model.queues.queues):
        model.queues.publish(name, now)


def _agent_state(
    model: CallModel, agent: A.Agent, reason: str, now: float, answered: set[str] | None = None
) -> None:
    call = next((c for c in model.calls.values() if c.agent_channels.get(agent.agent_id)), None)
    if call is not None:
        uids = [u for u in call.agent_channels[agent.agent_id] if u in model.channels]
        bridged = any(model.channels[u].bridge for u in uids)
        # the seat's phone rings for the call (a queue's offer, a transfer, a click-to-dial's
        # first leg): its channels live, none answered, in no bridge
        ringing = not bridged and answered is not None and bool(uids) and not answered.intersection(uids)
        # the hold is the caller's agent's: one consulted talks on, bridged with that agent
        held = call.hold_started and call.agent_id == agent.agent_id
        if bridged:
            state = A.ON_HOLD if held else A.TALKING
        else:
            state = A.RINGING if ringing else agent.state
        if state in (A.TALKING, A.ON_HOLD) or ringing:
            if ringing:
                # the answer (AgentConnect, a bridge) or the miss that follows finds it rung
                call.ringing.add(agent.agent_id)
                call.ringing_at = call.ringing_at or now
                if agent.agent_id not in call.agents_offered:
                    call.agents_offered.append(agent.agent_id)
            same = agent.state == state and agent.call_id == call.call_id
            model.agents.force(agent, state, agent.since if same else now, call_id=call.call_id)
            _after_call(agent, reason)
            return
    if call is None and agent.state in (A.TALKING, A.ON_HOLD):
        # the call the bus last had it on ended while no bridge watched (its record closed by
        # this resync, at ``now``): it ends now as it would have then, into 话后处理 for that call
        # when the ACW is on (the limit counting from the call's end), then back where Asterisk's
        # pause says the agent asked to go during the call (a break), as a live call's end does
        _after_call(agent, reason)
        model._transition(agent, "end", now, agent.call_id)
    if agent.state == A.AFTER_CALL_WORK and agent.since == now:
        # 话后处理 of a call this resync ended (above, or ``apply_channels`` for a call this process
        # followed before its AMI link dropped): the bridge pauses the seat for it (``on_acw``);
        # Asterisk's pause, read before, is still the call's (a break asked for, or none)
        return
    if agent.paused:
        state = A.AFTER_CALL_WORK if reason == A.ACW_REASON else A.NOT_READY
        if agent.state != state or agent.reason != reason:
            model.agents.force(agent, state, now, reason=reason)
    elif agent.state != A.READY:
        model.agents.force(agent, A.READY, now)


def _after_call(agent: A.Agent, reason: str) -> None:
    """Where a seat found on a call (or whose call ended while no bridge watched) goes back to
    when it ends: what the agent asked for during the call (a break, ``pause``; a sign-out,
    ``sign_out_seat``) lived in the previous bridge's memory only, but Asterisk keeps the seat
    paused in its queues with that reason, or not paused (就绪). A pause of 话后处理 on a call is no choice of the agent's (a call from after-call
    work, a transfer to a queue): the bus's ``before_call`` stands then."""
    if not agent.paused:
        agent.before_call, agent.before_call_reason = A.READY, ""
    elif reason != A.ACW_REASON:
        agent.before_call, agent.before_call_reason = A.NOT_READY, reason
