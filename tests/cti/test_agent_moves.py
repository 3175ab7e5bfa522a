"""``AgentBook.apply`` in C (``_speedups.AgentMoves``) moves agents as the Python one does: the same
states, reasons, calls and times, the same events published and returned, the same watchers told,
the same refusals, whatever the sequence of triggers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti import agents as A
from cti.agents import AgentBook
from cti.ami import speedups

needs_c = pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")

TRIGGERS = [*A.TRIGGERS, "bogus"]
REASONS = ["", "小休", A.LOGIN_REASON, A.FORCED_PAUSE_REASON]
CALLS = ["", "c1", "c2"]
TIMES = [0.0, 5.0, 7.5, 3.0]  # 0.0: an agent never timed; 3.0: earlier than the last change


class Seats:
    """Two agents in a book; every published event, and every watcher's look, in order."""

    def __init__(self, c: bool, acw: float) -> None:
        self.log: list[object] = []
        self.book = AgentBook(self.log.append, acw_seconds=acw, speedups=c)
        self.book.watch(lambda agent: self.log.append(("watched", agent.agent_id, agent.state, agent.reason)))
        for agent_id in ("2001", "2002"):
            self.book.ensure(agent_id, f"PJSIP/{agent_id}")

    def apply(self, agent_id: str, trigger: str, at: float, **kwargs: str) -> object:
        try:
            return self.book.apply(self.book.get(agent_id), trigger, at, **kwargs)
        except Exception as exc:  # compared between the two books
            return f"{type(exc).__name__}: {exc}"

    def state(self) -> list[object]:
        return [repr(e) for e in self.log] + [dataclasses.asdict(a) for a in self.book.agents.values()]


@needs_c
@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_sequence_of_moves_is_the_same_in_c_and_in_python(data):
    acw = data.draw(st.sampled_from([0.0, 30.0]))
    c, python = Seats(True, acw), Seats(False, acw)
    assert type(c.book.apply).__name__ == "AgentMoves"
    for _ in range(data.draw(st.integers(1, 30))):
        agent_id = data.draw(st.sampled_from(["2001", "2002"]))
        trigger = data.draw(st.sampled_from(TRIGGERS))
        at = data.draw(st.sampled_from(TIMES))
        kwargs = {}
        if data.draw(st.booleans()):
            kwargs["reason"] = data.draw(st.sampled_from(REASONS))
        if data.draw(st.booleans()):
            kwargs["call_id"] = data.draw(st.sampled_from(CALLS))
        if data.draw(st.integers(0, 9)) == 0:  # a resync's doing between moves
            before_reason = data.draw(st.sampled_from(REASONS))
            for seats in (c, python):
                agent = seats.book.get(agent_id)
                agent.before_call, agent.before_call_reason = A.NOT_READY, before_reason
        if data.draw(st.integers(0, 9)) == 0:  # the limit changed at run time (a setting)
            c.book.acw_seconds = python.book.acw_seconds = 30.0 - c.book.acw_seconds
        step = (agent_id, trigger, at, kwargs)
        assert repr(c.apply(agent_id, trigger, at, **kwargs)) == repr(
            python.apply(agent_id, trigger, at, **kwargs)
        ), step
        assert c.state() == python.state(), step


@needs_c
def test_a_call_from_after_call_work_and_its_end_are_the_same_in_c_and_in_python():
    """The paths a random walk reaches seldom: a call-back round's pause kept through the next call
    from 话后处理, its 话后处理 ending in that pause, a missed ring, a forced sign-out."""
    steps = [
        ("login", 1.0, {}),
        ("pause", 2.0, {"reason": "小休"}),
        ("offer", 3.0, {"call_id": "c1"}),
        ("answer", 4.0, {}),
        ("end", 5.0, {"call_id": "c1"}),
        ("offer", 6.0, {"call_id": "c2"}),  # the next call-back, from 话后处理
        ("answer", 7.0, {}),
        ("end", 8.0, {}),
        ("acw_done", 9.0, {}),  # back to 小休
        ("ready", 10.0, {}),
        ("offer", 11.0, {"call_id": "c3"}),
        ("miss", 12.0, {}),
        ("logout", 13.0, {}),
        ("ready", 14.0, {}),  # refused: signed out
    ]
    c, python = Seats(True, 30.0), Seats(False, 30.0)
    for trigger, at, kwargs in steps:
        assert repr(c.apply("2001", trigger, at, **kwargs)) == repr(
            python.apply("2001", trigger, at, **kwargs)
        )
        assert c.state() == python.state(), trigger
    assert c.book.get("2001").state == A.LOGGED_OUT and c.book.get("2001").skills == {}
    states = [e.state for e in c.log if isinstance(e, A.AgentStateChanged)]
    assert A.AFTER_CALL_WORK in states and states[-1] == A.LOGGED_OUT


@needs_c
def test_other_arguments_go_to_the_python_apply_and_raise_what_it_raises():
    c, python = Seats(True, 0.0), Seats(False, 0.0)
    for seats in (c, python):
        agent = seats.book.get("2001")
        with pytest.raises(TypeError) as raised:
            seats.book.apply(agent, "login", 1.0, cause="x")
        seats.log.append(str(raised.value))
        with pytest.raises(TypeError):
            seats.book.apply(agent, "login")
        seats.log.append(seats.book.apply(agent, trigger="login", at=1.0))  # keywords: the Python apply's
    assert c.state() == python.state()


@needs_c
def test_a_book_with_its_own_apply_keeps_it():
    class Book(AgentBook):
        def apply(self, agent, trigger, at, *, reason="", call_id=""):
            return super().apply(agent, trigger, at, reason=reason, call_id=call_id)

    assert type(AgentBook(print).apply).__name__ == "AgentMoves"
    assert type(AgentBook(print, speedups=False).apply).__name__ == "method"
    assert type(Book(print).apply).__name__ == "method"
