"""A restarted bridge (a process restart, a standby taking over) keeps what was going on
besides the calls: supervisors listening in, an agent's consultation, the call a seat in
after-call work still writes up. The bus tells what a previous run published, Asterisk's
live channels what is still true; what ended meanwhile is closed once."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallTransferred,
    ConsultChanged,
    SpyChanged,
)
from tests.cti.harness import QUEUE_A, Story, answered_by, ready_agents, seat

pytestmark = pytest.mark.asterisk

SUPERVISOR = "8001"


async def restart(story: Story) -> int:
    """The bridge process dies (its model with it, the bus stays) and a new one starts;
    returns the bus's last seq before the new bridge."""
    await story.bridge.flush()
    await story.bridge.stop()
    cut = max(e.seq for e in await story.bus.replay(0, 100_000))
    await story.start_bridge()
    return cut


async def listening(story: Story, agent: str, supervisor: str) -> SpyChanged:
    result = await story.bridge.spy(seat(supervisor), agent, "listen", SUPERVISOR, "王班长")
    assert result.ok, result
    started = await story.wait_for(SpyChanged, spy_id=result.data["spy_channel_id"])
    await story.bridge.flush()
    return started


async def chanspy_channels(story: Story) -> dict[str, str]:
    """uniqueid -> channel of every ChanSpy running now."""
    return {
        c.get("Uniqueid"): c.get("Channel")
        for c in await story.net.action_list("CoreShowChannels")
        if c.get("Application") == "ChanSpy"
    }


