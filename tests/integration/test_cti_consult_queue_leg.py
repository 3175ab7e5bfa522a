"""咨询转接 to a queue, told as stories on the real Asterisk: the consultation's leg waits in the
consulted queue; it is never the caller, neither for a bridge that restarts meanwhile nor for
the member of that queue who rings for it."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallEnded, CallOffered
from tests.cti.harness import QUEUE_A, QUEUE_B, Story, answered_by, seat

pytestmark = pytest.mark.asterisk


def _call(story: Story, call_id: str) -> dict:
    return next(c for c in story.bridge.calls() if c["call_id"] == call_id)


def _waiting(story: Story, queue: str) -> list[str]:
    return next(q for q in story.bridge.queues() if q["queue"] == queue)["waiting_calls"]


async def _consulting_a_queue(story: Story) -> tuple[str, str, str, dict]:
    """``first`` answers a QUEUE_A caller (who waited a little first) and consults QUEUE_B,
    whose one member (``other``) lets it ring: (first, other, call_id, the call before)."""
    first = await story.new_agent(talk="hold")
    assert (await story.bridge.login(first, seat(first), {QUEUE_A: 0})).ok
    other = await story.new_agent(ring="never", talk="hold")
    assert (await story.bridge.login(other, seat(other), {QUEUE_B: 0})).ok
    assert (await story.bridge.ready(other)).ok
    await story.call_in(QUEUE_A, caller="13900139000", name="张三", stay=40)
    await asyncio.sleep(1.0)  # a wait of the caller's own
    assert (await story.bridge.ready(first)).ok
    call_id = await answered_by(story, first)
    before = dict(_call(story, call_id))
    assert before["queue"] == QUEUE_A and before["customer_channel"], before
    assert (await story.bridge.consult(first, "queue", QUEUE_B)).ok
    await story.wait_for(AgentStateChanged, agent_id=first, state="on_hold")
    await story.wait_for(AgentStateChanged, agent_id=other, state="ringing")
    await asyncio.sleep(0.3)
    await story.bridge.flush()
    return first, other, call_id, before


async def _restart(story: Story) -> None:
    """The bridge process dies (its model with it, the bus stays) and a new one takes over."""
    await story.bridge.flush()
    await story.bridge.stop()
    await story.start_bridge()
    await story.bridge.flush()


async def test_a_bridge_restarted_during_a_consult_to_a_queue_keeps_the_calls_customer(asterisk):
    """The consultation's leg sitting in QUEUE_B is the agent's consult, not the caller: after the
    restart the call keeps its customer, queue and wait, QUEUE_B has nobody waiting, and after
    取消咨询 the agent holds and ends the call with the real caller; the record is an answered
    call of QUEUE_A the agent hung up, not an abandon."""
    async with Story(asterisk) as story:
        first, other, call_id, before = await _consulting_a_queue(story)
        await _restart(story)
        call = _call(story, call_id)
        kept = ("customer_channel", "queue", "queued_at", "caller", "caller_name")
        assert {k: call[k] for k in kept} == {k: before[k] for k in kept}, call
        assert story.bridge.agent(first)["consult"] == {
            "call_id": call_id,
            "target": f"queue:{QUEUE_B}",
            "caller_gone": False,
        }
        assert story.bridge.agent(first)["state"] == "on_hold"
        assert call_id not in _waiting(story, QUEUE_B)
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.previous == "on_hold"
        )
        await asyncio.sleep(0.5)
        call = _call(story, call_id)
        assert {k: call[k] for k in kept} == {k: before[k] for k in kept}, call
        assert call_id not in _waiting(story, QUEUE_B)
        held = await story.bridge.hold(first)  # acts on the caller's channel, not the gone leg
        assert held.ok, held
        await asyncio.sleep(0.5)
        assert story.bridge.agent(first)["state"] == "on_hold"
        unheld = await story.bridge.unhold(first)
        assert unheld.ok, unheld
        await asyncio.sleep(0.3)
        assert story.bridge.agent(first)["state"] == "talking"
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert (ended.outcome, ended.hangup_side, ended.agent_id) == ("answered", "agent", first)
    assert (ended.queue, ended.queued_at) == (QUEUE_A, before["queued_at"])


async def test_the_member_ringing_for_a_consult_to_their_queue_gets_one_pop_naming_that_queue(asterisk):
    """QUEUE_B's member rings once for the consultation's leg: one screen-pop, saying it comes
    from QUEUE_B (where it is offered), about the customer the consultation is about."""
    async with Story(asterisk) as story:
        first, other, call_id, before = await _consulting_a_queue(story)
        await asyncio.sleep(1.0)  # a ring of a second or so: no second pop comes
        await story.bridge.flush()
        pops = story.of(CallOffered, call_id=call_id, agent_id=other)
        assert len(pops) == 1, pops
        (pop,) = pops
        assert (pop.queue, pop.caller, pop.caller_name) == (QUEUE_B, "13900139000", "张三"), pop
        assert pop.waited == pytest.approx(before["waited"], abs=0.01), pop  # the customer's wait
        assert _call(story, call_id)["queue"] == QUEUE_A  # the call itself stays QUEUE_A's
        assert len(story.of(CallOffered, call_id=call_id, agent_id=first)) == 1
        assert (await story.bridge.cancel_transfer(first)).ok
        await story.wait_for(AgentStateChanged, agent_id=other, where=lambda e: e.state != "ringing")
        await story.wait_for(
            AgentStateChanged, agent_id=first, state="talking", where=lambda e: e.previous == "on_hold"
        )
        await asyncio.sleep(0.5)
        assert (await story.bridge.hangup(first)).ok
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert (ended.outcome, ended.queue) == ("answered", QUEUE_A)
    assert len(story.of(CallOffered, call_id=call_id, agent_id=other)) == 1
