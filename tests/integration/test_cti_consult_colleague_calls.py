"""The colleague consulted (咨询转接) on the real Asterisk, with after-call work on: their ring and
answer name the agent who consults (``consult_from``); a consultation cancelled takes them back to
就绪, not 话后处理; completed, the caller is theirs (announced again without ``consult_from``) and
their hang-up ends in 话后处理 as after any transfer."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered
from tests.cti.harness import Story, consulting

pytestmark = pytest.mark.asterisk


async def _consulted(story: Story) -> tuple[str, str, str]:
    first, second, call_id = await consulting(story)
    await story.wait_for(CallAnswered, call_id=call_id, agent_id=second)
    assert [e.consult_from for e in story.of(CallOffered, call_id=call_id, agent_id=second)] == [first]
    assert [e.consult_from for e in story.of(CallAnswered, call_id=call_id, agent_id=second)] == [first]
    return first, second, call_id


async def test_a_cancelled_consultation_leaves_the_colleague_ready_not_in_after_call_work(asterisk):
    async with Story(asterisk, acw_seconds=30) as story:
        first, second, call_id = await _consulted(story)
        assert (await story.bridge.cancel_transfer(first)).ok
        back = await story.wait_for(
            AgentStateChanged, agent_id=second, where=lambda e: e.previous == "talking"
        )
        assert (back.state, back.call_id) == ("ready", "")
        await asyncio.sleep(0.3)
        assert story.bridge.agent(second)["state"] == "ready"
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(AgentStateChanged, agent_id=first, state="after_call_work")
    assert ended.agent_id == first
    assert not story.of(AgentStateChanged, agent_id=second, state="after_call_work")


async def test_a_completed_consultation_hands_the_colleague_the_caller_and_their_write_up(asterisk):
    async with Story(asterisk, acw_seconds=30) as story:
        first, second, call_id = await _consulted(story)
        assert (await story.bridge.complete_transfer(first)).ok
        # the same leg announced again, now as the colleague's own caller
        await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, consult_from="")
        assert (await story.bridge.hangup(second)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(AgentStateChanged, agent_id=second, state="after_call_work")
    assert ended.agent_id == second
