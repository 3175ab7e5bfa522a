"""提醒 and 新工单 words name the step that is due or reached, not the order's status, which in
故障报修 is the step before's name: at 派工 the status is 接收确认, and 工单 GZ…（接收确认）即将超期
told the handler who had confirmed receipt that 接收确认 was late (QA 2026-11-29 #27). The status
follows, marked 状态：, when it is not the step's name."""

import datetime as dt

from sqlalchemy import select

from tests.ticketing.conftest import gz_fault_order
from ticketing import SlaWorker, screen_alerts, submit_step
from ticketing.models import Notification, Timer
from ticketing.workflow import store


async def test_the_dispatch_reminder_names_dispatch_and_marks_the_status(sm, session, seeded):
    order = await gz_fault_order(session, seeded)
    async with sm() as db:
        order = await db.merge(order)
        await submit_step(db, seeded.users["5102"], order)  # 接收确认: on to 派工, held by 5102
        await db.commit()
        assert (order.current_node, order.status) == ("dispatch", "接收确认")
        due = order.due_at
        [reminder_at] = await db.scalars(
            select(Timer.due_at)
            .where(Timer.order_id == order.id, Timer.node == "dispatch", Timer.kind == "remind")
            .where(Timer.due_at < due)
        )
    assert await SlaWorker(sm).run_due(reminder_at) == 1
    async with sm() as db:
        [body] = await db.scalars(
            select(Notification.body).where(
                Notification.order_id == order.id,
                Notification.kind == "reminder",
                Notification.channel == "screen",
            )
        )
    when = due.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert body == f"工单 {order.number} 派工即将超期（时限 {when}），状态：接收确认"


async def test_a_routed_notice_names_the_step_reached(session, seeded):
    order = await gz_fault_order(session, seeded)
    definition = await store.definition_for(session, order.workflow_id)
    assert (
        screen_alerts.routed(definition.node("dispatch")).message == "新工单已派给您：派工（状态：接收确认）"
    )
    # the 提醒 row the step's handlers were given as the order reached 接收确认 (status 已流转)
    bodies = set(
        await session.scalars(
            select(Notification.body).where(Notification.order_id == order.id, Notification.kind == "routed")
        )
    )
    assert bodies == {"新工单已派给您：接收确认（状态：已流转）"}
