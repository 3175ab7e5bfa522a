"""A seat rung with a queue's offer when the bridge restarts (a process restart, a standby taking
over), on the real Asterisk: the new bridge finds the seat's channel ringing for the call (live
channels, not answered, in no bridge) and shows the seat 振铃 for that call, not 就绪; the answer
or the ring-no-answer that follows is handled as usual."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallAnswered, CallEnded
from tests.cti.harness import QUEUE_A, Story, ready_agents

pytestmark = pytest.mark.asterisk


async def _restart(story: Story) -> int:
    """The bridge process dies (the bus stays) and a new one starts; the bus's last seq before it."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await story.start_bridge()
    return cut


async def _ringing(story: Story, ring: str) -> tuple[str, str]:
    """A ready agent whose phone rings ``ring`` seconds (never: until the queue's 3 s are up)
    with a QUEUE_A caller's offer: (agent, call id)."""
    (agent,) = await ready_agents(story, "hold")
    await story.phone(agent, ring=ring, talk="hold")
    await story.call_in(QUEUE_A, caller="13700137000", stay=30)
    rung = await story.wait_for(AgentStateChanged, agent_id=agent, state="ringing")
    return agent, rung.call_id


def _shown(story: Story, agent: str) -> tuple[str, str]:
    seat = story.bridge.agent(agent)
    return seat["state"], seat["call_id"]


async def test_a_seat_ringing_at_the_restart_shows_ringing_and_its_answer_is_the_call(asterisk):
    async with Story(asterisk) as story:
        agent, call_id = await _ringing(story, "2")
        cut = await _restart(story)
        assert _shown(story, agent) == ("ringing", call_id)
        assert list(next(c for c in story.bridge.calls() if c["call_id"] == call_id)["ringing"]) == [agent]

        answered = await story.wait_for(CallAnswered, call_id=call_id, agent_id=agent, timeout=5)
        await story.wait_for(AgentStateChanged, agent_id=agent, state="talking", where=lambda e: e.seq > cut)
        assert _shown(story, agent) == ("talking", call_id)
        assert (await story.bridge.hangup(agent)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    after = [(e.state, e.previous) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert after == [("talking", "ringing"), ("ready", "talking")]
    assert (ended.outcome, ended.agent_id, ended.answered_at) == ("answered", agent, answered.answered_at)
    assert list(ended.agents_offered) == [agent]


async def test_a_seat_ringing_at_the_restart_that_lets_it_ring_out_is_not_ready_missed(asterisk):
    async with Story(asterisk) as story:
        agent, call_id = await _ringing(story, "never")
        cut = await _restart(story)
        assert _shown(story, agent) == ("ringing", call_id)

        await story.wait_for(
            AgentStateChanged, agent_id=agent, state="not_ready", where=lambda e: e.seq > cut, timeout=6
        )
        await asyncio.sleep(0.5)
        assert (story.bridge.agent(agent)["state"], story.bridge.agent(agent)["reason"]) == (
            "not_ready",
            "未接",
        )
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        [member] = [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]
        assert (member["Paused"], member["PausedReason"]) == ("1", "未接")  # not offered the next call
    after = [
        (e.state, e.previous, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut
    ]
    assert after == [("not_ready", "ringing", "未接")]
