"""下班 and the next sign-in of the same agent, handled at the same moment by two worker processes
(the intake group shares the events out), each knowing only the events its own subscription has
seen: whichever order the two land in, the agent signed in ends with a full inbox and the rest
waits, never an inbox emptied behind their back (the sign-out's hand-back taking what the
sign-in's backlog share just gave them). Run on PostgreSQL and on SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import update

from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged
from ticketing.intake import Intake, inbox, waiting
from ticketing.models import Interaction

NIGHT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
SHARE = 5


def _state(staff_no: str, state: str, previous: str, seq: int) -> AgentStateChanged:
    return AgentStateChanged(
        agent_id=staff_no, state=state, previous=previous, seconds_in_previous=60
    ).stamped(seq=seq)


async def _events(sm, intake: Intake) -> list[int]:
    async with sm.begin() as db:
        rows = [
            await intake.receive(
                db, "sms", f"race-{i}", sender="13800138000", content=f"短信{i}", occurred_at=NIGHT
            )
            for i in range(8)
        ]
    return [r.id for r in rows]


async def _held_two(sm, ids: list[int], agent_id: int) -> None:
    """The agent holds the two oldest from their last shift; the other six wait."""
    async with sm.begin() as db:
        await db.execute(
            update(Interaction).where(Interaction.id.in_(ids)).values(status="new", assigned_to_id=None)
        )
        await db.execute(
            update(Interaction)
            .where(Interaction.id.in_(ids[:2]))
            .values(status="assigned", assigned_to_id=agent_id)
        )


async def _after(delay: float, work) -> None:
    await asyncio.sleep(delay)
    await work


async def test_a_sign_out_and_the_next_sign_in_handled_at_once_leave_the_agent_a_full_inbox(sm, seeded):
    me = seeded.users["1001"]
    bus = InProcessBus()
    # two worker processes: one handles the sign-out, the other the sign-in that follows it
    leaving, arriving = Intake(backlog_share=SHARE), Intake(backlog_share=SHARE)
    leaving.subscribe(bus, sm)
    arriving.subscribe(bus, sm)
    ids = await _events(sm, leaving)
    try:
        # the sign-in first by a little, at the same moment, the sign-out first by a little
        for round_, delay in enumerate((-0.2, -0.05, -0.01, 0.0, 0.0, 0.0, 0.01, 0.05, 0.2)):
            await _held_two(sm, ids, me.id)
            base = 100 * (round_ + 1)
            before = _state("1001", "not_ready", "logged_out", base)
            signed_out = _state("1001", "logged_out", "not_ready", base + 1)
            again = _state("1001", "not_ready", "logged_out", base + 2)
            # the sign-out's worker has not seen the sign-in yet (its subscription lags)
            await leaving.on_agent_state(before)
            await leaving.on_agent_state(signed_out)
            await arriving.on_agent_state(again)
            out = leaving.on_work_event(signed_out)
            back = arriving.on_work_event(again)
            if delay < 0:
                await asyncio.gather(_after(0, back), _after(-delay, out))
            else:
                await asyncio.gather(_after(0, out), _after(delay, back))
            async with sm() as db:
                mine = {r.id for r in await inbox(db, me)}
                rows, count = await waiting(db)
            assert len(mine) == SHARE, (round_, delay, sorted(mine))
            assert count == len(ids) - SHARE and mine.isdisjoint(r.id for r in rows)
    finally:
        await leaving.close()
        await arriving.close()


async def test_a_sign_out_before_a_restart_does_not_keep_the_inbox_empty_after_it(sm, seeded):
    """The marks outlive the bus: after a restart the in-process bus counts from 1 again, and a
    sign-out marked at seq 5,000 yesterday kept every later sign-in's share away (its seq lower)."""
    me = seeded.users["1001"]
    before = Intake(backlog_share=SHARE)
    before.subscribe(InProcessBus(), sm)
    ids = await _events(sm, before)
    await _held_two(sm, ids, me.id)
    yesterday = 1_700_000_000.0
    signed_out = AgentStateChanged(
        agent_id="1001", state="logged_out", previous="not_ready", seconds_in_previous=60
    ).stamped(seq=5_000, ts=yesterday)
    await before.on_agent_state(signed_out)
    await before.on_work_event(signed_out)
    await before.close()
    async with sm() as db:
        assert await inbox(db, me) == []  # handed back at 下班

    after = Intake(backlog_share=SHARE)  # the process started again: a new bus, seq from 1
    after.subscribe(InProcessBus(), sm)
    try:
        signed_in = _state("1001", "not_ready", "logged_out", 1)
        await after.on_agent_state(signed_in)
        await after.on_work_event(signed_in)
        async with sm() as db:
            assert len(await inbox(db, me)) == SHARE
    finally:
        await after.close()


async def test_a_worker_that_outlives_its_bus_count_still_fills_the_inbox(sm, seeded):
    """Redis restarted with nothing kept: the bus counts from 1 again while a worker runs on. Its
    own memory of who signed out when must not say a fresh sign-in (seq 1) is older than a
    sign-out it saw at seq 5,000."""
    me = seeded.users["1001"]
    intake = Intake(backlog_share=SHARE)
    intake.subscribe(InProcessBus(), sm)
    try:
        ids = await _events(sm, intake)
        await _held_two(sm, ids, me.id)
        signed_out = AgentStateChanged(
            agent_id="1001", state="logged_out", previous="not_ready", seconds_in_previous=60
        ).stamped(seq=5_000, ts=1_700_000_000.0)
        await intake.on_agent_state(signed_out)
        await intake.on_work_event(signed_out)
        signed_in = _state("1001", "not_ready", "logged_out", 1)  # the new count's first event
        await intake.on_agent_state(signed_in)
        await intake.on_work_event(signed_in)
        async with sm() as db:
            assert len(await inbox(db, me)) == SHARE
    finally:
        await intake.close()
