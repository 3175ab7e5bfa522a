"""The queue board's publish, join, leave, outcome and its watcher of the agents in C
(``_speedups.QueueDesk``) count and publish as the Python methods do: the same ``QueueUpdated`` and
``QueueMemberChanged`` events in the same order, the same queues and last published figures,
whatever the sequence of callers, outcomes, members and agents' moves."""

from __future__ import annotations

import dataclasses
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti import agents as A
from cti.agents import AgentBook
from cti.ami import speedups
from cti.queues import Member, Queue, QueueBoard

needs_c = pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")

AGENTS = ("1001", "1002", "1003")
SEATS = {agent_id: f"PJSIP/{agent_id}" for agent_id in AGENTS}
QUEUES = ("fault", "service", "new")  # "new": no member, made by the first caller's join
CALLS = ("c1", "c2", "c3")
OUTCOMES = ("answered", "abandoned_queue", "abandoned_ringing", "overflow", "callback")
WAITED = (None, 0.0, 5.0, 19.999, 20.0, 20.001, 4.999)
# a float time is read in C; an int one (a test's, a resync's) goes to the method, as any other type
TIMES = st.one_of(st.floats(0.0, 1e9, allow_nan=False), st.integers(0, 100))


class Board:
    """A board on its own agent book, every event either publishes kept in order."""

    def __init__(self, c: bool) -> None:
        self.log: list[object] = []
        self.book = AgentBook(self.log.append, speedups=c)
        self.board = QueueBoard(self.log.append, self.book, server="127.0.0.1:5038", speedups=c)
        for agent_id in AGENTS[:2]:  # the third is a member only, until something ensures it
            self.book.ensure(agent_id, SEATS[agent_id])

    def do(self, op: tuple) -> object:
        kind, *args = op
        try:
            if kind == "move":
                agent_id, trigger, at = args
                return self.book.apply(self.book.ensure(agent_id, SEATS[agent_id]), trigger, at)
            if kind == "force":
                agent_id, state, at = args
                return self.book.force(self.book.ensure(agent_id, SEATS[agent_id]), state, at)
            if kind == "member":
                queue, agent_id, penalty, paused, at = args
                return self.board.member(queue, SEATS[agent_id], agent_id, penalty, paused, "", at)
            if kind == "remove":
                queue, agent_id, at = args
                return self.board.remove_member(queue, SEATS[agent_id], at)
            if kind == "outcome":
                queue, outcome, at, waited, call_id = args
                return self.board.outcome(queue, outcome, at, waited, call_id=call_id)
            if kind == "publish":
                queue, at, force = args
                return self.board.publish(queue, at, force=force)
            if kind == "recount":
                return self.board.recount()
            return getattr(self.board, kind)(*args)  # join, leave
        except Exception as exc:  # compared between the two boards
            return f"{type(exc).__name__}: {exc}"

    def state(self) -> list[object]:
        return (
            [repr(e) for e in self.log]
            + [repr(dataclasses.asdict(q)) for q in self.board.queues.values()]
            + [repr(self.board._last), repr(self.board._seats)]
        )


operations = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(QUEUES), st.sampled_from(CALLS), TIMES),
    st.tuples(st.just("leave"), st.sampled_from(QUEUES), st.sampled_from(CALLS), TIMES),
    st.tuples(
        st.just("outcome"),
        st.sampled_from(QUEUES),
        st.sampled_from(OUTCOMES),
        TIMES,
        st.sampled_from(WAITED),
        st.sampled_from(("", *CALLS)),
    ),
    st.tuples(
        st.just("member"),
        st.sampled_from(QUEUES[:2]),
        st.sampled_from(AGENTS),
        st.integers(0, 1),
        st.booleans(),
        TIMES,
    ),
    st.tuples(st.just("remove"), st.sampled_from(QUEUES[:2]), st.sampled_from(AGENTS), TIMES),
    st.tuples(st.just("move"), st.sampled_from(AGENTS), st.sampled_from(A.TRIGGERS), TIMES),
    st.tuples(st.just("force"), st.sampled_from(AGENTS), st.sampled_from(A.STATES), TIMES),
    st.tuples(st.just("publish"), st.sampled_from(QUEUES), TIMES, st.booleans()),
    st.tuples(st.just("recount")),
)


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(operations, max_size=40))
def test_any_sequence_is_counted_and_published_the_same_in_c_and_in_python(ops):
    c, python = Board(True), Board(False)
    assert type(c.board.publish.__self__).__name__ == "QueueDesk"
    assert not hasattr(python.board.publish, "__self__") or python.board.publish.__self__ is python.board
    for op in ops:
        assert c.do(op) == python.do(op), op
        assert c.state() == python.state(), op


