"""A caller who pressed 9 in the queue (call me back, keep my place) chose a callback: the call's
outcome and its queue leg's are ``callback``, neither answered nor abandoned (QA F11: counted as
abandoned_queue, so the abandonment rate rose and ticketing opened a 未接来电 for a caller already
in the callback campaign). The callback AGI script says so (``UserEvent(HotlineCallback)``)
before the caller hangs up; app_queue's exit by key is a QueueCallerLeave without an abandon."""

from __future__ import annotations

from cti.call_events import CallEnded
from tests.cti.test_calls import CALLER_1, CALLER_2, LINKED, World

from .test_queue_timeout_overflow import CALLER_2_UID, _frame, _snapshot


def test_a_callback_request_is_the_queues_callback_not_its_abandon():
    w = World()
    w.incoming(10.0)
    snap = _snapshot(CALLER_2, CALLER_2_UID, "hotline-queue", "general")
    _frame(w, "QueueCallerLeave", 30.0, **snap, Queue="general", Count="0", Position="1")
    _frame(
        w,
        "UserEvent",
        30.5,
        **_snapshot(CALLER_2, CALLER_2_UID, "hotline-queue-exit", "9"),
        UserEvent="HotlineCallback",
        Queue="general",
    )
    w.hangup(CALLER_2, CALLER_2_UID, 36.0)
    w.hangup(CALLER_1, LINKED, 36.0)
    general = w.queues.get("general")
    assert (general.offered, general.answered, general.abandoned, general.overflowed) == (1, 0, 0, 0)
    (ended,) = w.of(CallEnded)
    assert (ended.outcome, ended.queue) == ("callback", "general")
    assert [(q, left, o) for q, _, left, o, _ in ended.queue_legs] == [("general", 30.5, "callback")]