async def test_a_supervisor_listening_in_is_still_shown_and_steered_after_a_restart(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        supervisor = await story.new_agent(ring="0", talk="hold")
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        started = await listening(story, agent, supervisor)
        cut = await restart(story)
        # the wallboard's present names who listens, as before the restart
        (spy,) = story.bridge.spies()
        assert spy == {
            "spy_id": started.spy_id,
            "supervisor": SUPERVISOR,
            "supervisor_name": "王班长",
            "agent_id": agent,
            "call_id": call_id,
            "mode": "listen",
            "started_at": started.started_at,
        }
        await story.bridge.flush()
        assert not [e for e in story.events if e.seq > cut and isinstance(e, SpyChanged)]
        # the supervisor's own buttons work through the new bridge
        assert (await story.bridge.spy_mode(started.spy_id, "9999", "whisper")).reason == "not_your_spy"
        switched = await story.bridge.spy_mode(started.spy_id, SUPERVISOR, "whisper")
        assert switched.ok, switched
        await story.wait_for(SpyChanged, spy_id=started.spy_id, mode="whisper")
        assert started.spy_id in await chanspy_channels(story)
        stopped = await story.bridge.spy_stop(started.spy_id, SUPERVISOR)
        assert stopped.ok, stopped
        ended = await story.wait_for(SpyChanged, spy_id=started.spy_id, ended=True)
        await asyncio.sleep(0.2)
        assert started.spy_id not in await chanspy_channels(story)
        assert story.bridge.spies() == []
        assert story.bridge.agent(agent)["state"] == "talking"  # the agent's call goes on
        assert (await story.bridge.hangup(agent)).ok
        await story.wait_for(CallEnded, call_id=call_id)
        await story.bridge.flush()
    assert ended.mode == "whisper"
    assert len(story.of(SpyChanged, spy_id=started.spy_id, ended=True)) == 1


async def test_a_spy_that_ended_while_the_bridge_was_down_is_closed_once(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        supervisor = await story.new_agent(ring="0", talk="hold")
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        started = await listening(story, agent, supervisor)
        await story.bridge.flush()
        await story.bridge.stop()
        cut = max(e.seq for e in await story.bus.replay(0, 100_000))
        # the supervisor hangs up the phone while no bridge watches
        channel = (await chanspy_channels(story))[started.spy_id]
        await story.net.action("Hangup", Channel=channel)
        await asyncio.sleep(0.2)
        await story.start_bridge()
        ended = await story.wait_for(SpyChanged, spy_id=started.spy_id, ended=True, timeout=3)
        assert ended.seq > cut and ended.supervisor == SUPERVISOR
        assert story.bridge.spies() == []
        assert (await story.bridge.spy_stop(started.spy_id, SUPERVISOR)).reason == "unknown_spy"
        await restart(story)  # a second restart publishes nothing about it
        assert story.bridge.spies() == []
        assert (await story.bridge.hangup(agent)).ok
        await story.wait_for(CallEnded, call_id=call_id)
        await story.bridge.flush()
    assert len(story.of(SpyChanged, spy_id=started.spy_id, ended=True)) == 1


async def consulting(story: Story, stay: int = 20) -> tuple[str, str, str]:
    """An agent's caller (who hangs up after ``stay`` s) held while the agent consults a
    colleague, who answered."""
    first, second = await ready_agents(story, "hold", "hold")
    await story.bridge.pause(second, "小休")
    await story.call_in(QUEUE_A, stay=stay)
    call_id = await answered_by(story, first)
    assert (await story.bridge.ready(second)).ok
    # the colleague's break is over in Asterisk and on the bus before it is rung: a 小休 pause
    # (or its event) still under way would ring it from 未就绪·小休, and a resync would rightly
    # end its consultation there (45a3315), not with the 就绪 this story expects
    for _ in range(50):
        await story.bridge.flush()
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        paused = [f.get("Paused") for f in status if f.name == "QueueMember" and f.get("Name") == second]
        if paused == ["0"] and story.bridge.agent(second)["state"] == "ready":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"{second} not 就绪 before the consultation: {paused}")
    assert (await story.bridge.consult(first, "agent", second)).ok
    await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
    await story.wait_for(AgentStateChanged, agent_id=first, state="on_hold")
    await asyncio.sleep(0.1)
    return first, second, call_id


async def test_a_consultation_survives_a_restart_and_completes_through_the_new_bridge(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await consulting(story)
        cut = await restart(story)
        # the seat's 完成转接 / 取消咨询 come back with the snapshot, the caller still held
        consult = story.bridge.agent(first)["consult"]
        assert consult == {"call_id": call_id, "target": f"agent:{second}", "caller_gone": False}
        assert (story.bridge.agent(first)["state"], story.bridge.agent(second)["state"]) == (
            "on_hold",
            "talking",
        )
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], call["on_hold"]) == (first, True)
        await story.bridge.flush()
        assert not [
            e for e in story.events if e.seq > cut and isinstance(e, (ConsultChanged, AgentStateChanged))
        ]
        assert (await story.bridge.complete_transfer(first)).ok
        await story.wait_for(AgentStateChanged, agent_id=first, state="ready", where=lambda e: e.seq > cut)
        await asyncio.sleep(0.3)
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], call["on_hold"]) == (second, False)  # the caller talks with the target
        assert story.bridge.agent(first)["consult"] is None
        assert (await story.bridge.hangup(second)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
        await story.bridge.flush()
    assert ended.agent_id == second and [leg[0] for leg in ended.legs] == [first, second]
    assert story.of(CallTransferred, call_id=call_id, kind="attended")
    assert [e.state for e in story.of(ConsultChanged, agent_id=first)] == ["consulting", "ended"]
    assert len(story.of(CallEnded, call_id=call_id)) == 1


async def test_a_consultation_that_ended_while_the_bridge_was_down_is_closed_once(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await consulting(story)
        await story.bridge.flush()
        await story.bridge.stop()
        cut = max(e.seq for e in await story.bus.replay(0, 100_000))
        # the colleague hangs up while no bridge watches: Asterisk gives the caller back to the agent
        target_leg = [
            c["Channel"]
            for c in await story.net.action_list("CoreShowChannels")
            if c.get("Channel").startswith(f"Local/{second}@hotline-transfer-")
        ]
        assert target_leg
        await story.net.action("Hangup", Channel=target_leg[0])
        await asyncio.sleep(0.5)
        await story.start_bridge()
        over = await story.wait_for(ConsultChanged, agent_id=first, state="ended", timeout=3)
        await story.bridge.flush()
        assert over.seq > cut
        assert story.bridge.agent(first)["consult"] is None
        assert (await story.bridge.complete_transfer(first)).reason == "no_consultation"
        assert story.bridge.agent(first)["state"] == "talking"
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], call["on_hold"]) == (first, False)
        await restart(story)  # a second restart publishes nothing about it
        assert story.bridge.agent(first)["consult"] is None
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
        await story.bridge.flush()
    assert ended.agent_id == first
    assert not story.of(CallTransferred, call_id=call_id)
    assert [e.state for e in story.of(ConsultChanged, agent_id=first)] == ["consulting", "ended"]


