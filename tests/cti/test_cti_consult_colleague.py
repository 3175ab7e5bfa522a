"""A colleague consulted (咨询转接) is asked a question about another agent's caller: the ring and
the talk say whose consultation it is, and one that ends without the transfer being completed
leaves the colleague no after-call work. Completed, the caller is the colleague's as after a
transfer. The same with the C accelerator and without (``HOTLINE_NO_SPEEDUPS``)."""

from __future__ import annotations

import pytest

from cti import agents as A
from cti.agents import AgentBook
from cti.call_events import CallAnswered, CallOffered
from cti.calls import CallModel
from cti.queues import QueueBoard
from cti.resync import History
from tests.cti.test_calls import (
    AGENT_2_CH,
    AGENT_CH,
    CALLER_1,
    CALLER_2,
    DIALING_1,
    DIALING_2,
    LINKED,
    World,
    _cancelled_at_18,
    _consulting_2002,
)


@pytest.fixture(params=[True, False], ids=["speedups", "pure-python"])
def world(request: pytest.FixtureRequest) -> World:
    """``World`` (test_calls) with after-call work on, its model and seats built with the C
    accelerator or without it."""
    w = World(acw=30.0)
    w.events.clear()
    w.agents = AgentBook(w.events.append, acw_seconds=30.0, speedups=request.param)
    w.queues = QueueBoard(w.events.append, w.agents)
    w.model = CallModel(w.events.append, w.agents, w.queues, speedups=request.param)
    agent = w.agents.ensure("2001", "Local/2001@hotline-sim-phone/n")
    w.agents.apply(agent, "login", 1.0)
    w.agents.apply(agent, "ready", 2.0)
    return w


def test_the_colleague_consulted_is_told_whose_consultation_it_is(world: World):
    _consulting_2002(world, by_command=True)
    offers = [(e.agent_id, e.consult_from) for e in world.of(CallOffered) if e.agent_id == "2002"]
    assert offers == [("2002", "2001")]
    answers = [(e.agent_id, e.answered_at, e.consult_from) for e in world.of(CallAnswered)]
    assert answers == [("2001", 13.0, ""), ("2002", 16.0, "2001")]


def test_a_cancelled_consultation_leaves_the_colleague_no_after_call_work(world: World):
    _consulting_2002(world, by_command=True)
    _cancelled_at_18(world)
    colleague = world.agents.get("2002")
    assert (colleague.state, colleague.call_id) == (A.READY, "")
    # the caller's own agent still ends theirs in after-call work
    world.hangup(AGENT_CH, "1700000000.3", 25.0)
    assert world.agents.get("2001").state == A.AFTER_CALL_WORK


def test_a_completed_consultation_hands_the_colleague_the_caller(world: World):
    _consulting_2002(world, by_command=True)
    world.hangup(AGENT_CH, "1700000000.3", 20.0)  # 完成转接: the consulting agent leaves
    # announced again, the same leg (answered at 16.0), now as the colleague's own caller
    assert [(e.agent_id, e.answered_at, e.consult_from) for e in world.of(CallAnswered)][-1] == (
        "2002",
        16.0,
        "",
    )
    for channel, uid, at in (
        (AGENT_2_CH, "1700000000.4", 30.0),
        (DIALING_2, "1700000000.6", 30.0),
        (DIALING_1, "1700000000.5", 30.0),
        (CALLER_2, "1700000000.2", 30.1),
        (CALLER_1, LINKED, 30.2),
    ):
        world.hangup(channel, uid, at)
    assert world.agents.get("2002").state == A.AFTER_CALL_WORK


def test_a_restarted_bridge_knows_who_was_only_consulted_and_a_completion_is_one_leg(world: World):
    """The bus's history (``History``, whose calls a restarted bridge restores) keeps the colleague
    consulted, so a cancel after a restart leaves them no after-call work either; a completed
    consultation's second ``CallAnswered`` is the same leg, not another."""
    _consulting_2002(world, by_command=True)
    during = History()
    for e in world.events:
        during.add(e)
    assert during.calls[LINKED].consulted == {"2002": "2001"}
    world.hangup(AGENT_CH, "1700000000.3", 20.0)  # completed
    after = History()
    for e in world.events:
        after.add(e)
    call = after.calls[LINKED]
    assert call.consulted == {}
    assert [leg[:2] for leg in call.legs] == [["2001", 13.0], ["2002", 16.0]]
