"""Pressing 9 in the queue on the real Asterisk: the caller's queue leg ends as a callback, not an
abandon (QA F11), and a caller whose number is withheld is not taken out of the queue for a
callback nobody could place (QA F5)."""

from __future__ import annotations

import pytest
from ivr_harness import ami_fixture, harness_fixture, joined, unique_caller

from cti.agents import AgentBook
from cti.call_events import CallEnded
from cti.calls import CallModel
from cti.queues import QueueBoard
from ivr import CallbackRequested

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture", "harness_fixture"]


async def test_a_callback_request_ends_the_queue_leg_as_a_callback(harness):
    caller = unique_caller()
    async with harness.member("aftersales", "2976"):
        await harness.call("95590", caller, dtmf="9", delay=3, stay=20)
        join = await harness.wait_event(joined(caller))
        linked = join.get("Linkedid")
        told = await harness.wait_event(
            lambda f: f.get("UserEvent") == "HotlineCallback" and f.get("Linkedid") == linked
        )
        assert told.get("Queue") == "aftersales"
        await harness.wait_event(lambda f: f.name == "Hangup" and f.get("Channel") == join.get("Channel"))
    # the call model on this call's frames as Asterisk sent them
    events: list = []
    agents = AgentBook(events.append)
    queues = QueueBoard(events.append, agents)
    model = CallModel(events.append, agents, queues)
    for frame in list(harness.events):
        if frame.get("Linkedid") == linked:
            model.handle(frame)
    (ended,) = [e for e in events if isinstance(e, CallEnded)]
    assert ended.outcome == "callback"
    assert [o for _, _, _, o, _ in ended.queue_legs] == ["callback"]
    board = queues.get("aftersales")
    assert (board.abandoned, board.answered) == (0, 0)


async def test_a_withheld_caller_pressing_9_stays_in_the_queue(harness):
    async with harness.member("aftersales", "2977"):
        await harness.call("95590", "anonymous", dtmf="9", delay=3, stay=12)
        first = await harness.wait_event(joined("anonymous"))
        again = await harness.wait_event(
            lambda f: joined("anonymous")(f) and f is not first and f.get("Channel") == first.get("Channel"),
            timeout=15,
        )
        assert again.get("Queue") == "aftersales"
        await harness.hangup_caller("anonymous")
    with pytest.raises(AssertionError):
        await harness.wait_bus(CallbackRequested, lambda e: e.call_id == first.get("Linkedid"), timeout=1)
