"""POST /api/orders refuses an order's 所属供电局 naming the HQ (总部, where the agents sit), which
the console's intake never offers, in the form's words; a bureau is taken."""

from __future__ import annotations

from tests.agent_ui.conftest import FAULT, Session


async def test_an_order_at_the_hq_is_refused_in_words(client):
    agent = await Session.signed_in(client, "1001")
    body = {"workflow": "fault_repair", "form": {**FAULT, "所属供电局": "HQ"}, "subcategory": "fault_lv"}
    status, refused = await agent.call("POST", "/api/orders", body)
    assert status == 422 and refused["details"]["problems"] == {"所属供电局": "field_not_order_site"}, refused
    assert (
        refused["message"] == "表单有误：所属供电局（总部（客户服务中心）不处理工单，请选择供电局或供电所）"
    )

    status, order = await agent.call("POST", "/api/orders", {**body, "form": FAULT})
    assert status == 201 and order["status"] == "已流转", order
