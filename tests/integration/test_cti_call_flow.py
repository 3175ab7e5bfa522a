"""User stories of the CTI bridge on the real Asterisk: the basic inbound call."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    QueueUpdated,
    RecordingReady,
)
from tests.cti.harness import QUEUE_A, Story, seat

pytestmark = pytest.mark.asterisk


async def test_known_caller_pops_is_answered_recorded_and_ends_with_exact_times(asterisk):
    looked_up = []

    async def lookup(number: str):
        looked_up.append(number)
        return {"id": 42, "name": "张三"} if number == "13800138000" else None

    async with Story(asterisk, lookup=lookup) as story:
        agent = await story.new_agent(ring="1", talk="2")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})).ok
        assert (await story.bridge.ready(agent)).ok
        await story.call_in(QUEUE_A, caller="+86 138-0013-8000", name="Zhang", stay=10, dnis="95598")

        offered = await story.wait_for(CallOffered, agent_id=agent)
        assert offered.customer == {"id": 42, "name": "张三"}
        assert looked_up == ["13800138000"]
        assert offered.queue == QUEUE_A
        assert offered.caller == "+8613800138000"
        ended = await story.wait_for(CallEnded, call_id=offered.call_id, timeout=10)
        rec = await story.wait_for(RecordingReady, call_id=offered.call_id, timeout=10)

    call_id = offered.call_id
    assert ended.outcome == "answered"
    assert ended.direction == "inbound"
    assert ended.agent_id == agent and ended.agents_offered == (agent,)
    assert ended.queue == QUEUE_A
    assert ended.hangup_side == "agent"
    assert ended.hangup_cause == 16
    # Ring 1 s, talk 2 s (the simulated phone's settings), times from Asterisk's clock.
    assert ended.started_at <= ended.queued_at <= ended.ringing_at < ended.answered_at < ended.ended_at
    assert 0.9 < ended.answered_at - ended.ringing_at < 1.2
    assert 1.9 < ended.ended_at - ended.answered_at < 2.3
    assert ended.recording.endswith(f"/{call_id}.wav")
    assert rec.path.startswith(str(asterisk.root)) and rec.agent_id == agent
    assert 1.7 < rec.duration < 2.4
    # Event order on the bus is the call's order.
    names = [e.name for e in story.events if getattr(e, "call_id", None) == call_id]
    assert names.index("CallStarted") < names.index("CallQueued") < names.index("CallOffered")
    assert names.index("CallOffered") < names.index("CallAnswered") < names.index("CallEnded")
    assert names.count("CallEnded") == 1
    assert story.of(CallQueued, call_id=call_id) and story.of(CallAnswered, call_id=call_id, agent_id=agent)
    states = story.agent_states(agent)
    assert states == [("not_ready", "登录"), ("ready", ""), ("ringing", ""), ("talking", ""), ("ready", "")]
    assert any(e.queue == QUEUE_A and e.answered >= 1 for e in story.of(QueueUpdated))


async def test_timestamps_match_asterisks_own_within_100ms(asterisk):
    """Cross-check against Asterisk's own AMI timestamps on a separate connection."""
    async with Story(asterisk) as story:
        agent = await story.new_agent(ring="0", talk="1")
        seen: dict[str, float] = {}

        def note(frame):
            if frame.get("MemberName") == agent and frame.name not in seen:
                seen[frame.name] = frame.timestamp

        for name in ("AgentCalled", "AgentConnect"):
            story.net.on_event(name, note)
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        await story.bridge.ready(agent)
        await story.call_in(QUEUE_A, stay=5)
        offered = await story.wait_for(CallOffered, agent_id=agent)
        ended = await story.wait_for(CallEnded, call_id=offered.call_id)
    assert abs(ended.ringing_at - seen["AgentCalled"]) < 0.1
    assert abs(ended.answered_at - seen["AgentConnect"]) < 0.1


async def test_ring_no_answer_rolls_to_the_next_agent_and_pauses_the_first(asterisk):
    async with Story(asterisk) as story:
        sleepy = await story.new_agent(ring="never")
        awake = await story.new_agent(ring="0", talk="1")
        for agent in (sleepy, awake):
            await story.bridge.login(agent, seat(agent), {QUEUE_A: 0 if agent == sleepy else 5})
        await story.bridge.ready(sleepy)
        await story.bridge.ready(awake)
        await story.call_in(QUEUE_A, stay=20)
        first = await story.wait_for(CallOffered, agent_id=sleepy)
        await story.wait_for(CallOffered, agent_id=awake, timeout=10)
        ended = await story.wait_for(CallEnded, call_id=first.call_id, timeout=10)
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
    assert ended.outcome == "answered" and ended.agent_id == awake
    assert ended.agents_offered == (sleepy, awake)
    assert ("not_ready", "未接") in story.agent_states(sleepy)
    assert story.bridge.agent(sleepy)["state"] == "not_ready"
    member = next(f for f in status if f.name == "QueueMember" and f.get("Name") == sleepy)
    assert member["Paused"] == "1" and member["PausedReason"] == "未接"


async def test_caller_who_hangs_up_in_the_queue_is_abandoned_with_wait_time(asterisk):
    async with Story(asterisk) as story:
        agent = await story.new_agent()
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})  # logged in but not ready
        await story.call_in(QUEUE_A, stay=2)
        queued = await story.wait_for(CallQueued, queue=QUEUE_A)
        ended = await story.wait_for(CallEnded, call_id=queued.call_id, timeout=8)
        await story.bridge.flush()
    assert ended.outcome == "abandoned_queue"
    assert ended.hangup_side == "caller"
    assert 1.8 < ended.waited < 2.5
    assert ended.answered_at == 0.0 and ended.agent_id == ""
    assert not story.of(RecordingReady, call_id=queued.call_id)
    board = next(q for q in story.bridge.queues() if q["queue"] == QUEUE_A)
    assert board["abandoned"] >= 1 and board["waiting"] == 0


