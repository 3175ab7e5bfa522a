"""Events the CTI bridge publishes about calls, agents, queues and recordings.

These are the contract between the bridge and its consumers (ticketing links
calls and recordings to orders, the console pops screens, the wallboard counts).
Times are Unix seconds (float, UTC). ``call_id`` is Asterisk's linkedid of the
call's first channel; it names the recording file too. With a ``systemname`` set in
asterisk.conf Asterisk prefixes it, ``<systemname>-<epoch>.<n>``: the ids of several Asterisk
servers on one bus never meet, and each names its server (``system_name_of``).
"""

from __future__ import annotations

import re
from typing import Any

from cti.events import Event, event

#: ``<systemname>-<epoch>.<n>``: the call id of an Asterisk that has a systemname
_SYSTEM_NAMED = re.compile(r"^(.+)-\d+\.\d+")


def system_name_of(call_id: str) -> str:
    """The ``systemname`` of the Asterisk whose linkedid ``call_id`` is; "" for one without (an
    id ``<epoch>.<n>``). Several servers on one bus have different ones (hotline.config refuses
    two alike), so this says which server's call it is."""
    named = _SYSTEM_NAMED.match(call_id)
    return named[1] if named else ""


@event
class AmiConnectionChanged(Event):
    connected: bool
    server: str = ""
    reason: str = ""


@event
class CallStarted(Event):
    """A new call entered the system (inbound from a trunk or outbound from a seat)."""

    call_id: str
    direction: str  # "inbound" | "outbound" | "internal"
    caller: str = ""
    caller_name: str = ""
    dnis: str = ""
    started_at: float = 0.0


@event
class CallQueued(Event):
    call_id: str
    queue: str
    position: int = 0
    priority: int = 0
    queued_at: float = 0.0


@event
class CallOffered(Event):
    """An agent's phone is ringing with this call: the screen-pop trigger."""

    call_id: str
    agent_id: str
    caller: str = ""
    caller_name: str = ""
    dnis: str = ""
    queue: str = ""
    ivr_path: tuple[str, ...] = ()
    waited: float = 0.0
    customer: dict[str, Any] | None = None
    offered_at: float = 0.0
    #: the agent who consults this seat about the call (咨询转接): the ring is a colleague's
    #: question, not a customer contact of this seat's, until that agent completes the transfer
    consult_from: str = ""
    #: the agent who last handed the caller on (转接, or 完成转接 of a consultation) and when:
    #: the seat's pop says 转接自 1001（潘红） 10:02 (empty for a consultation's ring)
    transferred_from: str = ""
    transferred_at: float = 0.0
    #: what that agent wrote for this seat when handing the caller on (转接备注: the customer's
    #: words so far), shown under 转接自 and put in the intake form; "" for none
    transfer_note: str = ""


@event
class CallAnswered(Event):
    """An agent took the call: the first answer, then each agent who talks on it after (a
    transfer target, a conference member, an agent consulted); ``answered_at``: that moment,
    ``waited``: the caller's wait before the first answer."""

    call_id: str
    agent_id: str
    queue: str = ""
    caller: str = ""
    answered_at: float = 0.0
    waited: float = 0.0
    #: the agent who consults this one about the call (as ``CallOffered.consult_from``); empty
    #: again in the ``CallAnswered`` that follows when a completed transfer hands the caller over
    consult_from: str = ""
    #: who handed the caller on to this agent, when, and their 转接备注 (as ``CallOffered``'s)
    transferred_from: str = ""
    transferred_at: float = 0.0
    transfer_note: str = ""


@event
class CallHeld(Event):
    call_id: str
    agent_id: str
    held: bool
    at: float = 0.0


@event
class CallTransferred(Event):
    call_id: str
    agent_id: str
    kind: str  # "blind" | "attended" | "conference"
    target: str
    at: float = 0.0
    #: a blind transfer's 转接备注 for whoever takes the caller next ("" for none)
    note: str = ""


