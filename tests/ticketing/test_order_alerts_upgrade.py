"""Migration 0033 on a populated database: an order's 提醒 stored before it (a read reminder,
past the retention) is kept in the order's 处理过程 when the first purge after the upgrade
deletes it from the outbox (``order_alerts``). On both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from agent_ui.order_views import timeline
from tests.ticketing.conftest import later_columns_lent
from ticketing import SlaWorker, create_order, db
from ticketing.demo import seed_demo
from ticketing.models import Notification, User, WorkOrder
from ticketing.seed import seed_defaults
from ticketing.sla import notify_users


async def test_a_reminder_stored_before_0033_outlives_the_purge_after_it(empty_db_url):
    await db.migrate(empty_db_url, "0032")
    engine = db.create_engine(empty_db_url)
    maker = db.sessionmaker(engine)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
    try:
        async with later_columns_lent(engine):
            async with maker.begin() as s:
                await seed_defaults(s)
                demo = await seed_demo(s, customers=1, notices=False)
            async with maker.begin() as s:
                agent = await s.get(User, demo.users["1001"].id)
                order = await create_order(
                    s,
                    agent,
                    workflow="fault_repair",
                    site_id=demo.sites["440100"].id,
                    form={"故障地址": "天河路1号"},
                    submit=False,
                )
                handler = await s.get(User, demo.users["5101"].id)
                await notify_users(
                    s,
                    order,
                    [handler],
                    kind="overrun",
                    channels=["screen"],
                    urgency="urgent",
                    message="工单已超期",
                )
                await s.flush()
                await s.execute(
                    update(Notification)
                    .where(Notification.order_id == order.id)
                    .values(created_at=old, read_at=old + dt.timedelta(hours=1))
                )
                order_id = order.id
        await db.migrate(engine)
        assert await SlaWorker(maker).purge_notices() == 1
        async with maker() as s:
            assert await s.scalar(select(Notification.id).where(Notification.order_id == order_id)) is None
            alerts = [e for e in await timeline(s, await s.get(WorkOrder, order_id)) if e.get("internal")]
        assert [(a["kind"], a["alert_kind"], a["urgency"], a["content"]) for a in alerts] == [
            ("screen", "overrun", "urgent", "工单已超期")
        ]
        assert alerts[0]["to_user"]["staff_no"] == "5101" and alerts[0]["read_at"]
    finally:
        await engine.dispose()
