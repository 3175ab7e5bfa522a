"""三方通话 on the real Asterisk: the room belongs to the agents; the caller leaves with the last."""

from __future__ import annotations

import asyncio
import time

import pytest

from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, ConferenceLeft
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk


async def _in_room(story: Story, room: str) -> list[dict]:
    """The channels in the call's conference room (the ConfBridge is named after the call id)."""
    return [
        c
        for c in await story.net.action_list("CoreShowChannels")
        if c.get("Application") == "ConfBridge" and c.get("ApplicationData").split(",")[0] == room
    ]


async def test_the_caller_is_hung_up_when_the_last_agent_leaves_the_conference(asterisk):
    """The colleague leaves, then the host hangs up: the caller (who would stay 30 s) is not
    left alone in the room; the call ends at once, on the record as the agents' hang-up."""
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        assert (await story.bridge.conference(first, second)).ok
        await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
        await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, timeout=10)
        for _ in range(100):  # the caller may reach the room after both agents
            if len(await _in_room(story, call_id)) == 3:
                break
            await asyncio.sleep(0.05)
        assert len(await _in_room(story, call_id)) == 3
        assert not story.of(ConferenceLeft, call_id=call_id)
        assert (await story.bridge.hangup(second)).ok  # the colleague leaves: the call goes on
        # the host is told (their bar's 三方通话 goes), the call still theirs with the caller
        left = await story.wait_for(ConferenceLeft, call_id=call_id, timeout=6)
        assert (left.agent_id, left.target) == (first, f"agent:{second}")
        await asyncio.sleep(1.0)
        assert not story.of(CallEnded, call_id=call_id)
        assert len(await _in_room(story, call_id)) == 2
        assert story.bridge.model.calls[call_id].snapshot()["invited"] == {}
        hung_up = time.time()
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=6)
        assert not await _in_room(story, call_id)
    assert ended.outcome == "answered"
    assert ended.ended_at - hung_up < 3, ended
    assert ended.hangup_side == "agent", ended


async def test_the_caller_stays_with_the_colleague_when_the_host_leaves_first(asterisk):
    """Only the last agent's leaving ends it: the host hangs up, the caller and the colleague
    talk on, and the colleague's 挂断 ends the call."""
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        assert (await story.bridge.conference(first, second)).ok
        await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, timeout=10)
        for _ in range(100):
            if len(await _in_room(story, call_id)) == 3:
                break
            await asyncio.sleep(0.05)
        assert (await story.bridge.hangup(first)).ok
        await asyncio.sleep(1.0)
        assert not story.of(CallEnded, call_id=call_id)
        assert len(await _in_room(story, call_id)) == 2  # the caller and the colleague
        hung_up = time.time()
        assert (await story.bridge.hangup(second)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=6)
    assert ended.ended_at - hung_up < 3, ended
    assert [leg[0] for leg in ended.legs] == [first, second]
    assert not story.of(ConferenceLeft, call_id=call_id)  # the host had gone: nobody to tell
