"""The ACW limit across a bridge restart (a process restart, a standby taking over), on the real
Asterisk: it keeps counting from when the 话后处理 began (the bus's AgentStateChanged), instead of
starting again in full at the new bridge's resync. And an ACW an intake form held past its limit
is not ended at that resync before the tabs, told the bridge is back, hold it again: the new
bridge keeps the hold the bus last told of for a while (``ACW_RESTORED_HOLD_SECONDS``)."""

from __future__ import annotations

import asyncio
import time

import pytest

import cti.bridge
from cti import agents as A
from cti.call_events import AgentStateChanged, CallEnded
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents

pytestmark = pytest.mark.asterisk

ACW = 4.0


async def _restart(story: Story) -> int:
    """The bridge process dies (the bus stays) and a new one starts; the bus's last seq before it."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await story.start_bridge()
    return cut


async def _in_after_call_work(story: Story) -> tuple[str, str, AgentStateChanged]:
    (agent,) = await ready_agents(story, "1")
    await story.call_in(QUEUE_A, stay=10)
    call_id = await answered_by(story, agent)
    await story.wait_for(CallEnded, call_id=call_id)
    acw = await story.wait_for(AgentStateChanged, agent_id=agent, state="after_call_work")
    return agent, call_id, acw


async def test_the_acw_limit_keeps_counting_from_its_start_across_a_restart(asterisk):
    async with Story(asterisk, acw_seconds=ACW) as story:
        agent, _, acw = await _in_after_call_work(story)
        await asyncio.sleep(ACW / 2)
        cut = await _restart(story)
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        back = await story.wait_for(
            AgentStateChanged, agent_id=agent, timeout=ACW * 2, where=lambda e: e.seq > cut
        )
    assert (back.state, back.previous) == ("ready", "after_call_work")
    # the limit from the ACW's start (a full one from the restart would end it ACW / 2 later)
    assert back.at - acw.at < ACW + 1.0
    assert back.seconds_in_previous < ACW + 1.0


async def test_a_held_acw_past_its_limit_waits_after_a_restart_for_its_tab_to_hold_it_again(
    asterisk, monkeypatch
):
    monkeypatch.setattr(cti.bridge, "ACW_RESTORED_HOLD_SECONDS", 2.0)
    tab = A.acw_holder("web-1", "tab-a")
    async with Story(asterisk, acw_seconds=1.0) as story:
        agent, call_id, acw = await _in_after_call_work(story)
        assert (await story.bridge.hold_after_call_work(agent, call_id, True, tab)).ok
        await asyncio.sleep(1.5)  # the limit has passed: held
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        cut = await _restart(story)
        await asyncio.sleep(1.0)  # the tab is not told yet: the new bridge keeps the hold meanwhile
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        assert story.bridge.agent(agent)["acw_held"] is True
        # told the bridge is back, the tab holds it again; its form saved, the overdue ACW ends at once
        assert (await story.bridge.hold_after_call_work(agent, call_id, True, tab)).ok
        await asyncio.sleep(1.5)  # past the restored hold's 2 s from the restart: the tab's own hold keeps it
        assert story.bridge.agent(agent)["acw_held"] is True
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        released = time.time()
        assert (await story.bridge.hold_after_call_work(agent, call_id, False, tab)).data == {"held": False}
        back = await story.wait_for(AgentStateChanged, agent_id=agent, where=lambda e: e.seq > cut)
    assert (back.state, back.previous) == ("ready", "after_call_work")
    assert back.at - released < 1.0


async def test_a_restored_hold_no_tab_takes_again_lapses(asterisk, monkeypatch):
    monkeypatch.setattr(cti.bridge, "ACW_RESTORED_HOLD_SECONDS", 2.0)
    async with Story(asterisk, acw_seconds=1.0) as story:
        agent, call_id, acw = await _in_after_call_work(story)
        tab = A.acw_holder("web-1", "tab-a")
        assert (await story.bridge.hold_after_call_work(agent, call_id, True, tab)).ok
        await asyncio.sleep(1.5)
        cut = await _restart(story)  # the web process went with it, say: nobody holds it again
        started = time.time()
        back = await story.wait_for(
            AgentStateChanged, agent_id=agent, timeout=6.0, where=lambda e: e.seq > cut
        )
    assert (back.state, back.previous) == ("ready", "after_call_work")
    assert 1.5 < back.at - started < 3.5
