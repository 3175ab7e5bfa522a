"""Click-to-dial (回呼) pops on the agent's seat while the agent's own phone rings, before the
customer is dialled: the customer matched by the number dialled, the call outbound; the pop then
follows the call as an inbound one's does (answered, failed, rejected). Real Asterisk."""

from __future__ import annotations

import asyncio

import pytest

from cti.call_events import AgentStateChanged, CallAnswered, CallEnded, CallOffered, CallStarted
from tests.cti.harness import QUEUE_B, Story, seat

pytestmark = pytest.mark.asterisk

CUSTOMER = {"id": 7, "name": "李四", "account_no": "0100000007"}


def lookup_for(number: str, found: list[str]):
    async def lookup(caller: str):
        found.append(caller)
        await asyncio.sleep(0.2)  # a pop waits for its customer: what the seat does meanwhile waits too
        return CUSTOMER if caller == number else None

    return lookup


def seqs(story: Story, call_id: str, agent: str) -> list[tuple[str, str]]:
    """The call's and the agent's events in bus order: (name, state or direction)."""
    out = []
    for e in story.events:
        if isinstance(e, AgentStateChanged) and e.agent_id == agent:
            out.append((e.name, e.state))
        elif getattr(e, "call_id", None) == call_id:
            out.append((e.name, getattr(e, "direction", "")))
    return out


async def signed_in(story: Story, ring: str, talk: str = "hold") -> str:
    agent = await story.new_agent(ring=ring, talk=talk)
    assert (await story.bridge.login(agent, seat(agent), {QUEUE_B: 0})).ok
    assert (await story.bridge.pause(agent, "小休")).ok  # 回呼 from a break: out of the queue's way
    return agent


async def test_the_agents_phone_ringing_pops_the_customer_dialled_then_the_answer(asterisk):
    number, found = "13900139001", []
    async with Story(asterisk, lookup=lookup_for(number, found)) as story:
        agent = await signed_in(story, ring="1")
        await story.net.action("DBPut", Family="hotline-sim", Key="customer-talk", Val="2")
        result = await story.bridge.dial(agent, number)
        assert result.ok, result
        call_id = result.data["call_id"]
        offered = await story.wait_for(CallOffered, call_id=call_id, timeout=5)
        # while the agent's own phone still rings (1 s), the customer not dialled yet
        assert story.bridge.agent(agent)["state"] == "ringing"
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["direction"], call["ringing"], call["answered_at"]) == ("outbound", [agent], 0.0)
        answered = await story.wait_for(CallAnswered, call_id=call_id, timeout=10)
        call = next(c for c in story.bridge.calls() if c["call_id"] == call_id)
        assert (call["agent_id"], call["ringing"]) == (agent, [])
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
    assert offered.agent_id == agent and offered.caller == number and offered.dnis == number
    assert offered.customer == CUSTOMER and found == [number]
    assert offered.queue == "" and offered.offered_at < answered.answered_at
    order = seqs(story, call_id, agent)
    # which way the call goes is on the bus before the seat rings, and the pop before the answer
    assert order.index(("CallStarted", "outbound")) < order.index(("AgentStateChanged", "ringing"))
    assert order.index(("AgentStateChanged", "ringing")) < order.index(("CallOffered", ""))
    assert order.index(("CallOffered", "")) < order.index(("CallAnswered", ""))
    assert (
        len(story.of(CallStarted, call_id=call_id)) == 1 and len(story.of(CallOffered, call_id=call_id)) == 1
    )
    assert (ended.direction, ended.outcome, ended.agent_id) == ("outbound", "answered", agent)
    assert ended.agents_offered == (agent,) and ended.ringing_at == offered.offered_at


async def test_a_customer_who_does_not_answer_ends_the_pop_with_the_seat_ringing(asterisk):
    number = "13900139000"  # ends in 0: the simulated customer never answers
    async with Story(asterisk, lookup=lookup_for(number, [])) as story:
        agent = await signed_in(story, ring="0")
        result = await story.bridge.dial(agent, number, ring_timeout=2)
        assert result.ok, result
        call_id = result.data["call_id"]
        offered = await story.wait_for(CallOffered, call_id=call_id, timeout=5)
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
        back = await story.wait_for(
            AgentStateChanged, agent_id=agent, previous="ringing", where=lambda e: e.seq > offered.seq
        )
        await story.bridge.flush()
        assert [c for c in story.bridge.calls() if c["call_id"] == call_id] == []
    assert offered.customer == CUSTOMER
    assert (ended.outcome, ended.answered_at, ended.agent_id) == ("failed", 0.0, "")
    assert ended.agents_offered == (agent,)
    assert (back.state, back.reason) == ("not_ready", "小休")  # back on the break it dialled from
    assert not story.of(CallAnswered, call_id=call_id)


async def test_the_agent_rejecting_the_ring_ends_the_pop_and_no_customer_is_dialled(asterisk):
    number = "13900139002"
    async with Story(asterisk, lookup=lookup_for(number, [])) as story:
        agent = await signed_in(story, ring="never")
        dialled = []
        story.net.on_event(
            "DialBegin",
            lambda f: (
                dialled.append(f.get("DestChannel"))
                if "hotline-sim-customer" in f.get("DestChannel")
                else None
            ),
        )
        result = await story.bridge.dial(agent, number)
        assert result.ok, result
        call_id = result.data["call_id"]
        offered = await story.wait_for(CallOffered, call_id=call_id, timeout=5)
        # the phone declines (busy here): its half of the seat's Local channel hangs up
        phones = [
            c["Channel"]
            for c in await story.net.action_list("CoreShowChannels")
            if c.get("Channel", "").startswith(f"Local/{agent}@hotline-sim-phone-")
            and c["Channel"].endswith(";2")
        ]
        assert phones
        await story.net.action("Hangup", Channel=phones[0], Cause="21")
        ended = await story.wait_for(CallEnded, call_id=call_id, timeout=10)
        back = await story.wait_for(AgentStateChanged, agent_id=agent, previous="ringing")
    assert offered.agent_id == agent and offered.customer == CUSTOMER
    assert back.seq > offered.seq and (back.state, back.reason) == ("not_ready", "小休")
    assert (ended.outcome, ended.direction, ended.answered_at) == ("failed", "outbound", 0.0)
    assert dialled == []
