"""How channel and bridge events change a call: legs appear, meet in a bridge, hold, hang up.

Part of ``CallModel`` (``cti.calls``), kept apart from the call's bookkeeping
the way ``cti.queue_calls`` keeps app_queue's events apart. Each handler is
called with the event's time and the fields it names in ``@reads``, read from
the frame in one pass.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from cti import agents as A
from cti.ami.fields import reads

if TYPE_CHECKING:
    from cti.calls import Call, CallModel

    _Base = CallModel
else:
    _Base = object

INBOUND_CONTEXTS = ("hotline-inbound",)
UNKNOWN = ("", "<unknown>")  # a caller ID Asterisk does not know (cti.calls.UNKNOWN)
OUTBOUND_CONTEXTS = ("hotline-outbound",)
#: the states a seat's own leg appearing rings it from (the "offer"; cti.agents.TRANSITIONS)
OFFERABLE = (A.READY, A.NOT_READY, A.AFTER_CALL_WORK)


@dataclasses.dataclass(slots=True)  # read in its slots by the C accelerator, as a Call (cti.calls)
class Channel:
    uniqueid: str
    name: str
    linkedid: str
    context: str = ""
    exten: str = ""
    agent_id: str = ""
    bridge: str = ""


def _party(name: str) -> str:
    """A Local channel's two halves are one party. A customer reached through one hangs up on
    the far half first; the near half, bridged with the agent, goes at the same moment as the
    agent's channel, in either order."""
    if name.startswith("Local/") and name[-2:] in (";1", ";2"):
        return name[:-2]
    return name


class MalformedEvent(ValueError):
    """An event lacks a field the model cannot do without (the AMI client logs it and goes on)."""