@needs_c
def test_a_caller_s_wait_is_the_desk_s_own_work():
    """A caller's join, wait and answer, and the agents' moves around it, run no Python of the
    board's: each is the desk's (a profile hook sees every Python frame)."""
    events: list[object] = []
    book = AgentBook(events.append, speedups=True)
    board = QueueBoard(events.append, book, speedups=True)
    agent = book.ensure("1001", "PJSIP/1001")
    book.apply(agent, "login", 1.0)
    board.member("fault", "PJSIP/1001", "1001", 0, False, "", 1.0)
    board.join("fault", "warm-up", 1.5)  # the first join makes the queue (QueueBoard.get, in Python)
    board.leave("fault", "warm-up", 1.6)
    ran: list[str] = []

    def profile(frame: object, what: str, _arg: object) -> None:
        if what == "call" and frame.f_code.co_filename.endswith("queues.py"):  # type: ignore[attr-defined]
            ran.append(frame.f_code.co_name)  # type: ignore[attr-defined]

    sys.setprofile(profile)
    try:
        book.apply(agent, "ready", 2.0)
        board.join("fault", "c1", 3.0)
        board.join("fault", "c2", 3.5)
        book.apply(agent, "offer", 4.0, call_id="c1")
        book.apply(agent, "answer", 5.0, call_id="c1")
        board.outcome("fault", "answered", 5.0, 2.0, call_id="c1")
        board.leave("fault", "c2", 6.0)
    finally:
        sys.setprofile(None)
    assert ran == []
    updates = [
        (e.agents_ready, e.waiting, e.longest_wait, e.offered, e.answered, e.answered_in_sl)
        for e in events
        if type(e).__name__ == "QueueUpdated"
    ]
    assert updates[-6:] == [
        (1, 0, 0.0, 1, 0, 0),  # ready
        (1, 1, 0.0, 2, 0, 0),  # c1 joins
        (1, 2, 0.5, 3, 0, 0),  # c2 joins
        (0, 2, 1.0, 3, 0, 0),  # the agent rings for c1 (the watcher: at its since, 4.0)
        (0, 1, 1.5, 3, 1, 1),  # answered after 2 s: within the service level
        (0, 0, 0.0, 3, 1, 1),  # c2 leaves
    ]


def test_queues_and_members_have_slots():
    """The C desk reads a queue's and a member's fields in their slots (``_speedups``' Slot)."""
    for cls, value in ((Queue, Queue("q")), (Member, Member("PJSIP/1001", "1001"))):
        assert "__slots__" in vars(cls), cls
        assert not hasattr(value, "__dict__"), cls


@needs_c
def test_a_board_doing_its_own_publish_keeps_its_python_methods():
    class Counting(QueueBoard):
        def publish(self, name: str, at: float, *, force: bool = False) -> None:
            self.notify(("published", name))

    events: list[object] = []
    board = Counting(events.append, AgentBook(events.append), speedups=True)
    board.join("fault", "c1", 1.0)
    assert events == [("published", "fault")]
    assert not hasattr(board.join, "__self__") or board.join.__self__ is board


@needs_c
def test_a_queue_class_changed_afterwards_is_asked_for_its_longest_wait(monkeypatch):
    events: list[object] = []
    board = QueueBoard(events.append, AgentBook(events.append), speedups=True)
    board.join("fault", "c1", 1.0)
    monkeypatch.setattr(Queue, "longest_wait", lambda self, now: 42.0)
    board.join("fault", "c2", 2.0)
    assert events[-1].longest_wait == 42.0
    monkeypatch.undo()
    board.join("fault", "c3", 3.0)
    assert events[-1].longest_wait == 2.0
