"""POST /api/customers keeps a new customer's 所属单位 within the creator's data scope: an agent
of 海淀 adding a customer of 朝阳 is refused with the form's words (表单有误：所属单位（超出您的数据范围）),
while the hotline's agents at HQ add one at any bureau."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, add_user, chaoyang_bureau, site_ids


async def test_an_agent_adds_customers_of_their_own_bureau_only(client, world):
    await chaoyang_bureau(world)
    await add_user(world, "1101", "海淀坐席", ["agent"], "HD")
    hd_agent = await Session.signed_in(client, "1101")
    sites = await site_ids(hd_agent)

    status, refused = await hd_agent.call(
        "POST", "/api/customers", {"account_no": "1000007001", "name": "朝阳客户", "site_id": sites["CY"]}
    )
    assert status == 422 and refused["details"]["problems"] == {"site_id": "field_out_of_scope"}, refused
    assert refused["message"] == "表单有误：所属单位（超出您的数据范围）", refused["message"]

    status, created = await hd_agent.call(
        "POST", "/api/customers", {"account_no": "1000007002", "name": "海淀客户", "site_id": sites["HD"]}
    )
    assert status == 201 and created["site"] == "海淀供电局", created

    hq_agent = await Session.signed_in(client, "1001")
    status, created = await hq_agent.call(
        "POST", "/api/customers", {"account_no": "1000007001", "name": "朝阳客户", "site_id": sites["CY"]}
    )
    assert status == 201 and created["site"] == "朝阳供电局", created