class ChannelEvents(_Base):
    @reads("Linkedid", "Uniqueid", "Channel", "Context", "Exten", "CallerIDNum", "CallerIDName")
    def _on_Newchannel(
        self, at: float, linkedid: str, uid: str, name: str, context: str, exten: str, num: str, cname: str
    ) -> None:
        if not uid or not name:
            raise MalformedEvent(f"Newchannel without {'Uniqueid' if not uid else 'Channel'}")
        call = self._call_for(linkedid, at)
        if call is None or uid in self.channels:
            return
        chan = self.channels[uid] = Channel(uid, name, call.call_id, context, exten)
        self.by_name[name] = chan
        call.channels.add(uid)
        if uid == call.call_id and call.direction == "internal":
            if context in INBOUND_CONTEXTS:
                call.direction, call.dnis = "inbound", exten
            elif context in OUTBOUND_CONTEXTS:
                call.direction, call.dnis = "outbound", exten
        agent = self.agents.by_channel(name)
        # only a caller ID the call has not got yet needs its leg looked at (most legs show the
        # one the call has already, or none)
        news = (not call.caller and num not in UNKNOWN) or (not call.caller_name and cname not in UNKNOWN)
        if news and self._customer_leg(call, linkedid, uid, name, agent is not None):
            self._caller_from(call, num, cname)
        if agent is not None and agent.state != A.LOGGED_OUT:
            chan.agent_id = agent.agent_id
            call.agent_channels.setdefault(agent.agent_id, set()).add(uid)
            if len(call.agent_channels[agent.agent_id]) == 1 and agent.state in OFFERABLE:
                self._seat_rings(call, agent, at)
        elif not call.customer_channel and call.direction == "inbound" and uid != call.call_id:
            call.customer_channel = name

    def _seat_rings(self, call: Call, agent: A.Agent, at: float) -> None:
        """The first leg of ``agent``'s seat on ``call`` appeared while the seat was free: it rings.
        Apart from ``_on_Newchannel``'s bookkeeping, which the C accelerator does itself
        (``_speedups.ChannelBook``) before it calls this."""
        # Rings outside app_queue (click-to-dial, transfer target): no AgentCalled comes.
        dialing = call.direction == "outbound" and not call.answered_at and not call.queued_at
        holder = self._consulting_holder(call)
        # the consultation's leg rings it (to the seat, or through a queue; or over the trunk, from
        # an agent on another server): the caller stays the consulting agent's unless they complete
        # the transfer (``_leave``; ``relayed_consult_completed``)
        asker = holder.agent_id if holder is not None else call.relayed_consult_from
        if asker and asker != agent.agent_id:
            call.consulted[agent.agent_id] = asker
        if dialing:
            self._dialing(call, agent.agent_id, at)
        self._transition(agent, "offer", at, call.call_id)
        if dialing or (call.direction == "inbound" and call.answered_at):
            # a transfer target gets the screen-pop too, and so does a click-to-dial's
            # agent, whose own phone rings before the customer's: whom they are calling
            self._offer(call, agent.agent_id, at)

    @reads("Linkedid", "Uniqueid", "Channel", "CallerIDNum", "CallerIDName")
    def _on_NewCallerid(self, at: float, linkedid: str, uid: str, name: str, num: str, cname: str) -> None:
        # _known, inline (one NewCallerid for every channel)
        call = self.calls.get(self.aliases.get(linkedid, linkedid))
        if call is None or call.direction != "inbound":
            return
        if (call.caller or num in UNKNOWN) and (call.caller_name or cname in UNKNOWN):
            return  # nothing _caller_from would take: the leg need not be looked at
        chan = self.channels.get(uid)
        if self._customer_leg(call, linkedid, uid, name, bool(chan and chan.agent_id)):
            self._caller_from(call, num, cname)

    def _customer_leg(self, call: Call, linkedid: str, uid: str, name: str, agents: bool) -> bool:
        """Whether the caller ID of channel ``name`` (``uid``) is the customer's. Not an agent's
        leg, nor a leg the bridge added (a conference's invitation, its own linkedid, shows the
        hotline's number), nor any leg of a call the bridge placed (回呼: the customer is the
        number dialled, and every leg shows the hotline's caller ID); once answered, only the
        customer's own leg (a consultation's leg is the agent's doing)."""
        if agents or linkedid in self.aliases:
            return False
        if call.direction == "outbound":
            return uid == call.call_id and not call.caller
        if call.answered_at and uid != call.call_id:
            return bool(call.customer_channel) and _party(name) == _party(call.customer_channel)
        return True

    @reads("Channel", "DestUniqueid", "DialStatus", only_if=rb"\r\nDialStatus: (?:NOANSWER|BUSY)(?:\r|$)")
    def _on_DialEnd(self, at: float, name: str, dest_uid: str, status: str) -> None:
        """A colleague a blind transfer rang let it ring out or rejected it ([hotline-transfer]'s
        Dial, on the caller's own leg, ends NOANSWER or BUSY; the dialplan pauses the seat 未接
        and queues the caller again): 未就绪·未接 straight from 振铃, as a queue's offer that rang
        out, not 就绪 for the moment before the pause arrives."""
        if status not in ("NOANSWER", "BUSY"):
            return
        chan = self.channels.get(dest_uid)
        call = self.calls.get(chan.linkedid) if chan is not None and chan.agent_id else None
        if chan is None or call is None or not call.answered_at or not call.customer_channel:
            return
        agent = self.agents.get(chan.agent_id)
        if agent is None or agent.state != A.RINGING or agent.call_id != call.call_id:
            return
        if _party(name) != _party(call.customer_channel):
            return  # a consultation's or an invitation's leg dialled it: no queue to go back to
        self._transition(agent, "miss", at)
        if self.on_missed:
            self.on_missed(agent, call.call_id)

    @reads("Channel", "BridgeUniqueid")
    def _on_BridgeEnter(self, at: float, name: str, bridge: str) -> None:
        if not name:
            raise MalformedEvent("BridgeEnter without Channel")
        members = self.bridges.setdefault(bridge, set())
        members.add(name)
        chan = self.by_name.get(name)
        if chan is not None:
            chan.bridge = bridge
        self._check_answer(bridge, at)

    def _check_answer(self, bridge: str, at: float) -> None:
        # loops, not comprehensions: each comprehension is a Python frame of its own (three a call)
        members = []
        for name in self.bridges.get(bridge, ()):
            known = self.by_name.get(name)
            if known is not None:
                members.append(known)
        if len(members) < 2:
            return
        talkers, others = [], []
        for known in members:
            (talkers if known.agent_id else others).append(known)
        for chan in talkers:
            call = self.calls.get(chan.linkedid)
            agent = self.agents.get(chan.agent_id)
            if call is None or agent is None:
                continue
            if others and not call.customer_channel:
                call.customer_channel = others[0].name
            # Only a bridge entered after the hold began, and holding the caller, resumes the
            # call: a BridgeEnter still in flight from the answer must not undo a hold made
            # right after it, and a consultation's bridge (Atxfer) is no way back to the caller.
            held = agent.state == A.ON_HOLD and call.hold_started and call.agent_id == agent.agent_id
            if (
                held
                and at > call.hold_started
                and (not call.customer_channel or any(c.name == call.customer_channel for c in others))
            ):
                self.set_hold(call, False, at)
            elif agent.state in (A.RINGING, A.READY, A.NOT_READY, A.AFTER_CALL_WORK):
                self._transition(agent, "answer", at, call.call_id)
            if not call.answered_at:
                self._answered(call, agent.agent_id, at)
            else:
                holder_gone = not call.agent_channels.get(call.agent_id)
                if call.agent_id != agent.agent_id and agent.state == A.TALKING and holder_gone:
                    # The caller's agent has left (a blind transfer): the target has the call.
                    # An agent only consulted, or brought into a conference, does not take it.
                    call.agent_id = agent.agent_id
                    # (a consultation completed while its target still rang: theirs, not a question;
                    # one relayed from another server, whose agent is never on this one, is told so)
                    if not call.relayed_consult_from:
                        call.consulted.pop(agent.agent_id, None)
                if others and agent.state in (A.TALKING, A.ON_HOLD):
                    self._join(call, agent.agent_id, at)  # talking on the call: a leg of its own

    def _check_answers(self, call: Call, at: float) -> None:
        """Resync: answer/customer facts from the bridges the call's channels are in."""
        for bridge in {self.channels[u].bridge for u in call.channels if u in self.channels} - {""}:
            self._check_answer(bridge, at)

    @reads("Channel", "BridgeUniqueid")
    def _on_BridgeLeave(self, at: float, name: str, bridge: str) -> None:
        if not name:
            raise MalformedEvent("BridgeLeave without Channel")
        members = self.bridges.get(bridge)
        if members is not None:
            members.discard(name)
            if not members:
                del self.bridges[bridge]
        chan = self.by_name.get(name)
        if chan is not None and chan.bridge == bridge:
            chan.bridge = ""

    @reads("Linkedid")
    def _on_Hold(self, at: float, linkedid: str) -> None:
        call = self._known(linkedid)
        if call is not None:
            self.set_hold(call, True, at)

    @reads("Linkedid")
    def _on_Unhold(self, at: float, linkedid: str) -> None:
        call = self._known(linkedid)
        if call is not None:
            self.set_hold(call, False, at)

    @reads("Uniqueid", "Cause")
    def _on_Hangup(self, at: float, uid: str, cause: str) -> None:
        chan = self.channels.pop(uid, None)
        if chan is None:
            return
        if self.by_name.get(chan.name) is chan:
            del self.by_name[chan.name]
        if chan.bridge:
            self.bridges.get(chan.bridge, set()).discard(chan.name)
        call = self.calls.get(chan.linkedid)
        if call is None:
            return
        call.channels.discard(uid)
        self._hung_up(call, chan, at, cause)

    def _hung_up(self, call: Call, chan: Channel, at: float, cause: str) -> None:
        """What ``chan`` hanging up means for its ``call`` (already out of the model's channels and
        the call's): apart from ``_on_Hangup``'s bookkeeping, which the C accelerator does itself
        (``_speedups.ChannelBook``) before it calls this."""
        if chan.agent_id:
            self._agent_channel_gone(call, chan, at)
            if call.answered_at and not call.hangup_side:
                call.hangup_side = "agent"
        else:
            # the customer's own channel is its party; _party only for the others
            caller = chan.name == call.customer_channel or _party(chan.name) == _party(call.customer_channel)
            if call.answered_at and not call.hangup_side and caller:
                call.hangup_side = "caller"
            if not call.hangup_cause or chan.name == call.customer_channel:
                call.hangup_cause = int(cause or 0)
            # a caller who left a queue unanswered and hangs up now abandoned it (not a timeout)
            self._gave_up(call, chan.name)
            if caller and call.answered_at:
                self._caller_hung_up(call, at)
        if not call.channels:
            self.end(call, at)

    def _caller_hung_up(self, call: Call, at: float) -> None:
        """The answered caller's leg hung up: if its agent consults about it meanwhile, the call's
        record ends now (``_caller_gone``). The C accelerator calls this only when the agent whose
        call it is consults about something (``_consulting_holder`` finds nobody otherwise)."""
        holder = self._consulting_holder(call)
        if holder is not None and not holder.consult["caller_gone"]:  # type: ignore[index]
            self._caller_gone(holder, call, at)

    def _agent_channel_gone(self, call: Call, chan: Channel, at: float) -> None:
        channels = call.agent_channels.get(chan.agent_id, set())
        channels.discard(chan.uniqueid)
        if not channels:
            self._agent_left(call, chan.agent_id, at)

    def _agent_left(self, call: Call, agent_id: str, at: float) -> None:
        """The last leg of ``agent_id`` on ``call`` hung up: their time on it ends, and their seat's
        ring or talk (the C accelerator's hangup calls this from its own bookkeeping)."""
        self._leave(call, agent_id, at)
        if agent_id in call.invited:
            self._conference_left(call, agent_id, at)
        agent = self.agents.get(agent_id)
        if agent is None or agent.call_id != call.call_id:
            return
        if agent.consult and agent.consult["call_id"] == call.call_id:
            self.consult_over(agent, at)  # completed (the agent hung up) or the consult leg ended
        if agent.state == A.RINGING:
            self._transition(agent, "cancel", at)
        elif agent.state in (A.TALKING, A.ON_HOLD):
            self._call_over(agent, call, at)
