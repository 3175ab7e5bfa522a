"""恢复上级设置 (``category_admin.remove_override``) refuses to remove a site's override whose
workflow open orders at that site are still worked on, when the row the site would follow is on
another workflow (``category_override_in_use``, with how many); once there are none it goes."""

import pytest

from ticketing import create_order
from ticketing.categories import add_category, offered
from ticketing.category_admin import remove_override
from ticketing.errors import ActionRefused
from ticketing.workflow.actions import void


async def test_an_override_whose_workflow_open_orders_run_on_is_kept(session, seeded):
    admin, agent = seeded.users["9001"], seeded.users["1001"]
    gz, gz1 = seeded.sites["440100"].id, seeded.sites["440106"].id
    # 广州 takes 用户信息查询 on the fault flow (the shared one is on consult)
    override = await add_category(
        session, admin, "query", "广州查询报修", site_id=gz, workflow_key="fault_repair"
    )
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=gz1,
        category="query",
        form={"故障地址": "天河路1号"},
        submit=False,
    )
    with pytest.raises(ActionRefused) as refused:
        await remove_override(session, admin, override.id)
    assert refused.value.error_id == "category_override_in_use"
    assert refused.value.details["orders"] == 1

    await void(session, seeded.users["3001"], order, opinion="重复受理")
    follows = await remove_override(session, admin, override.id)
    assert (follows.site_id, follows.workflow_key) == (None, "consult")
    query = next(o.top for o in await offered(session, gz1) if o.top.code == "query")
    assert (query.name, query.workflow_key) == ("用户信息查询", "consult")