async def test_skills_route_each_queue_to_its_agents(asterisk):
    from tests.cti.harness import QUEUE_B

    async with Story(asterisk) as story:
        both = await story.new_agent(talk="1")
        only_b = await story.new_agent(talk="1")
        await story.bridge.login(both, seat(both), {QUEUE_A: 0, QUEUE_B: 10})
        await story.bridge.login(only_b, seat(only_b), {QUEUE_B: 0})
        await story.bridge.ready(both)
        await story.bridge.ready(only_b)
        status = await story.net.action_list("QueueStatus")
        penalties = {
            (f["Queue"], f["Name"]): f["Penalty"]
            for f in status
            if f.name == "QueueMember" and f.get("Name") in (both, only_b)
        }
        assert penalties == {(QUEUE_A, both): "0", (QUEUE_B, both): "10", (QUEUE_B, only_b): "0"}
        await story.call_in(QUEUE_A, stay=4)
        to_a = await story.wait_for(CallOffered, queue=QUEUE_A)
        await story.call_in(QUEUE_B, stay=4)
        to_b = await story.wait_for(CallOffered, queue=QUEUE_B)
        await story.wait_for(CallEnded, call_id=to_b.call_id)
        await story.wait_for(CallEnded, call_id=to_a.call_id)
        assert (await story.bridge.logout(both)).ok
        await story.bridge.flush()
        status = await story.net.action_list("QueueStatus")
    assert to_a.agent_id == both
    assert to_b.agent_id == only_b  # lower penalty wins while it is free
    assert story.bridge.agent(both)["state"] == "logged_out"
    assert not [f for f in status if f.name == "QueueMember" and f.get("Name") == both]
    await asyncio.sleep(0)


async def test_after_call_work_has_a_limit_then_ready_by_itself(asterisk):
    async with Story(asterisk, acw_seconds=1.0) as story:
        agent = await story.new_agent(talk="1")
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        await story.bridge.ready(agent)
        await story.call_in(QUEUE_A, stay=10)
        offered = await story.wait_for(CallOffered, agent_id=agent)
        await story.wait_for(CallEnded, call_id=offered.call_id)
        acw = await story.wait_for(AgentStateChanged, agent_id=agent, state="after_call_work")
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
        member = next(f for f in status if f.name == "QueueMember" and f.get("Name") == agent)
        # Paused in Asterisk during ACW, so app_queue offers it no call meanwhile.
        assert (member["Paused"], member["PausedReason"]) == ("1", "话后处理")
        back = await story.wait_for(AgentStateChanged, agent_id=agent, where=lambda e: e.seq > acw.seq)
        status = await story.net.action_list("QueueStatus", Queue=QUEUE_A)
    assert back.state == "ready" and back.previous == "after_call_work"
    assert 0.9 < back.seconds_in_previous < 1.5
    assert acw.call_id == offered.call_id and acw.reason == "话后处理"
    member = next(f for f in status if f.name == "QueueMember" and f.get("Name") == agent)
    assert member["Paused"] == "0"


async def test_an_unsaved_intake_form_keeps_after_call_work_past_its_limit(asterisk):
    """The agent still writes the call up (the seat's form holds unsaved input about it): the ACW
    limit does not make the seat ready for the next caller; saving or emptying the form does, at
    once when the limit has passed. Meanwhile the bridge still has the ended call for the pop."""
    async with Story(asterisk, acw_seconds=1.0) as story:
        agent = await story.new_agent(talk="1")
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        await story.bridge.ready(agent)
        await story.call_in(QUEUE_A, stay=10, variables=("__HOTLINE_IVR_PATH=fault/2",))
        offered = await story.wait_for(CallOffered, agent_id=agent)
        assert (await story.bridge.hold_after_call_work(agent, offered.call_id, True)).ok
        await story.wait_for(CallEnded, call_id=offered.call_id)
        acw = await story.wait_for(AgentStateChanged, agent_id=agent, state="after_call_work")
        await asyncio.sleep(1.8)  # the limit has passed
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        ended = story.bridge.ended_call(offered.call_id)
        assert ended is not None and ended["caller"] == offered.caller and ended["ivr_path"] == ["fault", "2"]
        # a hold released for another call changes nothing
        assert (await story.bridge.hold_after_call_work(agent, "another-call", False)).ok
        await asyncio.sleep(0.3)
        assert story.bridge.agent(agent)["state"] == "after_call_work"
        assert (await story.bridge.hold_after_call_work(agent, offered.call_id, False)).ok
        back = await story.wait_for(AgentStateChanged, agent_id=agent, where=lambda e: e.seq > acw.seq)
    assert back.state == "ready" and back.previous == "after_call_work"
    assert back.seconds_in_previous > 2.0


async def test_the_callers_ivr_choices_ride_along_to_the_pop_and_the_record(asterisk):
    async with Story(asterisk) as story:
        agent = await story.new_agent(talk="1")
        await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})
        await story.bridge.ready(agent)
        await story.call_in(QUEUE_A, stay=10, variables=("__HOTLINE_IVR_PATH=fault/2",))
        offered = await story.wait_for(CallOffered, agent_id=agent)
        ended = await story.wait_for(CallEnded, call_id=offered.call_id)
    assert offered.ivr_path == ("fault", "2")
    assert ended.ivr_path == ("fault", "2")
