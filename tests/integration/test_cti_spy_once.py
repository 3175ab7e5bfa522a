"""A supervisor spies on a call once: a second 监听 / 强插 on it is refused, the mode switched instead."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from cti.ami import AmiActionError
from cti.call_events import CallEnded, SpyChanged
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents, seat

pytestmark = pytest.mark.asterisk


async def _spy_legs(story: Story, supervisor: str) -> list[dict]:
    """The supervisor's seat's channels: ringing, or running ChanSpy."""
    return [
        c
        for c in await story.net.action_list("CoreShowChannels")
        if c["Channel"].startswith(f"Local/{supervisor}@") and c["Channel"].endswith(";1")
    ]


async def test_a_second_spy_of_the_same_supervisor_on_the_call_is_refused(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        supervisor = await story.new_agent(ring="1", talk="hold")  # rings 1 s, then answers
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        first = await story.bridge.spy(seat(supervisor), agent, "listen", supervisor, "班长")
        assert first.ok, first
        spy_id = first.data["spy_channel_id"]
        try:
            # while the supervisor's phone still rings, and once the spy is on the call
            ringing = await story.bridge.spy(seat(supervisor), agent, "barge", supervisor, "班长")
            assert (ringing.ok, ringing.reason) == (False, "already_spying"), ringing
            assert ringing.data == {"spy_id": spy_id, "mode": "listen"}
            await story.wait_for(SpyChanged, spy_id=spy_id, timeout=10)
            on_call = await story.bridge.spy(seat(supervisor), agent, "barge", supervisor, "班长")
            assert (on_call.ok, on_call.reason) == (False, "already_spying"), on_call
            # what to do instead: switch the spy there is
            assert (await story.bridge.spy_mode(spy_id, supervisor, "barge")).ok
            again = await story.bridge.spy(seat(supervisor), agent, "listen", supervisor, "班长")
            assert again.data == {"spy_id": spy_id, "mode": "barge"}
            await asyncio.sleep(1.5)
            legs = await _spy_legs(story, supervisor)
            assert len(legs) == 1 and legs[0].get("Application") == "ChanSpy", legs
            # ended, the supervisor may spy on the call again
            assert (await story.bridge.spy_stop(spy_id, supervisor)).ok
            await story.wait_for(SpyChanged, spy_id=spy_id, ended=True, timeout=5)
            later = await story.bridge.spy(seat(supervisor), agent, "whisper", supervisor, "班长")
            assert later.ok, later
        finally:
            await story.bridge.hangup(agent)
            await story.wait_for(CallEnded, call_id=call_id)
            for c in await story.net.action_list("CoreShowChannels"):
                if c["Channel"].startswith(f"Local/{supervisor}@"):
                    with contextlib.suppress(AmiActionError):
                        await story.net.action("Hangup", Channel=c["Channel"])


async def test_another_supervisor_may_spy_on_the_same_call(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        one = await story.new_agent(ring="0", talk="hold")
        two = await story.new_agent(ring="0", talk="hold")
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        try:
            assert (await story.bridge.spy(seat(one), agent, "listen", one, "甲")).ok
            assert (await story.bridge.spy(seat(two), agent, "listen", two, "乙")).ok
        finally:
            await story.bridge.hangup(agent)
            await story.wait_for(CallEnded, call_id=call_id)
            for c in await story.net.action_list("CoreShowChannels"):
                if c["Channel"].startswith((f"Local/{one}@", f"Local/{two}@")):
                    with contextlib.suppress(AmiActionError):
                        await story.net.action("Hangup", Channel=c["Channel"])
