"""cycle_time_by_step leaves voided orders (作废, 已作废) out, as cycle_time_by_workflow does:
a step done on an order voided afterwards is not in the step's cycle time."""

import datetime as dt
from zoneinfo import ZoneInfo

from ticketing import create_order, submit_step
from ticketing.reports import cycle_time_by_step
from ticketing.workflow.actions import void

SH = ZoneInfo("Asia/Shanghai")


async def test_a_voided_orders_steps_are_not_in_step_cycle_times(session, seeded):
    u = seeded.users
    start = dt.datetime(2026, 11, 24, 9, tzinfo=SH)
    orders = []
    for minutes in (10, 50):
        order = await create_order(
            session,
            u["1001"],
            workflow="fault_repair",
            site_id=seeded.sites["440100"].id,
            now=start,
            form={"故障地址": "天河路1号", "所属供电局": "440100"},
        )
        await submit_step(session, u["5101"], order, now=start + dt.timedelta(minutes=minutes))
        orders.append(order)
    before = {n: (count, mean) for n, count, mean in await cycle_time_by_step(session, "fault_repair")}
    assert before["confirm"] == (2, 30.0)
    await void(session, u["3001"], orders[1], opinion="重复报修", duplicate_of=orders[0])
    steps = {n: (count, mean) for n, count, mean in await cycle_time_by_step(session, "fault_repair")}
    assert steps["confirm"] == (1, 10.0)
