"""The bridge survives its own restart and counts every call under load."""

from __future__ import annotations

import asyncio
import collections
import random
import uuid

import pytest

from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallQueued,
    CallStarted,
    RecordingReady,
)
from cti.redis_bus import RedisBus
from tests.cti.harness import QUEUE_A, Story, seat

pytestmark = pytest.mark.asterisk


@pytest.fixture(params=["inprocess", "redis"])
async def bus(request):
    if request.param == "inprocess":
        yield None  # Story makes its own InProcessBus
        return
    stream = f"test:hotline:cti:{uuid.uuid4().hex}"
    redis_bus = RedisBus("redis://127.0.0.1:6379/0", stream=stream, block_ms=100)
    yield redis_bus
    await redis_bus.redis.delete(stream, f"{stream}:seq")
    await redis_bus.close()


async def test_bridge_killed_mid_call_resyncs_and_publishes_nothing_twice(asterisk, bus):
    async with Story(asterisk, bus=bus) as story:
        agent = await story.new_agent(talk="4")
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        await story.bridge.ready(agent)
        await story.call_in(QUEUE_A, stay=20)
        answered = await story.wait_for(CallAnswered, agent_id=agent)
        await story.bridge.flush()
        await story.bridge.stop()  # the process dies: its model is gone, the bus stays
        cut = max(e.seq for e in await story.bus.replay(0, 100_000))
        await asyncio.sleep(1.0)
        await story.start_bridge()
        call = next(c for c in story.bridge.calls() if c["call_id"] == answered.call_id)
        assert call["answered_at"] == answered.answered_at and call["agent_id"] == agent
        assert story.bridge.agent(agent)["state"] == "talking"
        ended = await story.wait_for(CallEnded, call_id=answered.call_id, timeout=10)
        await story.wait_for(RecordingReady, call_id=answered.call_id)
        await asyncio.sleep(0.3)  # a Redis subscriber reads a moment behind
        after_restart = [e for e in story.events if e.seq > cut]
    assert ended.outcome == "answered" and ended.agent_id == agent
    assert ended.answered_at == answered.answered_at  # the record keeps the exact times
    assert ended.queued_at > 0 and ended.started_at > 0
    assert 3.8 < ended.ended_at - ended.answered_at < 4.4
    per_call = collections.Counter(
        e.name for e in story.events if getattr(e, "call_id", "") == answered.call_id
    )
    assert (
        per_call["CallStarted"]
        == per_call["CallQueued"]
        == per_call["CallAnswered"]
        == per_call["CallEnded"]
        == 1
    )
    assert per_call["RecordingReady"] == 1
    # The restarted bridge agreed with what was already published: no state re-announced.
    assert not [e for e in after_restart if isinstance(e, AgentStateChanged) and e.state == "talking"]


async def test_call_that_ends_while_the_bridge_is_down_is_closed_once_on_restart(asterisk):
    async with Story(asterisk) as story:
        agent = await story.new_agent(talk="1")
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        await story.bridge.ready(agent)
        await story.call_in(QUEUE_A, stay=20)
        answered = await story.wait_for(CallAnswered, agent_id=agent)
        await story.bridge.flush()
        await story.bridge.stop()
        # the agent hangs up after 1 s, nobody watching: until Asterisk has nothing of the call left
        for _ in range(100):
            channels = await story.net.action_list("CoreShowChannels")
            if not [c for c in channels if c.get("Linkedid") == answered.call_id]:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the call is still up: {[c['Channel'] for c in channels]}")
        await story.start_bridge()
        ended = await story.wait_for(CallEnded, call_id=answered.call_id, timeout=5)
        await story.bridge.flush()
        assert story.bridge.agent(agent)["state"] == "ready"
        await story.bridge.stop()
        await story.start_bridge()  # a second restart publishes nothing about it
        await story.bridge.flush()
    assert ended.outcome == "answered" and ended.answered_at == answered.answered_at
    assert len(story.of(CallEnded, call_id=answered.call_id)) == 1


async def test_two_hundred_calls_are_all_accounted_for(asterisk):
    rng = random.Random(3)
    async with Story(asterisk) as story:
        agents = [await story.new_agent(ring="0", talk="1") for _ in range(20)]
        for agent in agents:
            await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
            await story.bridge.ready(agent)
        for _ in range(200):
            await story.net.action(
                "Originate",
                Channel=f"Local/{rng.randint(1, 7):02d}@hotline-sim-caller/n",
                Context="hotline-queue",
                Exten=QUEUE_A,
                Priority=1,
                CallerID='"Load" <13700000000>',
                Variable=["HOTLINE_QUEUE_TIMEOUT=4"],
                Async="true",
            )
            await asyncio.sleep(0.025)  # 40 calls a second (fewer with the Originate round trip)
        for _ in range(300):
            if len(story.of(CallEnded, queue=QUEUE_A)) >= 200 and not story.bridge.calls():
                break
            await asyncio.sleep(0.1)
        await story.bridge.flush()
        board = next(q for q in story.bridge.queues() if q["queue"] == QUEUE_A)
    ended = story.of(CallEnded, queue=QUEUE_A)
    ids = collections.Counter(e.call_id for e in ended)
    assert len(ids) == 200 and max(ids.values()) == 1
    assert len({e.call_id for e in story.of(CallStarted)} & set(ids)) == 200
    assert len({e.call_id for e in story.of(CallQueued)} & set(ids)) == 200
    outcomes = collections.Counter(e.outcome for e in ended)
    assert set(outcomes) <= {"answered", "abandoned_queue", "abandoned_ringing", "overflow"}
    assert outcomes["answered"] > 50
    assert board["offered"] == 200
    assert board["offered"] == board["answered"] + board["abandoned"] + board["overflowed"]
    assert board["answered"] == outcomes["answered"]
    assert board["overflowed"] == outcomes["overflow"]
    for e in ended:
        if e.outcome == "answered":
            assert e.agent_id in agents and e.answered_at >= e.queued_at
