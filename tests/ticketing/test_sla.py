"""SLA timers are rows: they survive a restart, and two workers never fire one twice."""

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cti.bus import InProcessBus
from tests.ticketing.conftest import fault_on_business_hours
from ticketing import SlaWorker, create_order, db
from ticketing.events import TicketReminder
from ticketing.models import Notification, Timer

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


async def test_timers_survive_a_restart(db_url, session, seeded):
    await fault_on_business_hours(session)
    await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=at(27, 17, 20),  # Friday, 10 minutes before closing
    )
    await session.commit()
    # "restart": a fresh engine and worker in a new process would see exactly this
    engine = db.create_engine(db_url)
    bus = InProcessBus()
    got = []

    async def collect(e):
        got.append(e)

    bus.subscribe(collect, types=[TicketReminder])
    try:
        worker = SlaWorker(db.sessionmaker(engine), bus)
        assert await worker.run_due(at(30, 8, 49)) == 0
        assert await worker.run_due(at(30, 8, 50)) == 1  # 10 min on Friday + 20 min on Monday
        assert await worker.run_due(at(30, 18, 0)) == 0  # fired once only
        await bus.drain()
        assert {e.staff_no for e in got} == {"5101", "5102", "2001"}
    finally:
        await bus.close()
        await engine.dispose()


async def test_two_workers_fire_each_timer_once(db_url, session, seeded):
    for i in range(20):
        await create_order(
            session,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=seeded.sites["440100"].id,
            form={"故障地址": f"天河路{i}号", "所属供电局": "440100"},
            now=at(25, 9),
        )
    await session.commit()
    engines = [db.create_engine(db_url), db.create_engine(db_url)]
    try:
        workers = [SlaWorker(db.sessionmaker(e), batch=7) for e in engines]

        async def drain(worker):
            total = 0
            while (n := await worker.run_due(at(25, 12))) > 0:
                total += n
            return total

        counts = await asyncio.gather(*(drain(w) for w in workers))
    finally:
        for e in engines:
            await e.dispose()
    assert sum(counts) == 20
    fired = await session.scalar(select(func.count(Timer.id)).where(Timer.state == "fired"))
    assert fired == 20
    # three people reminded per order, once each (beside the 有新工单 each handler was given)
    reminded = select(func.count(Notification.id)).where(Notification.kind != "routed")
    assert await session.scalar(reminded) == 60


async def test_site_business_hours_override(session, seeded):
    """A site open on Saturday mornings counts Saturday as working time."""
    await fault_on_business_hours(session)
    from ticketing.sites import create_site

    site = await create_site(
        session,
        "440113",
        "番禺区供电所",
        parent=seeded.sites["440100"],
        kind="outlet",
        calendar={
            "hours": {
                "mon": ["08:30-17:30"],
                "tue": ["08:30-17:30"],
                "wed": ["08:30-17:30"],
                "thu": ["08:30-17:30"],
                "fri": ["08:30-17:30"],
                "sat": ["09:00-12:00"],
            }
        },
    )
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=site.id,
        # the order's site follows 所属供电局, so the form names the outlet itself
        form={"故障地址": "天河路1号", "所属供电局": "440113"},
        now=at(27, 17, 20),
    )
    # 10 minutes on Friday, the other 20 on Saturday morning
    assert order.due_at == at(28, 9, 20)


async def test_a_broken_timer_does_not_block_the_others(sm, session, seeded):
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        now=at(25, 9),
    )
    session.add(
        Timer(
            order_id=order.id, node="confirm", kind="action", due_at=at(25, 9, 1), payload={"priority": "x"}
        )
    )
    await session.commit()
    worker = SlaWorker(sm)
    assert await worker.run_due(at(25, 12)) == 1  # the overrun reminder still fires
    broken = await session.scalar(select(Timer).where(Timer.kind == "action"))
    await session.refresh(broken)
    assert broken.state == "failed" and "ValueError" in broken.payload["error"]
    await session.commit()
    assert await worker.run_due(at(25, 13)) == 0
