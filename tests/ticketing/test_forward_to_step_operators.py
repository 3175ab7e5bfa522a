"""QA: at 故障报修's 派工, handler 5101 could 转派 to call-centre agent 1002, who then submitted
派工. ``forward`` now takes only whom the step's operator rules allow (``steps.may_hold``: every
batch of ``dispatch.operators``, whoever did 接收确认 or a handler of the bureau 所属供电局
names), refusing anybody else ``target_not_operator``; submit already takes only the step's
holders (``not_your_step``), so who was refused the forward cannot submit."""

import pytest
from sqlalchemy import select

from tests.ticketing.conftest import gz_fault_order
from ticketing import ActionRefused, approve, submit_step
from ticketing.models import Assignment
from ticketing.workflow import store
from ticketing.workflow.actions import forward
from ticketing.workflow.steps import may_hold

CREW = {"抢修人员": "张师傅", "派工时间": "2026-11-27T14:45"}


async def test_forward_at_dispatch_goes_only_to_its_operators(sm, session, seeded):
    u = seeded.users
    order = await gz_fault_order(session, seeded)
    await approve(session, u["5101"], order, opinion="收到")
    assert order.current_node == "dispatch"
    node = (await store.definition_for(session, order.workflow_id)).node("dispatch")
    # whoever confirmed (first batch), then 广州's handlers (second batch); no agent, leader, supervisor
    assert [p.staff_no for p in await may_hold(session, order, node)] == ["5101", "5102"]

    for staff_no in ("1002", "2001", "3001"):
        with pytest.raises(ActionRefused) as refused:
            await forward(session, u["5101"], order, u[staff_no], opinion="请处理")
        assert refused.value.error_id == "target_not_operator", staff_no
    # the engine's submit takes the step's holders only: 1002 was not given it
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, u["1002"], order, form=CREW)
    assert refused.value.error_id == "not_your_step"

    await forward(session, u["5101"], order, u["5102"], opinion="你去")
    held = await session.scalars(
        select(Assignment.user_id).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    assert list(held) == [u["5102"].id]
