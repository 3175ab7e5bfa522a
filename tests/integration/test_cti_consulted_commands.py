"""The colleague consulted (咨询转接) on the real Asterisk cannot hand on, conference or hold the
consultation's leg (QA 2026-11-29 #7): each is refused ``consult_leg`` with nothing moved, so the
caller stays on the consulting agent's hold and that agent can still cancel (取消咨询) and go back
to them, or complete the transfer, after which the caller is the colleague's to transfer."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallAnswered, CallTransferred
from tests.cti.harness import QUEUE_B, Story, consulting

pytestmark = pytest.mark.asterisk


async def _consulted(story: Story) -> tuple[str, str, str]:
    first, second, call_id = await consulting(story)
    await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, consult_from=first)
    await story.bridge.flush()
    return first, second, call_id


async def test_the_colleague_consulted_is_refused_and_the_consulting_agent_keeps_the_caller(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await _consulted(story)
        refusals = [
            await story.bridge.transfer(second, "queue", QUEUE_B),
            await story.bridge.consult(second, "queue", QUEUE_B),
            await story.bridge.conference(second, first),
            await story.bridge.hold(second),
        ]
        assert [(r.ok, r.reason) for r in refusals] == [(False, "consult_leg")] * 4
        await asyncio.sleep(0.5)
        assert not story.of(CallTransferred, call_id=call_id)
        assert (story.bridge.agent(first)["state"], story.bridge.agent(second)["state"]) == (
            "on_hold",
            "talking",
        )
        # the consulting agent still has the consultation and goes back to the caller
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.previous == "on_hold"
        )
        await story.wait_for(AgentStateChanged, agent_id=second, state="ready")


async def test_completed_the_colleague_may_transfer_the_caller(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await _consulted(story)
        assert (await story.bridge.complete_transfer(first)).ok
        await story.wait_for(CallAnswered, call_id=call_id, agent_id=second, consult_from="")
        await story.bridge.flush()
        await asyncio.sleep(0.3)
        assert (await story.bridge.transfer(second, "queue", QUEUE_B)).ok
        await story.wait_for(CallTransferred, call_id=call_id, agent_id=second, kind="blind")
