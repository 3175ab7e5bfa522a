"""The queue board's count of ready agents, kept up to date as members and agents change,
and the member events another process's mirror keeps its members and skills by.

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
from cti.queues import Queue, QueueBoard

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


member_operations = st.one_of(
    st.tuples(
        st.just("member"), st.sampled_from(QUEUES), st.sampled_from(AGENTS), st.integers(0, 2), st.booleans()
    ),
    st.tuples(st.just("remove"), st.sampled_from(QUEUES), st.sampled_from(AGENTS)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(member_operations, max_size=30))
def test_a_mirror_fed_the_boards_member_events_holds_its_members_and_skills(ops):
    """Another process learns members and skills from the board's QueueMemberChanged events
    alone (no present asked for): whatever joins, penalty changes, pauses and removals came,
    its queues hold the board's members and each agent's skills are its queues' penalties."""
    from cti.call_events import QueueMemberChanged
    from cti.mirror import BridgeMirror

    events: list = []
    book = AgentBook(lambda _change: None)
    board = QueueBoard(events.append, book)
    mirror = BridgeMirror(bus=None)
    for at, op in enumerate(ops, start=1):
        if op[0] == "member":
            _, queue, agent_id, penalty, paused = op
            board.member(queue, SEATS[agent_id], agent_id, penalty, paused, "", float(at))
        else:
            board.remove_member(op[1], SEATS[op[2]], float(at))
    for event in events:
        if isinstance(event, QueueMemberChanged):
            mirror.apply(event)
    mirrored = {q["queue"]: q for q in mirror.queues()}
    for name in QUEUES:
        expected = {(m.interface, m.agent_id, m.penalty) for m in board.get(name).members.values()}
        members = mirrored.get(name, {}).get("members", [])
        got = {(m["interface"], m["agent_id"], m["penalty"]) for m in members}
        assert got == expected, ops
    for agent_id in AGENTS:
        seat = SEATS[agent_id]
        skills = {q: board.get(q).members[seat].penalty for q in QUEUES if seat in board.get(q).members}
        assert (mirror.agent(agent_id) or {"skills": {}})["skills"] == skills, ops


def test_pausing_a_member_is_not_a_member_event():
    events: list = []
    board = QueueBoard(events.append, AgentBook(lambda _change: None))
    board.member("fault", "PJSIP/1001", "1001", 1, False, "", 1.0)
    board.member("fault", "PJSIP/1001", "1001", 1, True, "小休", 2.0)  # paused: AgentStateChanged tells
    board.member("fault", "PJSIP/1001", "1001", 2, True, "小休", 3.0)  # a new penalty: it does not
    board.remove_member("fault", "PJSIP/1001", 4.0)
    names = [type(e).__name__ for e in events if type(e).__name__ == "QueueMemberChanged"]
    assert names == ["QueueMemberChanged"] * 3
    assert [(e.penalty, e.removed) for e in events if type(e).__name__ == "QueueMemberChanged"] == [
        (1, False),
        (2, False),
        (0, True),
    ]


def test_a_mirror_keeps_each_queues_waiting_calls_from_the_calls_events():
    from cti.call_events import CallAnswered, CallEnded, CallQueued
    from cti.mirror import BridgeMirror

    mirror = BridgeMirror(bus=None)

    def waiting() -> dict[str, list[str]]:
        return {q["queue"]: q["waiting_calls"] for q in mirror.queues()}

    for call_id in ("c1", "c2", "c3"):
        mirror.apply(CallQueued(call_id=call_id, queue="fault"))
    assert waiting() == {"fault": ["c1", "c2", "c3"]}
    mirror.apply(CallAnswered(call_id="c1", agent_id="1001"))
    mirror.apply(CallQueued(call_id="c2", queue="service"))  # overflowed to the next queue
    mirror.apply(CallEnded(call_id="c3", direction="inbound", outcome="abandoned_queue"))
    assert waiting() == {"fault": [], "service": ["c2"]}
    mirror.apply(CallQueued(call_id="c3", queue="fault"))  # late, for a call already ended
    assert waiting() == {"fault": [], "service": ["c2"]}


def test_a_mirror_shows_a_transferred_call_with_its_new_agent_and_its_first_answer():
    from cti.call_events import CallAnswered, CallTransferred
    from cti.mirror import BridgeMirror

    mirror = BridgeMirror(bus=None)
    mirror.apply(CallAnswered(call_id="c1", agent_id="1001", answered_at=13.0, waited=3.0))
    mirror.apply(CallTransferred(call_id="c1", agent_id="1001", kind="blind", target="agent:1002"))
    assert mirror.calls()[0]["agent_id"] == ""  # the caller left 1001, nobody has them yet
    mirror.apply(CallAnswered(call_id="c1", agent_id="1002", answered_at=17.0, waited=3.0))
    (call,) = mirror.calls()
    assert (call["agent_id"], call["answered_at"], call["waited"]) == ("1002", 13.0, 3.0)


def test_an_agent_changing_state_publishes_the_ready_count_of_its_queues_at_once():
    published: list[QueueUpdated] = []
    book = AgentBook(lambda _change: None)
    board = QueueBoard(published.append, book)
    agent = book.ensure("1001", "PJSIP/1001")
    book.apply(agent, "login", 1.0)
    board.member("fault", "PJSIP/1001", "1001", 0, False, "", 1.0)
    published.clear()
    book.apply(agent, "ready", 2.0)
    assert [(e.queue, e.agents_ready) for e in published] == [("fault", 1)]
    book.apply(agent, "pause", 3.0, reason="小休")
    assert [(e.queue, e.agents_ready) for e in published] == [("fault", 1), ("fault", 0)]
    book.apply(agent, "pause", 4.0, reason="用餐")  # still not ready: no figure changed, nothing sent
    assert len(published) == 2


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=2e9, allow_nan=False), max_size=8),
    st.floats(min_value=0, max_value=2e9, allow_nan=False),
)
def test_the_longest_wait_is_the_largest_of_the_waits_to_the_last_bit(joined, now):
    """Read from the earliest join (no generator per QueueUpdated): the same float as the largest
    of ``now - t``, rounding included, or 0.0 with nobody waiting (the earliest join gives it:
    ``now - t`` falls as ``t`` grows)."""
    queue = Queue("q", waiting={f"c{i}": t for i, t in enumerate(joined)})
    assert queue.longest_wait(now) == max((now - t for t in joined), default=0.0)
    assert type(queue.longest_wait(now)) is float
