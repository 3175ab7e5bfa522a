"""Call handling QA found wrong on the demo, told as stories on the real Asterisk: a consultation
with a queue, a hold Asterisk refuses, whose name the caller keeps, and what a seat that stops
ringing is published as."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallOffered,
    ConsultChanged,
)
from tests.cti.harness import QUEUE_A, QUEUE_B, Story, answered_by, ready_agents, seat

pytestmark = pytest.mark.asterisk


def _call(story: Story, call_id: str) -> dict:
    return next(c for c in story.bridge.calls() if c["call_id"] == call_id)


async def _consulting_a_queue(story: Story, stay: int = 40) -> tuple[str, str, str, CallAnswered, dict]:
    """``first`` answers a QUEUE_A caller (who hangs up after ``stay`` s) and consults QUEUE_B,
    whose one member (``other``) lets it ring: (first, other, call_id, the answer, the call as it
    was before the consult)."""
    first = await story.new_agent(talk="hold")
    assert (await story.bridge.login(first, seat(first), {QUEUE_A: 0, QUEUE_B: 0})).ok
    assert (await story.bridge.ready(first)).ok
    other = await story.new_agent(ring="never", talk="hold")
    assert (await story.bridge.login(other, seat(other), {QUEUE_B: 0})).ok
    assert (await story.bridge.ready(other)).ok
    await story.bridge.pause(first, "小休")
    await story.call_in(QUEUE_A, stay=stay)
    await asyncio.sleep(1.5)  # a wait of its own, to be kept
    assert (await story.bridge.ready(first)).ok
    call_id = await answered_by(story, first)
    answered = story.of(CallAnswered, call_id=call_id, agent_id=first)[0]
    before = dict(_call(story, call_id))
    assert (await story.bridge.consult(first, "queue", QUEUE_B)).ok
    await story.wait_for(AgentStateChanged, agent_id=first, state="on_hold")
    await story.wait_for(AgentStateChanged, agent_id=other, state="ringing")
    await story.bridge.flush()
    return first, other, call_id, answered, before


def _kept(call: dict, before: dict) -> tuple:
    return (call["customer_channel"], call["queue"], call["queued_at"])


async def test_a_consult_to_a_queue_leaves_the_caller_the_agents_with_its_queue_and_wait(asterisk):
    """The consult's leg waits in the consulted queue: it is not the caller joining that queue.
    Cancelled, the caller is the agent's as before (hold and 取回 work), and the record keeps the
    caller's queue, wait and who hung up."""
    async with Story(asterisk) as story:
        first, other, call_id, answered, before = await _consulting_a_queue(story)
        assert before["queue"] == QUEUE_A and before["customer_channel"]
        assert _kept(_call(story, call_id), before) == _kept(before, before)
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.previous == "on_hold"
        )
        await asyncio.sleep(0.5)
        call = _call(story, call_id)
        assert _kept(call, before) == _kept(before, before), call
        assert (call["agent_id"], call["on_hold"], call["outcome"]) == (first, False, before["outcome"])
        mark = max(e.seq for e in story.events)
        held = await story.bridge.hold(first)
        assert held.ok, held
        await story.wait_for(AgentStateChanged, agent_id=first, state="on_hold", where=lambda e: e.seq > mark)
        assert story.bridge.agent(first)["state"] == "on_hold"
        mark = max(e.seq for e in story.events)
        unheld = await story.bridge.unhold(first)
        assert unheld.ok, unheld
        await story.wait_for(AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.seq > mark)
        assert story.bridge.agent(first)["state"] == "talking"
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert (ended.outcome, ended.hangup_side, ended.agent_id) == ("answered", "agent", first)
    assert ended.queue == QUEUE_A and ended.queued_at == before["queued_at"]
    assert ended.waited == pytest.approx(answered.waited, abs=1.0) and ended.waited > 1.0
    assert len(story.of(CallOffered, call_id=call_id, agent_id=first)) == 1


async def _caller_hangs_up(story: Story, call_id: str) -> None:
    """The caller gives up now: their own end (the hotline-sim-caller half of the Local pair)
    hangs up, as its Hangup() would once its stay ran out, without the story waiting for that."""
    own = [
        c["Channel"]
        for c in await story.net.action_list("CoreShowChannels")
        if c.get("Linkedid") == call_id and c.get("Context") == "hotline-sim-caller"
    ]
    assert len(own) == 1, own
    await story.net.action("Hangup", Channel=own[0])


def _waiting_in(story: Story, queue: str) -> list[str]:
    return next(q["waiting_calls"] for q in story.bridge.queues() if q["queue"] == queue)


