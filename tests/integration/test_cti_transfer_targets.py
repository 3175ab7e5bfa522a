"""Transfers and consultations to a colleague, a queue or a number, on the real Asterisk:
where the bridge dials each kind of target, and what a target who does not answer means."""

from __future__ import annotations

import asyncio

import pytest

from cti import resync
from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered, ConsultChanged
from cti.commands import service
from tests.cti.harness import QUEUE_A, QUEUE_B, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk


async def restart(story: Story) -> int:
    """The bridge process dies (the bus stays) and a new one starts; the bus's last seq before it."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await story.start_bridge()
    return cut


async def test_a_restart_finds_a_consultation_leg_in_the_context_the_consultation_dialled(
    asterisk, monkeypatch
):
    """One mapping names the context for each kind of target: the consultation dials it, and a
    restarted bridge, finding the leg before the target answers (no bridge to tell it by), looks
    for it there (its bridge with the agent's leg tells it too). Moved to another queueing
    context, both follow."""
    monkeypatch.setitem(service.TARGET_CONTEXTS, "queue", "hotline-bench-queue")
    async with Story(asterisk) as story:
        (first,) = await ready_agents(story, "hold")
        other = await story.new_agent(ring="never", talk="hold")
        assert (await story.bridge.login(other, f"Local/{other}@hotline-sim-phone/n", {QUEUE_B: 0})).ok
        assert (await story.bridge.ready(other)).ok
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, first)
        assert (await story.bridge.consult(first, "queue", QUEUE_B)).ok
        await story.wait_for(AgentStateChanged, agent_id=first, state="on_hold")
        await story.wait_for(AgentStateChanged, agent_id=other, state="ringing")
        legs = [
            c["Channel"]
            for c in await story.net.action_list("CoreShowChannels")
            if c.get("Linkedid") == call_id and c.get("Channel").startswith("Local/")
        ]
        assert any(leg.startswith(f"Local/{QUEUE_B}@hotline-bench-queue-") for leg in legs), legs
        # and a restarted bridge knows the leg by that name (the target's, not the caller's)
        assert [leg for leg in legs if leg.startswith(resync._consult_leg(f"queue:{QUEUE_B}"))], legs
        cut = await restart(story)
        # still consulting: 完成转接 / 取消咨询 stay, the caller still held
        assert story.bridge.agent(first)["consult"] == {
            "call_id": call_id,
            "target": f"queue:{QUEUE_B}",
            "caller_gone": False,
        }
        assert story.bridge.agent(first)["state"] == "on_hold"
        await story.bridge.flush()
        assert not [e for e in story.events if e.seq > cut and isinstance(e, ConsultChanged)]
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.seq > cut)
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
        await asyncio.sleep(0.2)
    assert ended.agent_id == first
    assert [e.state for e in story.of(ConsultChanged, agent_id=first)] == ["consulting", "ended"]


async def member(story: Story, queue: str, agent: str) -> tuple[str, str]:
    """(Paused, PausedReason) of ``agent`` in ``queue``, as Asterisk has them."""
    status = await story.net.action_list("QueueStatus", Queue=queue)
    found = next(f for f in status if f.name == "QueueMember" and f.get("Name") == agent)
    return found["Paused"], found.get("PausedReason")


async def test_a_colleague_who_lets_a_blind_transfer_ring_out_is_not_ready_missed(asterisk):
    """As when a queue's offer rings out (未就绪·未接): the caller, back in the queue they came
    from, is not offered to the absent colleague again, and waits for the next agent."""
    async with Story(asterisk) as story:
        first, second, third = await ready_agents(story, "hold", "hold", "hold")
        await story.phone(second, ring="never")
        for agent in (second, third):
            await story.bridge.pause(agent, "小休")  # so the queue offers the call to `first`
        await story.call_in(QUEUE_A, stay=30, variables=("HOTLINE_XFER_TIMEOUT=2",))
        call_id = await answered_by(story, first)
        assert (await story.bridge.ready(second)).ok
        await story.bridge.pause(first, "小休")  # the caller must not come straight back to them
        assert (await story.bridge.transfer(first, "agent", second)).ok
        await story.wait_for(AgentStateChanged, agent_id=second, state="ringing")
        missed = await story.wait_for(
            AgentStateChanged, agent_id=second, state="not_ready", reason="未接", timeout=6
        )
        assert story.bridge.agent(second)["state"] == "not_ready"
        assert story.bridge.agent(second)["reason"] == "未接"
        assert await member(story, QUEUE_A, second) == ("1", "未接")
        # the caller waits in QUEUE_A (not hung up), where the colleague is a member: not offered
        await asyncio.sleep(2.0)
        assert len(story.of(CallOffered, call_id=call_id, agent_id=second)) == 1
        assert not story.of(CallEnded, call_id=call_id)
        assert story.bridge.agent(second)["state"] == "not_ready"
        # the next agent to be ready takes them
        assert (await story.bridge.ready(third)).ok
        await story.wait_for(CallAnswered, call_id=call_id, agent_id=third, timeout=10)
        assert (await story.bridge.hangup(third)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
        await story.bridge.flush()
    assert (ended.outcome, ended.agent_id) == ("answered", third)
    assert [leg[0] for leg in ended.legs] == [first, third]
    assert story.agent_states(second)[-1] == ("not_ready", "未接")
    # straight from 振铃 to 未接, as a queue's offer that rang out: no 就绪 in between
    assert missed.previous == "ringing"
    states = story.agent_states(second)
    assert states[states.index(("ringing", "")) + 1] == ("not_ready", "未接"), states
