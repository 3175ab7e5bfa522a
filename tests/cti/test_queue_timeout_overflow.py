"""A caller whose wait in a queue times out goes on in the dialplan (HotlineOverflow, then the
voicemail): that queue's overflow on the board, not its abandon (the 200-call story's board
counted every timeout as an abandon and none as an overflow).

app_queue says QueueCallerAbandon for a timeout as for a caller who hangs up (``record_abandoned``
before EXITWITHTIMEOUT), then QueueCallerLeave; only what follows tells them apart. The frames
below are laid out as Asterisk 22 sends them (a channel's snapshot first, then the event's own
fields; the UserEvent's Linkedid twice)."""

from __future__ import annotations

from cti.ami.protocol import Frame
from cti.call_events import CallEnded
from tests.cti.test_calls import AGENT_CH, CALLER_1, CALLER_2, LINKED, World

CALLER_2_UID = "1700000000.2"


def _snapshot(channel: str, uid: str, context: str, exten: str) -> dict[str, str]:
    return {
        "Channel": channel,
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "13800138000",
        "CallerIDName": "Zhang",
        "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>",
        "Language": "zh",
        "AccountCode": "",
        "Context": context,
        "Exten": exten,
        "Priority": "9",
        "Uniqueid": uid,
        "Linkedid": LINKED,
    }


def _frame(w: World, name: str, at: float, **fields: str) -> None:
    w.model.handle(Frame.build(Event=name, Privilege="call,all", Timestamp=f"{at:.6f}", **fields))


def _times_out_in_general(w: World, at: float) -> None:
    """The wait in ``general`` times out at ``at``: app_queue's abandon and leave, as it sends them."""
    queue_snap = _snapshot(CALLER_2, CALLER_2_UID, "hotline-queue", "general")
    _frame(
        w,
        "QueueCallerAbandon",
        at,
        **queue_snap,
        Queue="general",
        Position="1",
        OriginalPosition="1",
        HoldTime="4",
    )
    _frame(w, "QueueCallerLeave", at, **queue_snap, Queue="general", Count="0", Position="1")


def _overflows_to_voicemail(w: World, at: float) -> None:
    _frame(
        w,
        "UserEvent",
        at,
        **_snapshot(CALLER_2, CALLER_2_UID, "hotline-queue", "general"),
        UserEvent="HotlineOverflow",
        Queue="general",
        Reason="TIMEOUT",
        Target="",
    )
    # the dialplan goes on to hotline-voicemail: the caller leaves a message, then hangs up
    _frame(
        w,
        "Newexten",
        at,
        **_snapshot(CALLER_2, CALLER_2_UID, "hotline-voicemail", "95598"),
        Application="Set",
    )


def test_a_queue_timeout_that_goes_to_the_voicemail_is_the_queues_overflow_not_its_abandon():
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed(
        "AgentRingNoAnswer",
        14.0,
        Channel=CALLER_2,
        Queue="general",
        Interface="Local/2001@hotline-sim-phone/n",
    )
    w.hangup(AGENT_CH, "1700000000.3", 14.0)
    _times_out_in_general(w, 14.01)
    _overflows_to_voicemail(w, 14.02)
    general = w.queues.get("general")
    # counted when the dialplan says so, not when the caller hangs up in the voicemail
    assert (general.offered, general.overflowed, general.abandoned, general.answered) == (1, 1, 0, 0)
    assert not general.waiting
    w.hangup(CALLER_2, CALLER_2_UID, 40.0)
    w.hangup(CALLER_1, LINKED, 40.0)
    (ended,) = w.of(CallEnded)
    assert (ended.outcome, ended.overflow_target, ended.queue) == ("overflow", "voicemail", "general")
    assert [(q, round(left - queued, 2), o) for q, queued, left, o, _ in ended.queue_legs] == [
        ("general", 4.0, "overflow")
    ]
    assert (general.offered, general.overflowed, general.abandoned, general.answered) == (1, 1, 0, 0)


def test_a_timeout_overflowing_to_another_queue_is_the_first_queues_overflow():
    w = World()
    w.incoming(10.0)
    _times_out_in_general(w, 14.01)
    _frame(
        w,
        "UserEvent",
        14.02,
        **_snapshot(CALLER_2, CALLER_2_UID, "hotline-queue", "general"),
        UserEvent="HotlineOverflow",
        Queue="general",
        Reason="TIMEOUT",
        Target="queue:fault",
    )
    w.feed("QueueCallerJoin", 14.03, Channel=CALLER_2, Queue="fault", Position="1", CallerIDNum="13800138000")
    w.feed("QueueCallerAbandon", 20.0, Channel=CALLER_2, Queue="fault")
    w.feed("QueueCallerLeave", 20.0, Channel=CALLER_2, Queue="fault")
    w.hangup(CALLER_2, CALLER_2_UID, 20.0)
    w.hangup(CALLER_1, LINKED, 20.0)
    general, fault = w.queues.get("general"), w.queues.get("fault")
    assert (general.offered, general.overflowed, general.abandoned) == (1, 1, 0)
    assert (fault.offered, fault.overflowed, fault.abandoned) == (1, 0, 1)
    (ended,) = w.of(CallEnded)
    assert [(q, o) for q, _, _, o, _ in ended.queue_legs] == [
        ("general", "overflow"),
        ("fault", "abandoned_queue"),
    ]