def _queue_count(story: Story, queue: str, key: str) -> int:
    return next((q[key] for q in story.bridge.queues() if q["queue"] == queue), 0)


async def test_a_completed_consult_to_a_queue_hands_the_caller_over_not_back_to_the_agent(asterisk):
    """完成转接 to a queue the agent is a free member of: the agent goes to 话后处理 and the
    caller is not offered back to them meanwhile (as a blind transfer to a queue); the hold
    ends with the hand-over. The caller waits in QUEUE_B now (its board counts them), its next
    offer names QUEUE_B, and the record is QUEUE_B's keeping the first answer and its wait, as a
    blind transfer's."""
    async with Story(asterisk, acw_seconds=30) as story:
        first, other, call_id, answered, before = await _consulting_a_queue(story)
        assert call_id not in _waiting_in(story, QUEUE_B)  # the consultation's leg is no caller
        await asyncio.sleep(0.5)
        assert (await story.bridge.complete_transfer(first)).ok
        await story.wait_for(AgentStateChanged, agent_id=first, state="after_call_work")
        await asyncio.sleep(1.0)  # the caller waits in QUEUE_B, where `first` is a member
        assert len(story.of(CallOffered, call_id=call_id, agent_id=first)) == 1, story.events[-20:]
        assert story.bridge.agent(first)["state"] == "after_call_work"
        call = _call(story, call_id)
        assert call["on_hold"] is False, call  # handed to the queue, held by nobody
        assert call["queue"] == QUEUE_B and call["queued_at"] > before["queued_at"], call
        assert _waiting_in(story, QUEUE_B) == [call_id]
        held = [h.held for h in story.of(CallHeld, call_id=call_id)]
        # the next agent to be free takes them: `first`, done with the write-up
        await story.bridge.pause(other, "小休")
        done = max(e.seq for e in story.events)
        assert (await story.bridge.wrapup_done(first)).ok
        await story.wait_for(AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.seq > done)
        await asyncio.sleep(0.3)
        offered = story.of(CallOffered, call_id=call_id, agent_id=first)[-1]
        assert offered.queue == QUEUE_B, offered  # the pop names the queue it comes from
        assert _waiting_in(story, QUEUE_B) == []
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert held[-1] is False
    assert (ended.outcome, ended.agent_id) == ("answered", first)
    assert ended.queue == QUEUE_B and ended.answered_at == answered.answered_at
    assert ended.waited == pytest.approx(answered.waited, abs=1.0) and ended.waited > 1.0
    assert ended.hold_seconds < 4.0  # the consultation only, not the wait in QUEUE_B after it


async def test_a_caller_handed_to_a_queue_on_a_completed_consult_who_gives_up_abandons_that_queue(asterisk):
    """QA: after 完成转接 to 投诉 the caller waited there unseen (the board's waiting 0, the call
    still the agent's in the first queue) and their hang-up was recorded answered. The caller
    waits in QUEUE_B: its board shows them, and their giving up is QUEUE_B's abandon."""
    async with Story(asterisk, acw_seconds=30) as story:
        first, other, call_id, answered, before = await _consulting_a_queue(story)
        abandoned = _queue_count(story, QUEUE_B, "abandoned")
        assert (await story.bridge.complete_transfer(first)).ok
        await story.wait_for(AgentStateChanged, agent_id=first, state="after_call_work")
        await asyncio.sleep(1.0)
        call = _call(story, call_id)
        assert (call["queue"], call["on_hold"]) == (QUEUE_B, False), call
        assert _waiting_in(story, QUEUE_B) == [call_id]
        await _caller_hangs_up(story, call_id)
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
        await asyncio.sleep(0.3)
        assert _waiting_in(story, QUEUE_B) == []
        assert _queue_count(story, QUEUE_B, "abandoned") == abandoned + 1
        assert _queue_count(story, QUEUE_A, "abandoned") == 0
    assert ended.outcome in ("abandoned_queue", "abandoned_ringing"), ended
    assert (ended.queue, ended.hangup_side, ended.answered_at) == (QUEUE_B, "caller", answered.answered_at)
    assert ended.agent_id == first and ended.legs[0][0] == first


