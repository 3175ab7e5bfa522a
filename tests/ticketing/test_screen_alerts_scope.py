"""A user's 提醒 holds the rows whose order they may open (``can_access``), however many: a row
about an order outside their data scope is neither listed nor counted, and its live pop-up is
for those who may open it only. A 退单 tells the creator it was sent back, by whom and why."""

from tests.ticketing.conftest import gz_fault_order
from ticketing import reject, screen_alerts, sla
from ticketing.events import TicketRouted, pending_events
from ticketing.users import can_access


async def test_rows_about_orders_out_of_scope_are_neither_listed_nor_counted(sm, session, seeded):
    order = await gz_fault_order(session, seeded)
    handler, stranger = seeded.users["5101"], seeded.users["5201"]  # 广州's handler, 深圳's
    async with sm.begin() as db:
        assert await can_access(db, handler, order) and not await can_access(db, stranger, order)
        for _ in range(60):
            await sla.notify_users(
                db,
                order,
                [handler, stranger],
                kind="overrun",
                channels=["screen"],
                urgency="urgent",
                message="x",
            )
    async with sm() as db:
        assert await screen_alerts.recent(db, stranger.id) == []
        assert await screen_alerts.unread_count(db, stranger.id) == 0
        assert len(await screen_alerts.recent(db, handler.id)) == screen_alerts.LIMIT
        assert await screen_alerts.unread_count(db, handler.id) == 61  # every one, with its 有新工单
        assert (await screen_alerts.mark_read(db, stranger.id, "5201", None))["unread"] == 0
        staff = ["5101", "5201", "3001", "nobody"]
        assert await screen_alerts.who_may_open(db, order.id, staff) == {"5101", "3001"}  # 3001: HQ


async def test_a_returned_order_tells_its_creator_by_whom_and_why(sm, session, seeded):
    order = await gz_fault_order(session, seeded)
    handler = seeded.users["5101"]
    async with sm() as db:
        order = await db.merge(order)
        await reject(db, handler, order, opinion=" 地址在深圳 ")
        [routed] = [e for e in pending_events(db) if isinstance(e, TicketRouted)]
        await db.commit()
    said = f"工单在接收确认被{handler.name}（5101）退单，意见：地址在深圳"
    assert routed.handlers == ("1001",) and routed.kind == "returned" and routed.message == said
    async with sm() as db:
        [row] = await screen_alerts.recent(db, seeded.users["1001"].id)
    assert row["kind"] == "returned" and row["message"] == said and row["order_id"] == order.id
