"""A call that visits two queues is a queue leg in each (QA: the wallboard's 呼入 − 接通 − 放弃 −
排队 stopped adding up after a blind transfer to a queue answered there).

Every call offered to a queue ends up answered, abandoned, overflowed or waiting there: the
second queue's answer is that queue's, though the call was answered before."""

from __future__ import annotations

import pytest

from cti.call_events import CallEnded
from tests.cti.test_calls import (
    AGENT_2_CH,
    AGENT_CH,
    CALLER_1,
    CALLER_2,
    LINKED,
    SEAT_2,
    World,
    _answered_by_2001,
)


def _adds_up(w: World, name: str) -> int:
    q = w.queues.get(name)
    return q.offered - q.answered - q.abandoned - q.overflowed - len(q.waiting)


def _blind_transferred_to_fault(w: World) -> None:
    """2001 answers in ``general`` at 13.0 (after a 2.99 s wait) and blind-transfers the caller
    to the queue ``fault``, where 2002 answers at 19.0."""
    _answered_by_2001(w)
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.feed("QueueCallerJoin", 15.0, Channel=CALLER_2, Queue="fault", Position="1", CallerIDNum="13800138000")
    w.hangup(AGENT_CH, "1700000000.3", 15.2)
    w.feed("Newchannel", 17.0, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("AgentCalled", 17.0, Channel=CALLER_2, Queue="fault", Interface=SEAT_2, MemberName="2002")
    w.feed("AgentConnect", 19.0, Channel=CALLER_2, Queue="fault", Interface=SEAT_2, MemberName="2002")
    w.feed("QueueCallerLeave", 19.0, Channel=CALLER_2, Queue="fault")
    w.feed("BridgeEnter", 19.0, Channel=AGENT_2_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 19.0, Channel=CALLER_2, BridgeUniqueid="b2")


def _ends_at_30(w: World) -> CallEnded:
    w.hangup(AGENT_2_CH, "1700000000.4", 30.0)
    w.hangup(CALLER_2, "1700000000.2", 30.1)
    w.hangup(CALLER_1, LINKED, 30.2)
    (ended,) = w.of(CallEnded)
    return ended


def test_a_blind_transfer_to_a_queue_answered_there_is_that_queues_answer_on_the_board():
    w = World()
    _blind_transferred_to_fault(w)
    fault, general = w.queues.get("fault"), w.queues.get("general")
    # counted when 2002 answers, as the first queue's answer is: not at the call's end
    assert (fault.offered, fault.answered, fault.answered_in_sl, len(fault.waiting)) == (1, 1, 1, 0)
    assert (general.offered, general.answered) == (1, 1)
    assert _adds_up(w, "fault") == _adds_up(w, "general") == 0
    ended = _ends_at_30(w)
    assert _adds_up(w, "fault") == _adds_up(w, "general") == 0
    assert (fault.answered, fault.abandoned, general.answered, general.abandoned) == (1, 0, 1, 0)
    # the record has both queue legs: each queue, its wait, its outcome and who answered there
    assert [
        (q, round(left - queued, 2), outcome, agent) for q, queued, left, outcome, agent in ended.queue_legs
    ] == [
        ("general", 2.99, "answered", "2001"),
        ("fault", 4.0, "answered", "2002"),
    ]
    assert (ended.outcome, ended.queue, ended.answered_at, ended.agent_id) == (
        "answered",
        "fault",
        13.0,
        "2002",
    )


def test_a_caller_left_for_another_queue_unanswered_is_the_first_queues_overflow_not_a_gap():
    w = World()
    w.incoming(10.0)
    w.feed("QueueCallerLeave", 40.0, Channel=CALLER_2, Queue="general")
    w.feed("QueueCallerJoin", 40.0, Channel=CALLER_2, Queue="fault", Position="1")
    general = w.queues.get("general")
    assert (general.offered, general.overflowed, len(general.waiting)) == (1, 1, 0)
    assert _adds_up(w, "general") == 0
    w.feed("QueueCallerAbandon", 50.0, Channel=CALLER_2, Queue="fault")
    w.hangup(CALLER_2, "1700000000.2", 50.0)
    w.hangup(CALLER_1, LINKED, 50.0)
    fault = w.queues.get("fault")
    assert (fault.offered, fault.abandoned, general.overflowed) == (1, 1, 1)
    (ended,) = w.of(CallEnded)
    assert [(q, o) for q, _, _, o, _ in ended.queue_legs] == [
        ("general", "overflow"),
        ("fault", "abandoned_queue"),
    ]
    assert ended.waited == pytest.approx(10.0)


QUEUE_LEG_1 = "Local/fault@hotline-queue-00000009;1"
QUEUE_LEG_2 = "Local/fault@hotline-queue-00000009;2"


def test_a_consultation_completed_to_a_queue_is_answered_there_as_a_blind_transfer():
    """咨询转接 to the queue ``fault``, completed before anyone there answered: the caller waits
    there on the consultation's leg, and 2002's answer is ``fault``'s answer."""
    w = World()
    _answered_by_2001(w)
    call = w.model.calls[LINKED]
    w.model.consult_started(w.agents.get("2001"), call, AGENT_CH, "queue:fault", 15.0)
    w.feed("Hold", 15.0, Channel=AGENT_CH)
    w.feed("BridgeLeave", 15.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("Newchannel", 15.0, Channel=QUEUE_LEG_1, Uniqueid="1700000000.5", Context="hotline-transfer")
    w.feed("Newchannel", 15.0, Channel=QUEUE_LEG_2, Uniqueid="1700000000.6", Context="hotline-queue")
    w.feed("BridgeEnter", 15.1, Channel=AGENT_CH, BridgeUniqueid="c1")
    w.feed("BridgeEnter", 15.1, Channel=QUEUE_LEG_1, BridgeUniqueid="c1")
    w.feed("QueueCallerJoin", 15.2, Channel=QUEUE_LEG_2, Queue="fault", Position="1")
    assert w.queues.get("fault").offered == 0  # the consultation waits there, not the caller
    # 完成转接 (what complete_transfer does): 2001's leg goes, the caller is handed to the queue
    w.hangup(AGENT_CH, "1700000000.3", 16.0)
    w.model.transferred(call, "2001", "attended", "queue:fault", 16.0)
    w.model.handed_over(call, "2001", 16.0)
    w.model.consult_handed_to_queue(call, 16.0)
    w.model.consult_over(w.agents.get("2001"), 16.0)
    fault = w.queues.get("fault")
    assert (fault.offered, list(fault.waiting)) == (1, [LINKED])
    w.feed("Newchannel", 17.0, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("AgentCalled", 17.0, Channel=QUEUE_LEG_2, Queue="fault", Interface=SEAT_2, MemberName="2002")
    w.feed("AgentConnect", 18.0, Channel=QUEUE_LEG_2, Queue="fault", Interface=SEAT_2, MemberName="2002")
    w.feed("QueueCallerLeave", 18.0, Channel=QUEUE_LEG_2, Queue="fault")
    w.feed("BridgeEnter", 18.0, Channel=AGENT_2_CH, BridgeUniqueid="c2")
    w.feed("BridgeEnter", 18.0, Channel=QUEUE_LEG_2, BridgeUniqueid="c2")
    assert (fault.offered, fault.answered, len(fault.waiting)) == (1, 1, 0)
    assert _adds_up(w, "fault") == _adds_up(w, "general") == 0
    for channel, uid in (
        (AGENT_2_CH, "1700000000.4"),
        (QUEUE_LEG_2, "1700000000.6"),
        (QUEUE_LEG_1, "1700000000.5"),
        (CALLER_2, "1700000000.2"),
        (CALLER_1, LINKED),
    ):
        w.hangup(channel, uid, 30.0)
    (ended,) = w.of(CallEnded)
    assert [(q, o, a) for q, _, _, o, a in ended.queue_legs] == [
        ("general", "answered", "2001"),
        ("fault", "answered", "2002"),
    ]
    assert (fault.answered, w.queues.get("general").answered) == (1, 1)
