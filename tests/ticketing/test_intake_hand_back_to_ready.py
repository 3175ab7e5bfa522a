"""下班 hands the inbox's unhandled events to the colleagues there to work them, by the rule a new
event follows (``Intake.at_work``): the 就绪 ones, else those on a call; never a colleague 置忙
(a supervisor's 班长置忙) or on a break, nor one who is not signed in; they went to every colleague
signed in, whatever their state. With nobody there to work them they wait on 未分派事件 and go
out when a colleague becomes ready (``top_up``, the waiting events' one path)."""

from __future__ import annotations

import datetime as dt

from cti.call_events import AgentStateChanged
from tests.ticketing.test_intake_backlog import _inbox_ids, _ready, _settled, _signs_in, _signs_out
from tests.ticketing.test_intake_hand_back_share import _give, _shift
from ticketing.intake import waiting


def _state(staff_no: str, state: str, previous: str, reason: str = "") -> AgentStateChanged:
    return AgentStateChanged(
        agent_id=staff_no, state=state, previous=previous, seconds_in_previous=5, reason=reason
    )


async def _waiting_ids(sm) -> list[int]:
    async with sm() as db:
        return [r.id for r in (await waiting(db))[0]]


async def test_handed_back_events_go_to_the_ready_colleague_only(sm, seeded):
    u = seeded.users
    async with _shift(sm, "1001", "1002", "1003", "1004") as (intake, bus):
        # 1002 put 未就绪 by the supervisor, 1003 on a meal break, 1005 never signed in
        await bus.publish(_state("1002", "not_ready", "ready", "班长置忙"))
        await bus.publish(_state("1003", "not_ready", "ready", "用餐"))
        await _settled(bus)
        leaving = await _give(sm, intake, u["1001"], ["a1", "a2", "a3"])

        await bus.publish(_signs_out("1001"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1004"]) == sorted(leaving)
        for staff_no in ("1001", "1002", "1003", "1005"):
            assert await _inbox_ids(sm, u[staff_no]) == [], staff_no
        assert await _waiting_ids(sm) == []


async def test_with_nobody_ready_they_wait_until_a_colleague_becomes_ready(sm, seeded):
    u = seeded.users
    async with _shift(sm) as (intake, bus):
        for staff_no in ("1001", "1002", "1003"):
            await bus.publish(_signs_in(staff_no))  # 未就绪 as a sign-in starts
        await bus.publish(_ready("1002"))
        await bus.publish(_state("1002", "not_ready", "ready", "班长置忙"))
        await _settled(bus)
        leaving = await _give(sm, intake, u["1001"], ["b1", "b2"])

        await bus.publish(_signs_out("1001"))
        await _settled(bus)
        for staff_no in ("1001", "1002", "1003"):
            assert await _inbox_ids(sm, u[staff_no]) == [], staff_no
        assert await _waiting_ids(sm) == leaving  # on 未分派事件, oldest first

        # 1003 becomes ready: the waiting events are theirs (top_up), 1002 still 置忙 gets none
        await bus.publish(_ready("1003"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1003"]) == sorted(leaving)
        assert await _inbox_ids(sm, u["1002"]) == []
        assert await _waiting_ids(sm) == []


async def test_with_nobody_ready_a_colleague_on_a_call_comes_before_one_on_a_break(sm, seeded):
    """As a new event: those on a call or in 话后处理 come to it after the call."""
    u = seeded.users
    async with _shift(sm, "1001", "1002", "1003") as (intake, bus):
        await bus.publish(_state("1001", "not_ready", "ready", "小休"))  # before 下班
        await bus.publish(_state("1002", "not_ready", "ready", "小休"))
        await bus.publish(_state("1003", "talking", "ready"))
        await _settled(bus)
        leaving = await _give(sm, intake, u["1001"], ["c1"])
        async with sm.begin() as db:
            arrived = await intake.receive(
                db,
                "sms",
                "c2",
                sender="13800138000",
                content="c2",
                occurred_at=dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC),
            )
        assert arrived.assigned_to_id == u["1003"].id  # a new event: the same colleague

        await bus.publish(_signs_out("1001"))
        await _settled(bus)
        assert await _inbox_ids(sm, u["1003"]) == sorted([*leaving, arrived.id])
        assert await _inbox_ids(sm, u["1002"]) == []
