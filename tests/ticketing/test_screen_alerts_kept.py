"""QA: reminders, overrun alerts and 'new order for you' vanished with their pop-up. Screen rows
are kept per user, unread until that user reads them; nobody reads or marks another's."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.ticketing.conftest import gz_fault_order
from ticketing import SlaWorker, screen_alerts
from ticketing.events import ScreenAlertsRead, pending_events
from ticketing.models import Notification

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


async def test_overrun_stays_unread_for_each_recipient(sm, session, seeded):
    order = await gz_fault_order(session, seeded, now=at(27, 17, 20))
    handler, colleague, leader = (seeded.users[n] for n in ("5101", "5102", "2001"))
    # the order reached 5101 and 5102's step: 有新工单 is kept for them (not for 1001, who sent it)
    async with sm() as db:
        mine = await screen_alerts.recent(db, handler.id)
        assert [(a["kind"], a["number"], a["read_at"]) for a in mine] == [("routed", order.number, None)]
        assert await screen_alerts.unread_count(db, seeded.users["1001"].id) == 0
    assert await SlaWorker(sm).run_due(at(30, 8, 50)) == 1
    async with sm() as db:
        for user in (handler, colleague, leader):
            items = await screen_alerts.recent(db, user.id)
            overrun = [a for a in items if a["kind"] == "overrun"]
            assert len(overrun) == 1, user.staff_no
            assert overrun[0]["order_id"] == order.id and overrun[0]["number"] == order.number
            assert overrun[0]["read_at"] is None and "已超期" in overrun[0]["message"]
            assert items[0]["kind"] == "overrun"  # newest first
        assert await screen_alerts.unread_count(db, handler.id) == 2
        assert await screen_alerts.unread_count(db, leader.id) == 1
        assert await screen_alerts.unread_count(db, seeded.users["5201"].id) == 0


async def test_mark_read_touches_only_the_readers_rows(sm, session, seeded):
    await gz_fault_order(session, seeded, now=at(27, 17, 20))
    await SlaWorker(sm).run_due(at(30, 8, 50))
    handler, leader = seeded.users["5101"], seeded.users["2001"]
    async with sm() as db:
        theirs = [a["id"] for a in await screen_alerts.recent(db, leader.id)]
        mine = [a["id"] for a in await screen_alerts.recent(db, handler.id)]
        # 5101 names 2001's row and one of their own: only their own is marked
        result = await screen_alerts.mark_read(db, handler.id, "5101", [theirs[0], mine[0]])
        assert result == {"ids": [mine[0]], "unread": 1}
        [event] = [e for e in pending_events(db) if isinstance(e, ScreenAlertsRead)]
        assert event.staff_no == "5101" and event.ids == (mine[0],) and event.unread == 1
        await db.commit()
    async with sm() as db:
        assert await screen_alerts.unread_count(db, leader.id) == 1
        assert await screen_alerts.unread_count(db, handler.id) == 1
        result = await screen_alerts.mark_read(db, handler.id, "5101", None)
        assert result == {"ids": [mine[1]], "unread": 0}
        await db.commit()
    async with sm() as db:
        rows = list(await db.scalars(select(Notification).where(Notification.channel == "screen")))
        assert {r.user_id for r in rows if r.read_at is not None} == {handler.id}
        assert await screen_alerts.unread_count(db, leader.id) == 1
