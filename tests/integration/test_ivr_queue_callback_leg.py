"""Pressing 9 in the queue on the real Asterisk: the caller's queue leg ends as a callback, not an
abandon (QA F11), a number given as +86… is called back too, and a caller whose number is withheld
keeps their place: their 9 does nothing (QA F5; it used to take them out of the queue to hear that a
callback needs a number and queue them again, at the back)."""

from __future__ import annotations

import asyncio

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


async def test_a_caller_with_an_international_number_is_called_back(harness):
    caller = "+86" + unique_caller()
    async with harness.member("aftersales", "2978"):
        await harness.call("95590", caller, dtmf="9", delay=3, stay=20)
        join = await harness.wait_event(joined(caller))
        requested = await harness.wait_bus(CallbackRequested, lambda e: e.call_id == join.get("Linkedid"))
        assert requested.caller == caller[3:]  # normalised: the mobile's 11 digits
        await harness.hangup_caller(caller)


async def positions(harness, queue: str) -> dict[str, int]:
    """Each waiting caller's channel in ``queue`` and their place in it, as app_queue has them."""
    return {
        f.get("Channel"): int(f.get("Position"))
        for f in await harness.ami.action_list("QueueStatus", Queue=queue)
        if f.name == "QueueEntry"
    }


async def test_a_withheld_callers_9_keeps_their_place_in_the_queue(harness):
    behind = unique_caller()
    async with harness.member("aftersales", "2977"):
        await harness.call("95590", "anonymous", stay=30)
        first = await harness.wait_event(joined("anonymous"))
        withheld = first.get("Channel")
        await harness.call("95590", behind, stay=30)
        second = await harness.wait_event(joined(behind))
        try:
            assert (await positions(harness, "aftersales"))[withheld] < int(second.get("Position"))
            before = await positions(harness, "aftersales")
            await harness.press("anonymous", "9")
            # The old dialplan took them out at once, for the AGI's 3 s "callback needs a number",
            # and queued them again behind the caller who joined after them.
            await asyncio.sleep(6)
            left = [
                f for f in harness.events if f.name == "QueueCallerLeave" and f.get("Channel") == withheld
            ]
            assert left == [], "the withheld caller's 9 took them out of the queue"
            assert await positions(harness, "aftersales") == before
        finally:
            await harness.hangup_caller("anonymous")
            await harness.hangup_caller(behind)
    with pytest.raises(AssertionError):
        await harness.wait_bus(CallbackRequested, lambda e: e.call_id == first.get("Linkedid"), timeout=1)
