"""A call answered in one queue and handed to a second (a blind transfer to a queue) keeps its
first queue's leg on the wallboard's 今日 figures while it waits in the second, as the queue
report counts it once it ends: a queue's 呼入/接通 never go down on a transfer."""

from __future__ import annotations

import dataclasses

from agent_ui.board_today import in_progress
from cti.calls import Call
from cti.queue_calls import QueueLeg


def _transferred() -> dict:
    call = Call(call_id="c1", direction="inbound", queue="fault", queued_at=160.0, answered_at=112.0)
    call.waited = 12.0
    call.queue_legs = [QueueLeg("general", 100.0, 112.0, "answered", "1001"), QueueLeg("fault", 160.0)]
    return call.snapshot()


def test_a_call_answered_in_a_then_waiting_in_b_keeps_as_figures():
    live = in_progress([_transferred()])
    general = live["general"]
    assert (general.offered, general.answered, general.answered_in_sl) == (1, 1, 1)
    assert general.wait_answered == 12.0
    assert "fault" not in live  # still waiting there: not decided yet


def test_then_answered_in_b_counts_in_both_as_the_report_will():
    call = _transferred()
    call["queue_legs"][1].update(left_at=190.0, outcome="answered", agent_id="1002")
    live = in_progress([call])
    assert (live["general"].offered, live["general"].answered) == (1, 1)
    fault = live["fault"]
    assert (fault.offered, fault.answered, fault.answered_in_sl, fault.wait_answered) == (1, 1, 0, 30.0)


def test_a_leg_left_unanswered_is_offered_there():
    call = dataclasses.replace(Call(call_id="c2", direction="inbound", queue="fault", queued_at=130.0))
    call.queue_legs = [QueueLeg("general", 100.0, 130.0, "overflow"), QueueLeg("fault", 130.0)]
    live = in_progress([call.snapshot()])
    assert (live["general"].offered, live["general"].answered) == (1, 0)


def test_the_mirror_keeps_the_legs_for_a_web_process():
    from cti.call_events import CallAnswered, CallQueued, CallStarted
    from cti.mirror import BridgeMirror

    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in (
        CallStarted(call_id="c1", direction="inbound", caller="13800001111", started_at=99.0),
        CallQueued(call_id="c1", queue="general", queued_at=100.0),
        CallAnswered(call_id="c1", agent_id="1001", queue="general", answered_at=112.0, waited=12.0),
        CallQueued(call_id="c1", queue="fault", queued_at=160.0),  # blind transfer to fault
    ):
        mirror.apply(event)
    live = in_progress(mirror.calls())
    assert (live["general"].offered, live["general"].answered, live["general"].wait_answered) == (1, 1, 12.0)
    assert "fault" not in live
