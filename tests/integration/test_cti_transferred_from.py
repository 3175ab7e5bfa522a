"""On the real Asterisk a caller handed on to a colleague rings and is answered on their seat
saying who handed them on and when (``transferred_from``, ``transferred_at``: the pop's 转接自 1001,
QA 2026-11-29 #9): a blind transfer to the colleague, one to a queue they answer in, and a
consultation completed into a transfer (whose ring said only 咨询来电). A blind transfer's 转接备注
(``transfer_note``) comes with it, on the colleague's and on the queue member's ring and answer."""

from __future__ import annotations

import time

import pytest

from cti.call_events import CallAnswered, CallOffered
from tests.cti.harness import QUEUE_B, Story, answered_by, consulting, ready_agents

pytestmark = pytest.mark.asterisk
NOTE = "客户说电表一直跳闸，户号 0301234567"


async def _answered_while_the_colleague_waits(story: Story, second_queue: str) -> tuple[str, str, str]:
    (first,) = await ready_agents(story, "hold")
    (second,) = await ready_agents(story, "hold", queue=second_queue)
    await story.bridge.pause(second, "小休")  # so the queue offers the call to `first`
    await story.call_in("cti-a", stay=20)
    call_id = await answered_by(story, first)
    await story.bridge.pause(first, "小休")  # the caller must not come straight back to them
    assert (await story.bridge.ready(second)).ok
    return first, second, call_id


async def test_a_blind_transfer_to_the_colleague_says_who_handed_the_caller_on(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await _answered_while_the_colleague_waits(story, "cti-a")
        before = time.time()
        assert (await story.bridge.transfer(first, "agent", second, note=NOTE)).ok
        offered = await story.wait_for(CallOffered, call_id=call_id, agent_id=second)
        answered = await story.wait_for(CallAnswered, call_id=call_id, agent_id=second)
    assert (offered.transferred_from, answered.transferred_from) == (first, first)
    assert (offered.transfer_note, answered.transfer_note) == (NOTE, NOTE)
    assert before <= offered.transferred_at == answered.transferred_at <= time.time()


async def test_a_blind_transfer_to_a_queue_says_it_on_the_member_who_answers_there(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await _answered_while_the_colleague_waits(story, QUEUE_B)
        assert (await story.bridge.transfer(first, "queue", QUEUE_B, note=NOTE)).ok
        offered = await story.wait_for(CallOffered, call_id=call_id, agent_id=second)
        answered = await story.wait_for(CallAnswered, call_id=call_id, agent_id=second)
    assert (offered.queue, offered.transferred_from, answered.transferred_from) == (QUEUE_B, first, first)
    assert (offered.transfer_note, answered.transfer_note) == (NOTE, NOTE)


async def test_a_completed_consultation_is_announced_as_handed_on_by_the_agent_who_asked(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await consulting(story)
        asked = await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, consult_from=first)
        assert (await story.bridge.complete_transfer(first)).ok
        theirs = await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, consult_from="")
    (offered,) = story.of(CallOffered, call_id=call_id, agent_id=second)
    assert (offered.transferred_from, asked.transferred_from) == ("", "")
    assert theirs.transferred_from == first and theirs.transferred_at > asked.answered_at
