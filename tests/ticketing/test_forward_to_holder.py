"""转派 to a colleague who already holds the step is refused with target_is_holder, as 改派
refuses it: two handlers of a 或签 step each forwarding to the same person gave that person the
step twice (handlers 5900, 5900, 5900), and forwarding to the other holder did the same."""

import pytest
from sqlalchemy import select

from ticketing import ActionRefused, create_order
from ticketing.models import Assignment
from ticketing.workflow.actions import forward

FAULT = {"故障名称": "停电", "故障地址": "天河路1号", "所属供电局": "440100"}


async def _pending(session, order) -> list[int]:
    rows = await session.scalars(
        select(Assignment.user_id).where(Assignment.order_id == order.id, Assignment.state == "pending")
    )
    return sorted(rows)


async def test_forwarding_to_someone_who_already_holds_the_step_is_refused(session, seeded):
    u = seeded.users
    order = await create_order(
        session, u["1001"], workflow="fault_repair", site_id=seeded.sites["440100"].id, form=FAULT
    )
    assert await _pending(session, order) == sorted([u["5101"].id, u["5102"].id])

    # to the other holder of the step
    with pytest.raises(ActionRefused) as refused:
        await forward(session, u["5101"], order, u["5102"], opinion="给蔡明")
    assert refused.value.error_id == "target_is_holder"
    assert await _pending(session, order) == sorted([u["5101"].id, u["5102"].id])

    # 5101 forwards to the supervisor (接收确认's second batch); 5102 then forwarding to them too is refused
    await forward(session, u["5101"], order, u["3001"], opinion="给值班长")
    with pytest.raises(ActionRefused) as refused:
        await forward(session, u["5102"], order, u["3001"], opinion="也给值班长")
    assert refused.value.error_id == "target_is_holder"
    await session.commit()
    assert await _pending(session, order) == sorted([u["5102"].id, u["3001"].id])