async def test_a_hold_asterisk_refuses_leaves_the_call_as_it_was(asterisk):
    async with Story(asterisk) as story:
        (agent,) = await ready_agents(story, "hold")
        await story.call_in(QUEUE_A, stay=20)
        call_id = await answered_by(story, agent)
        call = story.bridge.model.calls[call_id]
        customer, call.customer_channel = call.customer_channel, "Local/nobody@hotline-sim-caller-00000000;2"
        refused = await story.bridge.hold(agent)
        assert (refused.ok, refused.reason) == (False, "channel_gone"), refused
        await story.bridge.flush()
        assert story.bridge.agent(agent)["state"] == "talking"
        assert _call(story, call_id)["on_hold"] is False
        assert not story.of(CallHeld, call_id=call_id)
        assert ("on_hold", "") not in story.agent_states(agent)
        call.customer_channel = customer
        assert (await story.bridge.hold(agent)).ok  # the caller is still there to hold
        await asyncio.sleep(0.5)
        assert (await story.bridge.unhold(agent)).ok
        await asyncio.sleep(0.3)
        assert (await story.bridge.hangup(agent)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id)
    assert [h.held for h in story.of(CallHeld, call_id=call_id)] == [True, False]
    assert 0.3 < ended.hold_seconds < 1.5


async def test_the_caller_keeps_their_own_name_through_a_consult_and_a_conference(asterisk):
    """The conference's invitation rings the colleague with the hotline's caller ID: that is not
    the customer's name (the caller here has none)."""
    async with Story(asterisk) as story:
        first, second = await ready_agents(story, "hold", "hold")
        await story.bridge.pause(second, "小休")
        await story.call_in(QUEUE_A, stay=30, name="")
        call_id = await answered_by(story, first)
        await story.bridge.ready(second)
        assert (await story.bridge.consult(first, "agent", second)).ok
        await story.wait_for(AgentStateChanged, agent_id=second, state="talking")
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=second, state="ready", where=lambda e: e.previous == "talking"
        )
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.previous == "on_hold"
        )
        await asyncio.sleep(0.3)
        assert (await story.bridge.conference(first, second)).ok
        for _ in range(500):
            if story.agent_states(second).count(("talking", "")) == 2:
                break
            await asyncio.sleep(0.02)
        assert story.agent_states(second).count(("talking", "")) == 2, story.agent_states(second)
        await asyncio.sleep(0.5)
        assert _call(story, call_id)["caller_name"] == ""
        assert (await story.bridge.hangup(first)).ok
        await asyncio.sleep(0.5)
        assert (await story.bridge.hangup(second)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=15)
    assert (ended.caller, ended.caller_name) == ("13800138000", "")


async def test_click_to_dial_pops_the_number_dialled_without_the_hotlines_name(asterisk):
    async with Story(asterisk, acw_seconds=0) as story:
        agent = await story.new_agent(ring="1", talk="hold")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE_B: 0})).ok
        assert (await story.bridge.pause(agent, "小休")).ok
        await story.net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
        result = await story.bridge.dial(agent, "13900139001")
        assert result.ok, result
        call_id = result.data["call_id"]
        offered = await story.wait_for(CallOffered, call_id=call_id, timeout=5)
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=15)
    assert (offered.caller, offered.caller_name) == ("13900139001", "")
    assert (ended.caller, ended.caller_name) == ("13900139001", "")


async def test_signing_out_while_the_phone_rings_is_no_missed_call(asterisk):
    """下班 withdraws the ringing offer: the seat goes from 振铃 straight to 下班, not through
    未就绪·未接 (the reports would count a missed call), and the caller waits on."""
    async with Story(asterisk) as story:
        agent = await story.new_agent(ring="never", talk="hold")
        assert (await story.bridge.login(agent, seat(agent), {QUEUE_A: 0})).ok
        # a colleague on a break: the queue is not empty when `agent` leaves it
        colleague = await story.new_agent(talk="hold")
        assert (await story.bridge.login(colleague, seat(colleague), {QUEUE_A: 0})).ok
        assert (await story.bridge.pause(colleague, "小休")).ok
        assert (await story.bridge.ready(agent)).ok
        await story.call_in(QUEUE_A, stay=20)
        offered = await story.wait_for(CallOffered, agent_id=agent, timeout=10)
        await asyncio.sleep(0.5)
        assert story.bridge.agent(agent)["state"] == "ringing"
        result = await story.bridge.logout(agent)
        assert result.ok, result
        await asyncio.sleep(1.5)
        await story.bridge.flush()
        assert story.bridge.agent(agent)["state"] == "logged_out"
        assert not story.of(CallEnded, call_id=offered.call_id)  # the caller waits on
    states = story.agent_states(agent)
    assert states[-2:] == [("ringing", ""), ("logged_out", "")], states
    assert ("not_ready", "未接") not in states
    assert not [e for e in story.of(AgentStateChanged, agent_id=agent) if e.reason == "未接"]
    assert not story.of(ConsultChanged)
