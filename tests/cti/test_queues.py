"""The queue board's count of ready agents, kept up to date as members and agents change.

The board no longer counts the ready members on every publish; it keeps them
as a set. Whatever happens to the members (added, paused, replaced, removed,
dropped by a resync) and to the agents (any transition, forced states,
states restored from the bus), the ``agents_ready`` it publishes must be what
counting them from scratch gives.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cti import agents as A
from cti.agents import AgentBook
from cti.call_events import QueueUpdated
from cti.queues import QueueBoard

AGENTS = ("1001", "1002", "1003")
QUEUES = ("fault", "service")
SEATS = {agent_id: f"PJSIP/{agent_id}" for agent_id in AGENTS}

operations = st.one_of(
    st.tuples(st.just("member"), st.sampled_from(QUEUES), st.sampled_from(AGENTS), st.booleans()),
    st.tuples(st.just("remove"), st.sampled_from(QUEUES), st.sampled_from(AGENTS)),
    st.tuples(st.just("drop"), st.sampled_from(QUEUES), st.sampled_from(AGENTS)),
    st.tuples(st.just("move"), st.sampled_from(AGENTS), st.sampled_from(A.TRIGGERS)),
    st.tuples(st.just("force"), st.sampled_from(AGENTS), st.sampled_from(A.STATES)),
    st.tuples(st.just("restore"), st.sampled_from(AGENTS), st.sampled_from(A.STATES)),
)


def counted_from_scratch(board: QueueBoard, book: AgentBook, name: str) -> int:
    queue = board.get(name)
    return sum(
        1
        for m in queue.members.values()
        if not m.paused and book.get(m.agent_id) is not None and book.get(m.agent_id).state == A.READY
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(operations, max_size=40))
def test_the_ready_count_is_what_counting_from_scratch_gives(ops):
    published: list[QueueUpdated] = []
    book = AgentBook(lambda _change: None)
    board = QueueBoard(published.append, book)
    for agent_id in AGENTS[:2]:  # the third appears only as a member until something ensures it
        book.ensure(agent_id, SEATS[agent_id])
    at = 1.0
    for op in ops:
        at += 1.0
        kind = op[0]
        if kind == "member":
            _, queue, agent_id, paused = op
            board.member(queue, SEATS[agent_id], agent_id, 0, paused, "", at)
        elif kind == "remove":
            board.remove_member(op[1], SEATS[op[2]], at)
        elif kind == "drop":  # as a resync drops a member Asterisk no longer has
            board.get(op[1]).members.pop(SEATS[op[2]], None)
            board.recount()
        elif kind == "move":
            agent = book.ensure(op[1], SEATS[op[1]])
            try:
                book.apply(agent, op[2], at)
            except A.InvalidTransition:
                pass
        elif kind == "force":
            book.force(book.ensure(op[1], SEATS[op[1]]), op[2], at)
        else:  # as a restart restores states from the bus
            book.ensure(op[1], SEATS[op[1]]).state = op[2]
            board.recount()
        for name in QUEUES:
            board.publish(name, at, force=True)
            assert published[-1].agents_ready == counted_from_scratch(board, book, name), ops


def test_an_agent_going_ready_and_on_a_call_moves_the_count_of_each_of_its_queues():
    published: list[QueueUpdated] = []
    book = AgentBook(lambda _change: None)
    board = QueueBoard(published.append, book)
    agent = book.ensure("1001", "PJSIP/1001")
    book.apply(agent, "login", 1.0)
    for queue in QUEUES:
        board.member(queue, "PJSIP/1001", "1001", 0, False, "", 1.0)
    book.apply(agent, "ready", 2.0)
    board.join("fault", "call-1", 3.0)
    assert (published[-1].queue, published[-1].agents_ready) == ("fault", 1)
    book.apply(agent, "offer", 4.0, call_id="call-1")
    board.leave("fault", "call-1", 4.0)
    assert (published[-1].queue, published[-1].agents_ready) == ("fault", 0)
    board.publish("service", 4.0, force=True)
    assert (published[-1].queue, published[-1].agents_ready) == ("service", 0)
    board.member("service", "PJSIP/1001", "1001", 0, True, "小休", 5.0)
    book.apply(agent, "cancel", 6.0)  # back to ready: counted in fault, not in service (paused there)
    board.publish("fault", 6.0, force=True)
    board.publish("service", 6.0, force=True)
    assert [(e.queue, e.agents_ready) for e in published[-2:]] == [("fault", 1), ("service", 0)]
