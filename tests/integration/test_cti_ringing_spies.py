"""A supervisor's listen / whisper / barge asked for just before the bridge restarted (a process
restart, a standby taking over): the bus shows no session yet, the supervisor's phone rings on.
The new bridge takes the session from the spy channel, so the wallboard shows it once the phone
answers, and the supervisor's buttons work."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import CallEnded, SpyChanged
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents, seat

pytestmark = pytest.mark.asterisk

SUPERVISOR = "8001"


async def spy_channels(story: Story, spy_id: str) -> list[dict]:
    return [c for c in await story.net.action_list("CoreShowChannels") if c.get("Uniqueid") == spy_id]


@pytest.mark.parametrize("answered", ["after the restart", "while no bridge watched"])
async def test_a_spy_ringing_the_supervisor_across_a_restart_is_shown_once_answered(asterisk, answered):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        supervisor = await story.new_agent(ring="3" if answered == "after the restart" else "1", talk="hold")
        await story.call_in(QUEUE_A, stay=30)
        call_id = await answered_by(story, agent)
        result = await story.bridge.spy(seat(supervisor), agent, "whisper", SUPERVISOR, "王班长")
        assert result.ok, result
        spy_id = result.data["spy_channel_id"]
        for _ in range(100):
            if await spy_channels(story, spy_id):
                break
            await asyncio.sleep(0.02)
        await story.bridge.flush()
        await story.bridge.stop()  # the phone rings on
        cut = max(e.seq for e in await story.bus.replay(0, 100_000))
        assert not story.of(SpyChanged, spy_id=spy_id)
        if answered == "while no bridge watched":
            for _ in range(150):
                if any(c.get("Application") == "ChanSpy" for c in await spy_channels(story, spy_id)):
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the supervisor's phone did not answer")
        else:
            (ringing,) = await spy_channels(story, spy_id)
            assert ringing.get("Application") != "ChanSpy"
        await story.start_bridge()
        started = await story.wait_for(SpyChanged, spy_id=spy_id, timeout=6)
        assert started.seq > cut and not started.ended
        (shown,) = story.bridge.spies()
        assert shown == {
            "spy_id": spy_id,
            "supervisor": SUPERVISOR,
            "supervisor_name": "王班长",
            "agent_id": agent,
            "call_id": call_id,
            "mode": "whisper",
            "started_at": started.started_at,
        }
        assert started.started_at > 0
        # the supervisor's own buttons work through the new bridge
        assert (await story.bridge.spy_stop(spy_id, "9999")).reason == "not_your_spy"
        assert (await story.bridge.spy_mode(spy_id, SUPERVISOR, "listen")).ok
        await story.wait_for(SpyChanged, spy_id=spy_id, mode="listen")
        assert (await story.bridge.spy_stop(spy_id, SUPERVISOR)).ok
        await story.wait_for(SpyChanged, spy_id=spy_id, ended=True)
        for _ in range(50):
            if not await spy_channels(story, spy_id):
                break
            await asyncio.sleep(0.02)
        assert not await spy_channels(story, spy_id)
        assert story.bridge.spies() == []
        assert story.bridge.agent(agent)["state"] == "talking"  # the agent's call goes on
        assert (await story.bridge.hangup(agent)).ok
        await story.wait_for(CallEnded, call_id=call_id)
        await story.bridge.flush()
    assert [(e.mode, e.ended) for e in story.of(SpyChanged, spy_id=spy_id)] == [
        ("whisper", False),
        ("listen", False),
        ("listen", True),
    ]
