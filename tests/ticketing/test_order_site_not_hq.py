"""An order's site field (所属供电局) never newly names the HQ: the console offers only the sites
that serve customers there (``sites.serves_customers``), but the API took 总部 from an agent's new
order and from the order page's 暂存 / 提交, routing a fault to the 客户服务中心, where nobody
repairs it. It is refused ``field_not_order_site`` (总部（客户服务中心）不处理工单…), with the
form's other problems. The system's orders (a visit-back's complaint, a follow-up) still take the
site of the order they follow, the HQ's too (``Directory.closed_sites(hq=True)``)."""

from __future__ import annotations

import pytest

from ticketing import FieldErrors, create_order
from ticketing.workflow.engine import save_form

FORM = {"故障地址": "天河路1号", "所属供电局": "440100"}


async def test_an_agents_new_order_may_not_name_the_hq(session, seeded):
    with pytest.raises(FieldErrors) as refused:
        await create_order(
            session,
            seeded.users["1001"],
            workflow="fault_repair",
            site_id=seeded.sites["HQ"].id,  # the agent's own, where the form names none
            form={"故障地址": "", "所属供电局": "HQ"},
            subcategory="fault_lv",
            as_offered=True,
        )
    assert refused.value.problems == {"所属供电局": "field_not_order_site", "故障地址": "field_required"}


async def test_the_order_page_may_not_move_an_order_to_the_hq(session, seeded):
    agent = seeded.users["1001"]
    order = await create_order(
        session, agent, workflow="fault_repair", site_id=seeded.sites["HQ"].id, form=FORM, submit=False
    )
    with pytest.raises(FieldErrors) as refused:
        await save_form(session, agent, order, {**FORM, "所属供电局": "HQ"})
    assert refused.value.problems == {"所属供电局": "field_not_order_site"}
    assert order.form["所属供电局"] == "440100" and order.site_id == seeded.sites["440100"].id