async def test_a_held_caller_who_hung_up_while_the_bridge_was_down_ends_the_record_once(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await consulting(story, stay=2)
        await story.bridge.flush()
        await story.bridge.stop()
        cut = max(e.seq for e in await story.bus.replay(0, 100_000))
        await asyncio.sleep(2.0)  # the caller hangs up; the agents talk on
        await story.start_bridge()
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=3)
        await story.bridge.flush()
        assert ended.seq > cut
        assert story.bridge.agent(first)["consult"] == {
            "call_id": call_id,
            "target": f"agent:{second}",
            "caller_gone": True,
        }
        assert (story.bridge.agent(first)["state"], story.bridge.agent(second)["state"]) == (
            "talking",
            "talking",
        )
        assert not [c for c in story.bridge.calls() if c["call_id"] == call_id]
        assert (await story.bridge.complete_transfer(first)).reason == "caller_gone"
        assert (await story.bridge.cancel_transfer(first)).ok  # ends the consult leg
        for agent in (first, second):
            await story.wait_for(
                AgentStateChanged, agent_id=agent, state="ready", where=lambda e: e.seq > cut
            )
        await story.bridge.flush()
        assert story.bridge.agent(first)["consult"] is None
        await restart(story)  # a second restart publishes nothing about it
        await story.bridge.flush()
    assert (ended.outcome, ended.agent_id) == ("answered", first)
    assert [e.state for e in story.of(ConsultChanged, agent_id=first)] == [
        "consulting",
        "caller_gone",
        "ended",
    ]
    assert len(story.of(CallEnded, call_id=call_id)) == 1


async def test_a_consultation_whose_caller_hung_up_before_the_restart_goes_on_after_it(asterisk):
    async with Story(asterisk) as story:
        first, second, call_id = await consulting(story, stay=2)
        await story.wait_for(ConsultChanged, agent_id=first, state="caller_gone", timeout=4)
        await story.wait_for(CallEnded, call_id=call_id)
        cut = await restart(story)
        # the agent still talks with the colleague: 通话中, with 取消咨询 to end that leg
        assert story.bridge.agent(first)["consult"] == {
            "call_id": call_id,
            "target": f"agent:{second}",
            "caller_gone": True,
        }
        assert (story.bridge.agent(first)["state"], story.bridge.agent(second)["state"]) == (
            "talking",
            "talking",
        )
        assert not [c for c in story.bridge.calls() if c["call_id"] == call_id]
        await story.bridge.flush()
        assert not [
            e
            for e in story.events
            if e.seq > cut and isinstance(e, (ConsultChanged, AgentStateChanged, CallEnded, CallAnswered))
        ]
        assert (await story.bridge.cancel_transfer(first)).ok
        for agent in (first, second):
            await story.wait_for(
                AgentStateChanged, agent_id=agent, state="ready", where=lambda e: e.seq > cut
            )
        await story.bridge.flush()
        assert story.bridge.agent(first)["consult"] is None
    assert [e.state for e in story.of(ConsultChanged, agent_id=first)] == [
        "consulting",
        "caller_gone",
        "ended",
    ]
    assert len(story.of(CallEnded, call_id=call_id)) == 1


async def test_a_seat_in_after_call_work_keeps_its_calls_record_after_a_restart(asterisk):
    async with Story(asterisk, acw_seconds=30.0) as story:
        (agent,) = await ready_agents(story, "1")
        await story.call_in(QUEUE_A, stay=10, variables=("__HOTLINE_IVR_PATH=fault/2",))
        call_id = await answered_by(story, agent)
        await story.wait_for(CallEnded, call_id=call_id)
        await story.wait_for(AgentStateChanged, agent_id=agent, state="after_call_work")
        before = story.bridge.ended_call(call_id)
        cut = await restart(story)
        # a reload of the seat still pops the call it writes up
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        after = story.bridge.ended_call(call_id)
        assert after is not None
        before.pop("customer_channel"), after.pop("customer_channel")  # a channel gone with the call
        assert after == before
        assert before["ivr_path"] == ["fault", "2"] and before["outcome"] == "answered"
        assert (await story.bridge.wrapup_done(agent)).ok
        await story.wait_for(AgentStateChanged, agent_id=agent, state="ready", where=lambda e: e.seq > cut)
        await story.bridge.flush()
    assert len(story.of(CallEnded, call_id=call_id)) == 1
