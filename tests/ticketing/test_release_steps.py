"""Disabling a user hands on the steps they hold (ticketing.user_admin → workflow.actions.release_steps),
on SQLite and PostgreSQL alike."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ticketing import create_order, submit_step
from ticketing.models import Assignment, AuditLog, User
from ticketing.user_admin import update_user
from ticketing.workflow.actions import stranded

SH = ZoneInfo("Asia/Shanghai")


async def _pending(session, order) -> list[int]:
    rows = await session.scalars(
        select(Assignment.user_id).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    return sorted(rows)


async def test_a_disabled_handlers_steps_go_on_or_wait_for_reassignment(session, seeded):
    u = seeded.users
    form = {"故障地址": "广州市越秀区解放路2号", "所属供电局": "440100"}
    now = dt.datetime(2026, 11, 25, 9, tzinfo=SH)
    at_dispatch = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=form, now=now
    )
    await submit_step(session, u["5101"], at_dispatch, now=now)
    at_onsite = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=form, now=now
    )
    await submit_step(session, u["5101"], at_onsite, now=now)
    crew = {"抢修人员": "王师傅", "派工时间": "2026-11-25T09:05"}
    await submit_step(session, u["5101"], at_onsite, form=crew, now=now + dt.timedelta(minutes=5))
    assert await _pending(session, at_dispatch) == [u["5101"].id] == await _pending(session, at_onsite)

    await update_user(session, u["9001"], "5101", {"active": False})

    # 派工: the bureau's other handlers; 到达现场 (only whoever dispatched): waits, 待改派
    others = await _pending(session, at_dispatch)
    assert others and u["5101"].id not in others
    assert not await stranded(session, at_dispatch)
    assert await _pending(session, at_onsite) == [u["5101"].id]
    assert await stranded(session, at_onsite)
    audited = await session.scalars(
        select(AuditLog.entity_id).where(
            AuditLog.action == "order.reassign", AuditLog.user_id == u["9001"].id
        )
    )
    assert list(audited) == [str(at_dispatch.id)]


async def test_editing_a_disabled_user_again_announces_nothing_new(session, seeded):
    """The 待改派 alert goes out when the handler is disabled, not on every later save of their
    record (the user editor always sends the scope, unchanged)."""
    from sqlalchemy import func

    from ticketing.models import Notification

    u = seeded.users
    form = {"故障地址": "广州市越秀区解放路2号", "所属供电局": "440100"}
    now = dt.datetime(2026, 11, 25, 9, tzinfo=SH)
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=form, now=now
    )
    await submit_step(session, u["5101"], order, now=now)
    crew = {"抢修人员": "王师傅", "派工时间": "2026-11-25T09:05"}
    await submit_step(session, u["5101"], order, form=crew, now=now + dt.timedelta(minutes=5))

    async def notifications() -> int:
        await session.flush()
        return await session.scalar(select(func.count()).select_from(Notification))

    before = await notifications()
    await update_user(session, u["9001"], "5101", {"active": False})
    assert await stranded(session, order)
    announced = await notifications()
    assert announced > before

    user = await session.scalar(
        select(User).where(User.staff_no == "5101").options(selectinload(User.scope_sites))
    )
    scope = sorted(s.id for s in user.scope_sites)
    await update_user(session, u["9001"], "5101", {"phone": "020-82345678", "scope_site_ids": scope})
    await update_user(session, u["9001"], "5101", {"active": False, "scope_site_ids": scope})
    assert await notifications() == announced
    assert await stranded(session, order)


async def test_the_hand_over_says_why_on_the_orders_timeline(session, seeded):
    """The 改派 is the system's, not the admin's choice: its opinion names the disabled or
    moved handler, so a reader of 处理过程 can tell why the handler changed."""
    from ticketing.models import Comment

    u = seeded.users
    form = {"故障地址": "广州市越秀区解放路2号", "所属供电局": "440100"}
    now = dt.datetime(2026, 11, 25, 9, tzinfo=SH)
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=form, now=now
    )
    await submit_step(session, u["5101"], order, now=now)

    await update_user(session, u["9001"], "5101", {"active": False})
    await session.flush()
    opinions = list(
        await session.scalars(
            select(Comment.text).where(Comment.order_id == order.id, Comment.action == "reassign")
        )
    )
    assert opinions == [f"账号停用（5101 {u['5101'].name}），步骤自动改派"]


async def test_a_handler_moved_out_of_the_orders_site_is_named_as_moved(session, seeded):
    from ticketing.models import Comment

    u = seeded.users
    form = {"故障地址": "广州市越秀区解放路2号", "所属供电局": "440100"}
    now = dt.datetime(2026, 11, 25, 9, tzinfo=SH)
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=form, now=now
    )
    await submit_step(session, u["5101"], order, now=now)
    elsewhere = next(s for code, s in seeded.sites.items() if code != "440100" and s.parent_id is not None)

    await update_user(session, u["9001"], "5101", {"site_id": elsewhere.id, "scope_site_ids": [elsewhere.id]})
    await session.flush()
    opinions = list(
        await session.scalars(
            select(Comment.text).where(Comment.order_id == order.id, Comment.action == "reassign")
        )
    )
    assert opinions == [f"数据范围调整（5101 {u['5101'].name}），步骤自动改派"]
