"""QA: handler 5101 pressing 接收确认 was popped "新工单 GZ…(接收确认)已流转给您": 派工 goes to
whoever confirmed, and the pop-up (``TicketRouted``) named every handler of the step entered,
the actor too (their 提醒 row was already left out). Nobody is told their own action moved an
order to themselves; the others it reaches are told as before."""

from sqlalchemy import select

from tests.ticketing.conftest import gz_fault_order
from ticketing import approve, screen_alerts
from ticketing.events import TicketRouted, TicketStatusChanged, pending_events
from ticketing.models import Assignment


def _routed(session) -> list[tuple[str, ...]]:
    return [e.handlers for e in pending_events(session) if isinstance(e, TicketRouted)]


async def test_the_handler_who_confirms_is_not_told_the_order_is_new_to_them(sm, session, seeded):
    u = seeded.users
    order = await gz_fault_order(session, seeded)
    async with sm() as db:
        # others are told as before: 1001's 受理 reached both of 广州's handlers
        [row] = await screen_alerts.recent(db, u["5101"].id)
        assert row["order_id"] == order.id and row["kind"] == "routed"

    async with sm() as db:
        order = await db.merge(order)
        await approve(db, u["5101"], order, opinion="收到")
        assert order.current_node == "dispatch"
        held = await db.scalars(
            select(Assignment.user_id).where(Assignment.order_id == order.id, Assignment.state == "pending")
        )
        assert list(held) == [u["5101"].id]  # 派工: whoever confirmed
        # the status change is announced; no pop-up names the one who moved it to themselves
        assert any(isinstance(e, TicketStatusChanged) for e in pending_events(db))
        assert _routed(db) == []
        await db.commit()
    async with sm() as db:
        # nor a second 提醒: still the one row from 受理
        assert len(await screen_alerts.recent(db, u["5101"].id)) == 1
