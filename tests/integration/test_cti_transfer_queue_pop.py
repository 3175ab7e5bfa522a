"""A blind transfer to a queue, told on the real Asterisk: the member of that queue who rings for
the transferred caller gets one screen-pop for the ring (the queue's AgentCalled), naming the
queue it comes from, not a second one for the seat's leg appearing."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallEnded, CallOffered
from tests.cti.harness import QUEUE_A, QUEUE_B, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk


async def test_the_member_ringing_for_a_caller_transferred_to_their_queue_gets_one_pop(asterisk):
    async with Story(asterisk) as story:
        (first,) = await ready_agents(story, "hold")
        (other,) = await ready_agents(story, "hold", queue=QUEUE_B)
        await story.phone(other, ring="2", talk="hold")  # a ring of two seconds, then the answer
        await story.call_in(QUEUE_A, caller="13900139001", name="李四", stay=30)
        call_id = await answered_by(story, first)
        assert (await story.bridge.transfer(first, "queue", QUEUE_B)).ok
        await story.wait_for(AgentStateChanged, agent_id=other, state="talking", timeout=10)
        await story.bridge.flush()
        await asyncio.sleep(0.3)
        pops = story.of(CallOffered, call_id=call_id, agent_id=other)
        assert len(pops) == 1, pops
        (pop,) = pops
        assert (pop.queue, pop.caller, pop.caller_name) == (QUEUE_B, "13900139001", "李四"), pop
        assert len(story.of(CallOffered, call_id=call_id, agent_id=first)) == 1
        assert (await story.bridge.hangup(other)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert (ended.agent_id, ended.queue) == (other, QUEUE_B)
    assert len(story.of(CallOffered, call_id=call_id, agent_id=other)) == 1
