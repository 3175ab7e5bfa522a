"""A break asked for during a call (小休 while talking: the seat goes 未就绪 with it after the call
and its 话后处理) across a bridge restart (a process restart, a standby taking over), on the real
Asterisk: the request lived in the old bridge's memory only, but Asterisk keeps the seat paused
in its queues with the break's reason, and the new bridge ends the call there, as the old one
would have, not 就绪 while Asterisk still has the seat paused."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallEnded
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents
from tests.cti.harness import seat as seat_of

pytestmark = pytest.mark.asterisk


async def _restart(story: Story) -> int:
    """The bridge process dies (the bus stays) and a new one starts; the bus's last seq before it."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await story.start_bridge()
    return cut


async def _member(story: Story, agent: str) -> tuple[str, str]:
    status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
    [member] = [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]
    return member["Paused"], member["PausedReason"]


async def _break_asked_on_a_call(story: Story) -> tuple[str, str]:
    (agent,) = await ready_agents(story, "hold")
    await story.call_in(QUEUE_A, stay=30)
    call_id = await answered_by(story, agent)
    result = await story.bridge.pause(agent, "小休")
    assert result.ok and result.data["pending"] == "not_ready", result
    assert await _member(story, agent) == ("1", "小休")
    return agent, call_id


async def test_a_break_asked_for_during_the_call_survives_a_restart(asterisk):
    async with Story(asterisk) as story:
        agent, call_id = await _break_asked_on_a_call(story)
        cut = await _restart(story)
        assert story.bridge.agent(agent)["state"] == "talking"  # the call goes on

        assert (await story.bridge.hangup(agent)).ok
        await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(
            AgentStateChanged, agent_id=agent, where=lambda e: e.seq > cut and e.previous == "talking"
        )
        await asyncio.sleep(0.3)
        assert (story.bridge.agent(agent)["state"], story.bridge.agent(agent)["reason"]) == (
            "not_ready",
            "小休",
        )
        assert await _member(story, agent) == ("1", "小休")  # the bus and Asterisk agree
    after = [(e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert after == [("not_ready", "小休")]


async def test_the_break_follows_the_after_call_work_of_a_call_a_restart_came_in(asterisk):
    async with Story(asterisk, acw_seconds=30) as story:
        agent, call_id = await _break_asked_on_a_call(story)
        cut = await _restart(story)

        assert (await story.bridge.hangup(agent)).ok
        await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(
            AgentStateChanged, agent_id=agent, state="after_call_work", where=lambda e: e.seq > cut
        )
        assert (await story.bridge.wrapup_done(agent)).ok  # 话后处理完毕
        await story.wait_for(
            AgentStateChanged, agent_id=agent, where=lambda e: e.seq > cut and e.previous == "after_call_work"
        )
        await asyncio.sleep(0.3)
        assert (story.bridge.agent(agent)["state"], story.bridge.agent(agent)["reason"]) == (
            "not_ready",
            "小休",
        )
        assert await _member(story, agent) == ("1", "小休")
    after = [(e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert after == [("after_call_work", "话后处理"), ("not_ready", "小休")]


async def test_a_seat_asterisk_has_unpaused_ends_its_call_ready_not_in_the_break_the_bus_last_told(asterisk):
    """The reverse: the bus last told 未就绪·小休, but the seat is not paused in Asterisk (its 就绪
    reached Asterisk, the bridge died before publishing it) and took a call while no bridge ran:
    the new bridge ends that call 就绪, as Asterisk has it, not 未就绪 with a seat it offers calls."""
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        assert (await story.bridge.pause(agent, "小休")).ok
        await story.bridge.flush()
        await story.bridge.stop()
        cut = max(e.seq for e in await story.bus.replay(0, 100_000))
        await story.net.action("QueuePause", Interface=seat_of(agent), Paused="false")
        await story.call_in(QUEUE_A, stay=30)
        for _ in range(100):  # answered while no bridge watched
            channels = await story.net.action_list("CoreShowChannels")
            if any(f.get("Channel").startswith(f"Local/{agent}@") and f.get("BridgeId") for f in channels):
                break
            await asyncio.sleep(0.1)
        await story.start_bridge()
        assert story.bridge.agent(agent)["state"] == "talking"

        assert (await story.bridge.hangup(agent)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=agent, where=lambda e: e.seq > cut and e.previous == "talking"
        )
        await asyncio.sleep(0.3)
        assert (story.bridge.agent(agent)["state"], story.bridge.agent(agent)["reason"]) == ("ready", "")
        assert await _member(story, agent) == ("0", "")
