"""Events the IVR publishes (the CTI contract lives in ``cti.call_events``).

A fault report left in the IVR is published as ``cti.call_events.VoicemailReceived``
with ``reason="fault_report"``; ticketing turns it into a fault ticket.
"""

from __future__ import annotations

from cti.events import Event, event


@event
class CallbackRequested(Event):
    """The caller chose to be called back instead of waiting.

    ``entered_at`` is when the call arrived: the dialer orders callbacks by it so
    the caller keeps their place in ``queue`` (same ``priority``).
    """

    call_id: str
    caller: str
    dnis: str = ""
    queue: str = ""
    priority: int = 0
    entered_at: float = 0.0
    requested_at: float = 0.0
    customer_id: str = ""
    ivr_path: tuple[str, ...] = ()
    source: str = "ivr"  # "ivr" (a menu choice) | "queue" (pressed 9 while waiting)


@event
class IvrFinished(Event):
    """A caller left the IVR: where they went and what they pressed (self-service reports)."""

    call_id: str
    caller: str = ""
    dnis: str = ""
    flow: str = ""
    path: tuple[str, ...] = ()
    outcome: str = ""  # queue | voicemail | hangup | self_service | caller_hangup
    queue: str = ""
    self_service: tuple[str, ...] = ()  # the self-service steps used (outage, bill, …)


@event
class SurveyAnswered(Event):
    """A caller rated the call after the agent hung up (press 1-5; 5 = very satisfied)."""

    call_id: str
    score: int
    caller: str = ""
    dnis: str = ""
    queue: str = ""
    member: str = ""  # the queue member's name (MEMBERNAME), i.e. the agent who took the call
    member_interface: str = ""
    answered_at: float = 0.0
