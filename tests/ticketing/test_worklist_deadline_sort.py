"""A work list sorted by 时限 (due_at): orders with no deadline go last, ascending and descending,
on both databases (SQLite orders NULLs first ascending, PostgreSQL last, unless told)."""

import datetime as dt

from sqlalchemy import update

from agent_ui.worklists import ListQuery, run_list
from ticketing import create_order
from ticketing.models import WorkOrder


async def test_orders_without_a_deadline_sort_last_both_ways(session, seeded):
    agent, admin = seeded.users["1001"], seeded.users["9001"]
    site = seeded.sites["440100"].id
    orders = [
        await create_order(
            session,
            agent,
            workflow="consult",
            site_id=site,
            form={"咨询内容": f"电费 {i}", "答复内容": "营业厅"},
        )
        for i in range(3)
    ]
    now = dt.datetime.now(dt.UTC)
    due = {
        orders[0].id: None,
        orders[1].id: now + dt.timedelta(hours=1),
        orders[2].id: now + dt.timedelta(hours=5),
    }
    for order_id, due_at in due.items():
        await session.execute(update(WorkOrder).where(WorkOrder.id == order_id).values(due_at=due_at))
    await session.commit()

    async def listed(descending: bool) -> list[int]:
        q = ListQuery(name="search", sort="due_at", descending=descending, size=50)
        out = await run_list(session, admin, q, "Asia/Shanghai")
        return [item["id"] for item in out["items"] if item["id"] in due]

    most_urgent, later, none = orders[1].id, orders[2].id, orders[0].id
    assert await listed(False) == [most_urgent, later, none]
    assert await listed(True) == [later, most_urgent, none]
