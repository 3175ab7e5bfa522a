"""A sign-out waiting for a call (账号停用, 班长强制下班: ``sign_out_seat`` of a talking seat)
across a bridge restart (a process restart, a standby taking over), on the real Asterisk: the
seat, paused in its queues with the sign-out's reason, is still signed out when the call ends
under the new bridge, or at its first resync when the call ended while no bridge watched."""

from __future__ import annotations

import asyncio

import pytest

from cti import agents as A
from cti.call_events import AgentStateChanged, CallEnded
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk


async def _restart(story: Story, between=None) -> int:
    """The bridge process dies (the bus stays) and a new one starts; the bus's last seq before it.
    ``between``: what happens while no bridge runs."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    if between is not None:
        await between()
    await story.start_bridge()
    return cut


async def _members(story: Story, agent: str) -> list:
    status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
    return [f for f in status if f.name == "QueueMember" and f.get("Name") == agent]


async def _signed_out_on_a_call(story: Story, reason: str) -> tuple[str, str]:
    (agent,) = await ready_agents(story, "hold")
    await story.call_in(QUEUE_A, stay=30)
    call_id = await answered_by(story, agent)
    result = await story.bridge.sign_out_seat(agent, reason)
    assert result.ok and result.data["pending"] == "logged_out", result
    [member] = await _members(story, agent)
    assert (member["Paused"], member["PausedReason"]) == ("1", reason)
    return agent, call_id


@pytest.mark.parametrize("reason", [A.FORCED_SIGN_OUT_REASON, A.SIGN_OUT_REASON])
async def test_a_sign_out_waiting_for_the_call_survives_a_restart(asterisk, reason):
    async with Story(asterisk) as story:
        agent, call_id = await _signed_out_on_a_call(story, reason)
        cut = await _restart(story)
        assert story.bridge.agent(agent)["state"] == "talking"  # the call goes on

        assert (await story.bridge.hangup(agent)).ok  # the agent ends the call
        await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(
            AgentStateChanged, agent_id=agent, state="logged_out", where=lambda e: e.seq > cut
        )
        await asyncio.sleep(0.3)
        assert not await _members(story, agent)  # out of its queues, not left paused in them
        assert story.bridge.agent(agent)["state"] == "logged_out"
    after = [(e.state, e.reason) for e in story.of(AgentStateChanged, agent_id=agent) if e.seq > cut]
    assert after[-2:] == [("not_ready", reason), ("logged_out", "")]


@pytest.mark.parametrize("reason", [A.FORCED_SIGN_OUT_REASON, A.SIGN_OUT_REASON])
async def test_a_call_that_ended_while_no_bridge_ran_signs_the_seat_out_at_the_resync(asterisk, reason):
    async with Story(asterisk) as story:
        agent, call_id = await _signed_out_on_a_call(story, reason)

        async def caller_hangs_up() -> None:
            for f in await story.net.action_list("CoreShowChannels"):
                if f.get("Linkedid") == call_id:
                    try:
                        await story.net.action("Hangup", Channel=f["Channel"])
                    except Exception:
                        pass  # gone with its peer
            await asyncio.sleep(0.5)

        cut = await _restart(story, caller_hangs_up)
        await story.wait_for(
            AgentStateChanged, agent_id=agent, state="logged_out", where=lambda e: e.seq > cut
        )
        await asyncio.sleep(0.3)
        assert not await _members(story, agent)
        assert story.bridge.agent(agent)["state"] == "logged_out"
