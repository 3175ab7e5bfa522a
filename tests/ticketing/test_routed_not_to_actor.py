"""QA: handler 5101 pressing 接收确认 was popped "新工单 GZ…(接收确认)已流转给您": 派工 goes to
whoever confirmed, and the pop-up (``TicketRouted``) named every handler of the step entered,
the actor too (their 提醒 row was already left out). Nobody is told their own action moved an
order to themselves; the others it reaches are told as before."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.ticketing.conftest import gz_fault_order
from ticketing import approve, create_order, screen_alerts, submit_step
from ticketing.events import TicketRouted, TicketStatusChanged, pending_events
from ticketing.models import Assignment
from ticketing.user_admin import update_user
from ticketing.workflow.actions import reassign, stranded

SH = ZoneInfo("Asia/Shanghai")


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


async def test_taking_over_a_stranded_step_pops_up_nothing_for_who_took_it(session, seeded):
    """接手: the colleague who takes a 待改派 step was popped 新工单 for their own click; whom a
    team leader 改派 it to still is."""
    u = seeded.users
    now = dt.datetime(2026, 11, 25, 9, tzinfo=SH)
    form = {"故障地址": "广州市越秀区解放路2号", "所属供电局": "440100"}
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=form, now=now
    )
    await submit_step(session, u["5101"], order, now=now)
    crew = {"抢修人员": "王师傅", "派工时间": "2026-11-25T09:05"}
    await submit_step(session, u["5101"], order, form=crew, now=now + dt.timedelta(minutes=5))
    await update_user(session, u["9001"], "5101", {"active": False})
    assert await stranded(session, order)  # 到达现场: only whoever dispatched

    before = len(_routed(session))
    await reassign(session, u["5102"], order, u["5102"])  # 接手
    assert _routed(session)[before:] == []
    await reassign(session, u["2001"], order, u["1001"], opinion="临时代办")  # 改派
    assert _routed(session)[before:] == [("1001",)]
