"""The agent state machine, every (state, trigger) pair."""

import itertools

import pytest

from cti import agents as A
from cti.agents import Agent, AgentBook, InvalidTransition, channel_prefix


def book(acw: float = 0.0):
    events = []
    return AgentBook(events.append, acw_seconds=acw), events


def agent_in(b: AgentBook, state: str, reason: str = "") -> Agent:
    agent = b.ensure("a1", "Local/2001@hotline-sim-phone/n")
    agent.state, agent.reason, agent.since = state, reason, 100.0
    return agent


@pytest.mark.parametrize(("state", "trigger"), list(itertools.product(A.STATES, A.TRIGGERS)))
def test_every_pair_is_either_a_listed_transition_or_refused(state, trigger):
    b, events = book(acw=30)
    agent = agent_in(b, state)
    if (state, trigger) not in A.TRANSITIONS:
        with pytest.raises(InvalidTransition):
            b.apply(agent, trigger, 110.0)
        assert agent.state == state and events == []
        return
    b.apply(agent, trigger, 110.0, reason="小休" if trigger == "pause" else "", call_id="c1")
    assert agent.state in A.STATES
    if events:
        assert events[-1].previous == state
        assert events[-1].seconds_in_previous == pytest.approx(10.0)
        assert events[-1].state == agent.state


def test_a_shift_ready_ring_talk_acw_ready():
    b, events = book(acw=30)
    agent = b.ensure("a1", "Local/2001@hotline-sim-phone/n")
    b.apply(agent, "login", 1.0)
    b.apply(agent, "ready", 2.0)
    b.apply(agent, "offer", 3.0, call_id="c1")
    b.apply(agent, "answer", 4.0, call_id="c1")
    b.apply(agent, "hold", 5.0)
    b.apply(agent, "unhold", 7.0)
    b.apply(agent, "end", 9.0)
    b.apply(agent, "acw_done", 39.0)
    assert [(e.state, e.seconds_in_previous) for e in events] == [
        ("not_ready", 0.0),
        ("ready", 1.0),
        ("ringing", 1.0),
        ("talking", 1.0),
        ("on_hold", 1.0),
        ("talking", 2.0),
        ("after_call_work", 2.0),
        ("ready", 30.0),
    ]
    assert events[0].reason == A.LOGIN_REASON
    assert events[2].call_id == events[3].call_id == "c1"
    assert events[6].reason == A.ACW_REASON and events[6].call_id == "c1"
    assert events[7].call_id == ""


def test_missed_ring_makes_the_agent_not_ready_with_the_missed_reason():
    b, events = book()
    agent = agent_in(b, A.READY)
    b.apply(agent, "offer", 101.0, call_id="c1")
    b.apply(agent, "miss", 104.0)
    assert agent.state == A.NOT_READY and agent.reason == "未接"
    assert events[-1].seconds_in_previous == pytest.approx(3.0)


def test_cancelled_ring_goes_back_to_where_the_agent_was():
    b, _ = book()
    agent = agent_in(b, A.NOT_READY, "用餐")
    b.apply(agent, "offer", 101.0, call_id="c1")  # a click-to-dial rings a paused agent
    b.apply(agent, "cancel", 102.0)
    assert (agent.state, agent.reason) == (A.NOT_READY, "用餐")


def test_without_acw_a_call_ends_in_the_state_before_it():
    b, _ = book(acw=0)
    agent = agent_in(b, A.READY)
    b.apply(agent, "offer", 101.0, call_id="c1")
    b.apply(agent, "answer", 102.0, call_id="c1")
    b.apply(agent, "end", 103.0)
    assert agent.state == A.READY and agent.call_id == ""


def test_same_state_same_reason_publishes_nothing():
    b, events = book()
    agent = agent_in(b, A.NOT_READY, "小休")
    assert b.apply(agent, "pause", 101.0, reason="小休") is None
    assert b.apply(agent, "pause", 102.0, reason="用餐") is not None
    assert len(events) == 1


def test_logout_is_allowed_from_every_logged_in_state():
    for state in A.STATES[1:]:
        b, _ = book()
        agent = agent_in(b, state)
        b.apply(agent, "logout", 101.0)
        assert agent.state == A.LOGGED_OUT


def test_channels_map_to_seats():
    b, _ = book()
    b.ensure("a1", "Local/2001@hotline-sim-phone/n")
    b.ensure("a2", "PJSIP/1001")
    b.ensure("a3", "Local/20011@hotline-sim-phone/n")
    assert b.by_channel("Local/2001@hotline-sim-phone-0000000a;1").agent_id == "a1"
    assert b.by_channel("Local/20011@hotline-sim-phone-0000000b;2").agent_id == "a3"
    assert b.by_channel("PJSIP/1001-00000001").agent_id == "a2"
    assert b.by_channel("PJSIP/10011-00000001") is None
    assert channel_prefix("PJSIP/1001") == "PJSIP/1001-"


def test_a_channel_finds_its_seat_among_many():
    from cti.agents import AgentBook

    book = AgentBook(notify=lambda change: None)
    for n in range(1000):
        book.ensure(f"{1000 + n}", f"PJSIP/{1000 + n}")
    local = book.ensure("sim", "Local/2901@hotline-sim-phone/n")
    dashed = book.ensure("dash", "PJSIP/agent-7")
    assert book.by_channel("PJSIP/1500-0000000a").agent_id == "1500"
    assert book.by_channel("Local/2901@hotline-sim-phone-00000002;1") is local
    assert book.by_channel("PJSIP/agent-7-0000001f") is dashed
    assert book.by_channel("PJSIP/9999-00000001") is None and book.by_channel("Local") is None
