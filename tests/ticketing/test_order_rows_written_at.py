"""A new order's rows, written in one go (ticketing.workflow.insert), take one time of writing
where they leave their time to the column's default (utcnow)."""

import datetime as dt

from sqlalchemy import select

from ticketing import create_order
from ticketing.models import AuditLog, Comment, Site, Timer, WorkOrder
from ticketing.workflow.insert import WRITTEN_AT

# a moment long past: the rows' own times of writing cannot be mistaken for it
LONG_AGO = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


def test_every_kind_of_row_defaulting_to_the_time_of_writing_is_known():
    """A column defaulting to utcnow that WRITTEN_AT missed would take a time of its own per row."""
    assert WRITTEN_AT == {
        "assignments": ("assigned_at",),
        "comments": ("created_at",),
        "audits": ("at",),
        "timers": ("created_at",),
        "notifications": ("created_at",),
    }


async def test_a_new_orders_rows_take_one_time_of_writing(sm, seeded):
    """The 提交 order's two opinions, its two audit rows and its SLA timer are written together:
    the one time of writing, not the order's ``now`` (a caller's, here long ago), and not a time
    per row."""
    agent = seeded.users["1001"]
    async with sm.begin() as s:
        site = await s.get(Site, agent.site_id)
        before = dt.datetime.now(dt.UTC)
        order = await create_order(
            s,
            agent,
            workflow="fault_repair",
            site_id=site.id,
            form={"故障地址": "中山路1号", "所属供电局": site.code, "客户描述故障信息": "停电"},
            now=LONG_AGO,
        )
    after = dt.datetime.now(dt.UTC)
    async with sm() as s:
        comments = list(await s.scalars(select(Comment.created_at).where(Comment.order_id == order.id)))
        audits = list(
            await s.scalars(
                select(AuditLog.at).where(
                    AuditLog.entity == "work_order", AuditLog.entity_id == str(order.id)
                )
            )
        )
        timers = list(await s.scalars(select(Timer.created_at).where(Timer.order_id == order.id)))
        assert (await s.get(WorkOrder, order.id)).created_at == LONG_AGO
    assert len(comments) == 2 and len(audits) == 2 and timers
    written = {*comments, *audits, *timers}
    assert len(written) == 1
    assert before <= written.pop() <= after
