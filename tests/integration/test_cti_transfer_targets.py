"""Transfers and consultations to a colleague, a queue or a number, on the real Asterisk:
where the bridge dials each kind of target, and what a target who does not answer means."""

from __future__ import annotations

import asyncio

import pytest

from cti import resync
from cti.call_events import AgentStateChanged, CallEnded, ConsultChanged
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