@event
class CallEnded(Event):
    """The call is over; carries the whole record."""

    call_id: str
    direction: str
    outcome: str  # answered | abandoned_queue | abandoned_ringing | overflow | callback | ivr | failed
    caller: str = ""
    caller_name: str = ""
    dnis: str = ""
    queue: str = ""
    agent_id: str = ""
    agents_offered: tuple[str, ...] = ()
    ivr_path: tuple[str, ...] = ()
    started_at: float = 0.0
    queued_at: float = 0.0
    ringing_at: float = 0.0
    answered_at: float = 0.0
    ended_at: float = 0.0
    hold_seconds: float = 0.0
    hangup_cause: int = 0
    hangup_side: str = ""  # "caller" | "agent" | "system"
    overflow_target: str = ""
    recording: str = ""
    waited: float = 0.0  # seconds in queue before answer or abandon
    #: each agent's time on the call, in the order they came: (agent_id, joined, left); a
    #: transfer, a consultation or a conference gives several
    legs: tuple[tuple[str, float, float], ...] = ()
    #: each time the caller entered a queue, in order: (queue, queued_at, left_at, outcome there,
    #: agent who answered there); a blind transfer to a queue, a consultation completed to one,
    #: an overflow give several. ``queue``, ``queued_at`` and ``waited`` are the last one's
    queue_legs: tuple[tuple[str, float, float, str, str], ...] = ()
    #: the call came over the trunk from another Asterisk server, whose bridge publishes its own
    #: record: this one only adds the legs of this server's agents (``CallModel.relayed``)
    relayed: bool = False


@event
class RecordingReady(Event):
    call_id: str
    path: str
    duration: float
    agent_id: str = ""


@event
class VoicemailReceived(Event):
    call_id: str
    caller: str
    dnis: str
    path: str
    duration: float = 0.0
    reason: str = ""


@event
class FaxReceived(Event):
    call_id: str
    caller: str
    dnis: str
    path: str
    pages: int = 0
    status: str = ""


@event
class AgentStateChanged(Event):
    agent_id: str
    state: str  # logged_out | not_ready | ready | ringing | talking | on_hold | after_call_work
    previous: str
    seconds_in_previous: float
    reason: str = ""
    call_id: str = ""
    seat: str = ""
    at: float = 0.0
    #: on a 话后处理 (after_call_work) event: the pause its end goes to, "" for 就绪: a break asked
    #: for during the call (Asterisk's pause of it gives way to 话后处理's, so the bus is where a
    #: restarted bridge finds it), the pause a round of call-backs was in. None on the other states,
    #: and on events published before it was told (the call's start tells then, ``resync.History``)
    acw_ends_in: str | None = None


@event
class AcwHoldChanged(Event):
    """An intake form's unsaved input about ``call_id`` holds the agent's after-call work past its
    limit (``held``), or the last form holding it let go. The bridge counts the holding tabs; this
    says only whether any does, so every process's agent snapshot carries ``acw_held``."""

    agent_id: str
    call_id: str
    held: bool


@event
class QueueMemberChanged(Event):
    """A seat joined a queue or its penalty changed, or it left (``removed``). Another
    process's mirror keeps the queue's members and the agent's skills from these (pausing
    is in ``AgentStateChanged``)."""

    queue: str
    interface: str
    agent_id: str = ""
    penalty: int = 0
    removed: bool = False


@event
class QueueUpdated(Event):
    """A queue's live counters changed (wallboard feed)."""

    queue: str
    waiting: int
    longest_wait: float
    agents_ready: int
    agents_logged_in: int
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    #: of ``abandoned``, those that hung up within a few seconds of joining (``cti.queues``)
    short_abandoned: int = 0
    overflowed: int = 0
    #: answered within ``service_level_seconds`` of joining. The service level is this ÷ the calls
    #: decided so far: answered + abandoned − short_abandoned + overflowed
    answered_in_sl: int = 0
    service_level_seconds: float = 20.0
    #: the Asterisk server (AMI host:port) whose queue this is: several servers may each have a
    #: queue of this name, and a web process's mirror shows their sum (cti.mirror)
    server: str = ""


@event
class ConsultChanged(Event):
    """An agent's consultation (咨询转接: the caller held while the agent talks with ``target``)
    began (``consulting``), lost its caller, who hung up while held (``caller_gone``: the call's
    record has ended, the agent still talks with the target), or is over (``ended``)."""

    agent_id: str
    call_id: str
    target: str = ""  # agent:<工号> | queue:<name> | number:<number>
    state: str = "consulting"  # consulting | caller_gone | ended
    at: float = 0.0


@event
class ConferenceLeft(Event):
    """A colleague an agent brought into a 三方通话 (``CallTransferred`` kind conference) left it:
    hung up, or never answered the invitation. For the agent who invited them (``agent_id``),
    still on the call with the caller, whose bar says 三方通话 no more."""

    agent_id: str
    call_id: str
    target: str  # agent:<工号>, as the invitation's ``CallTransferred.target``
    at: float = 0.0


@event
class SpyChanged(Event):
    """A supervisor's listen / whisper / barge on an agent's call began, changed mode, or ended
    (``ended``); the whole session each time. For the wallboards only: the agent is not told."""

    spy_id: str
    supervisor: str  # 工号
    agent_id: str
    call_id: str
    mode: str  # listen | whisper | barge
    supervisor_name: str = ""
    started_at: float = 0.0
    ended: bool = False
