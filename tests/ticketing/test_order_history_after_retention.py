"""The notices' retention empties 提醒, not an order's 处理过程: a reminder about an order, read
and past the retention, leaves the user's list (its ``notifications`` row is deleted) and stays
in the order's history as it was shown, to whom, when, how urgent and when it was read
(``screen_alerts.purge_read`` keeps it in ``order_alerts``; ``agent_ui.order_views.timeline``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from agent_ui.order_views import timeline
from tests.ticketing.conftest import gz_fault_order
from ticketing import SlaWorker
from ticketing.models import Notification, User, WorkOrder
from ticketing.screen_alerts import mark_read, recent
from ticketing.sla import notify_users


def _alerts(entries):
    return [e for e in entries if e.get("internal")]


async def test_a_purged_read_reminder_stays_in_the_orders_history(sm, session, seeded):
    order = await gz_fault_order(session, seeded)
    handler = await session.get(User, seeded.users["5101"].id)
    await notify_users(
        session,
        order,
        [handler],
        kind="reminder",
        channels=["screen", "sms"],
        urgency="high",
        message="工单即将超期，请尽快处理",
    )
    await session.commit()
    await mark_read(session, handler.id, handler.staff_no, None)
    # made and read 200 days ago: past the 90 days' retention
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
    await session.execute(
        update(Notification).where(Notification.order_id == order.id).values(created_at=old, read_at=old)
    )
    await session.commit()
    order_id = order.id
    async with sm() as db:
        before = _alerts(await timeline(db, await db.get(WorkOrder, order_id)))
    reminders = [e for e in before if e["alert_kind"] == "reminder"]
    assert [e["kind"] for e in reminders] == ["screen", "sms"], before
    assert reminders[0]["content"] == "工单即将超期，请尽快处理" and reminders[0]["read_at"]

    assert await SlaWorker(sm).purge_notices() >= 1
    async with sm() as db:
        # gone from the outbox and the user's 提醒 (the SMS row is the outbox's record: kept) ...
        left = set(await db.scalars(select(Notification.channel).where(Notification.order_id == order_id)))
        assert "screen" not in left and "sms" in left
        assert not [
            r for r in await recent(db, handler.id) if r["order_id"] == order_id and r["kind"] == "reminder"
        ]
        # ... and in the order's 处理过程 as it was
        after = _alerts(await timeline(db, await db.get(WorkOrder, order_id)))
    assert after == before
    # purged again: nothing moves twice
    assert await SlaWorker(sm).purge_notices() == 0
    async with sm() as db:
        assert _alerts(await timeline(db, await db.get(WorkOrder, order_id))) == before
