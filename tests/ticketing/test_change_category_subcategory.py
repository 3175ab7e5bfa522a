"""A category changed on an order before 派工 takes a 小类别 where it has some, as at intake: a
blank one was locked in at 派工 (``locks_category``) and reported so."""

from __future__ import annotations

import pytest

from ticketing import FieldErrors, create_order
from ticketing.workflow.actions import change_category


async def test_a_category_changed_before_dispatch_takes_a_subcategory_where_it_has_some(session, seeded):
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        category="fault",
        subcategory="fault_lv",
        submit=False,
    )
    with pytest.raises(FieldErrors) as refused:
        await change_category(session, u["1001"], order, "fault")
    assert refused.value.problems == {"subcategory": "field_required"}
    assert order.subcategory == "fault_lv"
    await change_category(session, u["1001"], order, "fault", "fault_hv")
    assert order.subcategory == "fault_hv"
    await change_category(session, u["1001"], order, "coordination")  # none under it
    assert (order.category, order.subcategory) == ("coordination", "")
