"""A simulated seat with a state interface of its own (``Custom:seat-<ext>``, QueueAdd's
StateInterface), on the real Asterisk: its phone's dialplan keeps the state (INUSE while it
talks, NOT_INUSE once it hangs up), and app_queue reads it there. A seat talking on a call that
did not come from the queue is not offered a queue call (ringinuse = no), and is once it hangs up."""

from __future__ import annotations

import asyncio
import time

import pytest

from cti.call_events import CallAnswered, CallEnded, CallOffered
from hotline.runtime import SIM_SEAT_STATE
from tests.cti.harness import QUEUE_A, Story, seat

pytestmark = pytest.mark.asterisk


async def _state(story: Story, interface: str) -> str:
    return (await story.net.action("Getvar", Variable=f"DEVICE_STATE({interface})")).get("Value")


async def _member(story: Story, agent: str) -> dict[str, str]:
    for f in await story.net.action_list("QueueStatus", Queue=QUEUE_A):
        if f.name == "QueueMember" and f.get("Name") == agent:
            return {k: f.get(k) for k in ("Location", "StateInterface", "Status", "Paused", "InCall")}
    raise AssertionError(f"{agent} is not a member of {QUEUE_A}")


async def _until_state(story: Story, interface: str, want: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while (got := await _state(story, interface)) != want:
        assert time.monotonic() < deadline, f"{interface} is {got}, not {want}"
        await asyncio.sleep(0.05)


async def test_a_simulated_seat_busy_on_its_phone_is_not_offered_a_queue_call_until_it_hangs_up(asterisk):
    async with Story(asterisk) as story:
        agent = await story.new_agent(talk="hold")  # the phone stays until the other end hangs up
        state = SIM_SEAT_STATE.format(staff_no=agent)
        await story.net.action("Setvar", Variable=f"DEVICE_STATE({state})", Value="NOT_INUSE")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE_A: 0}, state)).ok
        assert (await story.bridge.ready(agent)).ok
        member = await _member(story, agent)
        assert (member["Location"], member["StateInterface"], member["Paused"]) == (seat(agent), state, "0")

        # A call straight to the seat's phone, not through the queue: 4 s, then the far end hangs up.
        await story.net.action(
            "Originate",
            Channel=seat(agent),
            Context="hotline-sim-caller",
            Exten="04",
            Priority=1,
            Async="true",
        )
        await _until_state(story, state, "INUSE")
        member = await _member(story, agent)
        assert (member["Status"], member["Paused"]) == ("2", "0")  # app_queue sees it in use, not paused

        await story.phone(agent, talk="2")  # the next call it answers lasts 2 s
        queued = time.monotonic()
        await story.call_in(QUEUE_A, stay=20)
        offered = await story.wait_for(CallOffered, agent_id=agent, timeout=15)
        offered_after = time.monotonic() - queued
        # not while its phone was in use (the direct call's 4 s, less the time to set up the second)
        assert offered_after > 2.5, f"offered after {offered_after:.2f} s, while the seat was talking"

        await story.wait_for(CallAnswered, agent_id=agent, call_id=offered.call_id)
        assert await _state(story, state) == "INUSE"  # on the queue call too
        ended = await story.wait_for(CallEnded, call_id=offered.call_id, timeout=10)
        assert ended.outcome == "answered" and ended.agent_id == agent
        await _until_state(story, state, "NOT_INUSE")  # the hang-up handler freed it
