"""A blind transfer to a queue, answered there, on the real Asterisk: the wallboard counts the
answer in that queue too, so each queue's 呼入 − 接通 − 放弃 − 溢出 − 排队 still adds up, and the
record carries both queue legs (QA: the second queue's row was left a gap of 1)."""

from __future__ import annotations

import pytest

from cti.call_events import AgentStateChanged, CallEnded
from tests.cti.harness import QUEUE_A, QUEUE_B, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk


def _gap(story: Story, name: str) -> int:
    q = story.bridge.queue_board.get(name)
    return q.offered - q.answered - q.abandoned - q.overflowed - len(q.waiting)


async def test_a_caller_transferred_to_a_queue_and_answered_there_is_that_queues_answer(asterisk):
    async with Story(asterisk) as story:
        (first,) = await ready_agents(story, "hold")
        (other,) = await ready_agents(story, "hold", queue=QUEUE_B)
        board = story.bridge.queue_board
        before = board.get(QUEUE_B).answered
        gaps = (_gap(story, QUEUE_A), _gap(story, QUEUE_B))
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        assert (await story.bridge.transfer(first, "queue", QUEUE_B)).ok
        await story.wait_for(AgentStateChanged, agent_id=other, state="talking", timeout=10)
        await story.bridge.flush()
        assert board.get(QUEUE_B).answered == before + 1
        assert (_gap(story, QUEUE_A), _gap(story, QUEUE_B)) == gaps
        assert (await story.bridge.hangup(other)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
        assert (_gap(story, QUEUE_A), _gap(story, QUEUE_B)) == gaps
    assert [(q, outcome, agent) for q, _, _, outcome, agent in ended.queue_legs] == [
        (QUEUE_A, "answered", first),
        (QUEUE_B, "answered", other),
    ]
