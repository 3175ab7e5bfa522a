"""下班: the unhandled events of an agent who signs out go to the colleagues still signed in as a
team leader would share them out (those there to work them: ``Intake.at_work``, see
test_intake_hand_back_to_ready.py): the one with the fewest open events first, taking turns among
those with equally few; not to the lowest 工号 first until their inbox is full."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import update

from cti.bus import InProcessBus
from tests.ticketing.test_intake_backlog import _ready, _settled, _signs_in, _signs_out
from ticketing.intake import Intake, assign_to, inbox, unhandled_count
from ticketing.models import Interaction

NIGHT = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


@contextlib.asynccontextmanager
async def _shift(sm, *ready: str) -> AsyncIterator[tuple[Intake, InProcessBus]]:
    """An intake (five events a share) on a bus of its own, ``ready`` signed in and 就绪 on it and
    settled; closed after the block."""
    intake = Intake(backlog_share=5)
    bus = InProcessBus()
    intake.subscribe(bus, sm)
    try:
        for staff_no in ready:
            await bus.publish(_signs_in(staff_no))
            await bus.publish(_ready(staff_no))
        await _settled(bus)
        yield intake, bus
    finally:
        await intake.close()


async def _give(sm, intake: Intake, user, names: list[str]) -> list[int]:
    """SMS straight into ``user``'s inbox, oldest first in ``names`` order; their ids."""
    ids = []
    async with sm.begin() as db:
        for name in names:
            row = await intake.receive(
                db,
                "sms",
                name,
                sender="13800138000",
                content=name,
                occurred_at=NIGHT + dt.timedelta(minutes=len(ids)),
            )
            await assign_to(db, None, row, user)
            ids.append(row.id)
    return ids


async def _open(sm, users, *staff: str) -> dict[str, int]:
    async with sm() as db:
        return {s: await unhandled_count(db, users[s]) for s in staff}


async def test_the_least_busy_colleague_gets_the_first_and_the_rest_even_them_out(sm, seeded):
    u = seeded.users
    async with _shift(sm, "1001", "1002", "1003", "1004") as (intake, bus):
        await _give(sm, intake, u["1002"], ["b1", "b2"])
        await _give(sm, intake, u["1004"], ["d1"])
        leaving = await _give(sm, intake, u["1001"], ["a1", "a2", "a3", "a4"])
        assert await _open(sm, u, "1002", "1003", "1004") == {"1002": 2, "1003": 0, "1004": 1}

        await bus.publish(_signs_out("1001"))
        await _settled(bus)
        async with sm() as db:
            holder = {
                r.id: s for s in ("1002", "1003", "1004") for r in await inbox(db, u[s]) if r.id in leaving
            }
        # the oldest to the one with none; 1002, already the busiest, gets one at most
        assert holder[leaving[0]] == "1003"
        assert sorted(holder) == sorted(leaving)
        assert sorted((await _open(sm, u, "1002", "1003", "1004")).values()) == [2, 2, 3]
        assert list(holder.values()).count("1002") <= 1


async def test_colleagues_with_equally_few_take_turns(sm, seeded):
    u = seeded.users
    async with _shift(sm, "1001", "1002", "1003") as (intake, bus):
        took = []
        for shift in range(4):
            (event,) = await _give(sm, intake, u["1001"], [f"evening-{shift}"])
            await bus.publish(_signs_out("1001"))
            await _settled(bus)
            async with sm() as db:
                (who,) = [s for s in ("1002", "1003") if event in {r.id for r in await inbox(db, u[s])}]
                # handled: the two colleagues are even again for the next sign-out
                await db.execute(update(Interaction).where(Interaction.id == event).values(status="handled"))
                await db.commit()
            took.append(who)
            await bus.publish(_signs_in("1001"))
            await _settled(bus)
        assert sorted(took) == ["1002", "1002", "1003", "1003"]
        assert took[0] != took[1] and took[2] != took[3]
