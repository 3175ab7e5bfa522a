"""QA 2026-11-29 #3 through the API: an order at its create step without a 小类别 (as the IVR's
故障报修留言 opens it) offers its holder the category's 小类别 in its view, and 提交 refuses it
without one, as the seat's intake does, until one is sent with it."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, sign_in

FORM = {"故障名称": "整栋楼停电", "故障地址": "海淀区中关村大街 1 号", "所属供电局": "HD"}


async def test_the_create_step_offers_and_requires_the_subcategory(client, aiohttp_client):
    agent = await Session.signed_in(client, "1001")
    status, order = await agent.call(
        "POST",
        "/api/orders",
        {"workflow": "fault_repair", "form": FORM, "caller_number": "13800138000", "submit": False},
    )
    assert status == 201 and order["my_step"] is True and order["subcategory"] == "", order
    assert [s["name"] for s in order["subcategories"]] == ["低压故障", "高压故障", "计量装置故障", "电能质量"]
    # nobody else is offered a pick on a step that is not theirs
    _, seen = await (await sign_in(aiohttp_client, client, "2001")).call("GET", f"/api/orders/{order['id']}")
    assert seen["subcategories"] == []

    url = f"/api/orders/{order['id']}/submit"
    status, refused = await agent.call("POST", url, {"form": {}})
    assert status == 422 and refused["details"]["problems"] == {"subcategory": "field_required"}, refused
    assert "小类别（必填）" in refused["message"]
    status, refused = await agent.call("POST", url, {"form": {}, "subcategory": "complaint_1"})
    assert status == 422 and refused["details"]["problems"] == {"subcategory": "field_bad_option"}, refused

    status, sent = await agent.call("POST", url, {"form": {}, "subcategory": "fault_lv"})
    assert status == 200 and sent["subcategory"] == "fault_lv" and sent["status"] == "已流转", sent
    assert sent["subcategories"] == []


async def test_an_order_sent_on_at_intake_names_its_subcategory(client):
    """POST /api/orders with ``submit`` (the default) completes the create step: without a 小类别
    it is refused as that step's 提交 refuses it, whichever client sends it; a draft is not."""
    agent = await Session.signed_in(client, "1001")
    body = {"workflow": "fault_repair", "form": FORM, "caller_number": "13800138000"}
    status, refused = await agent.call("POST", "/api/orders", body)
    assert status == 422 and refused["details"]["problems"] == {"subcategory": "field_required"}, refused
    assert refused["message"] == "表单有误：小类别（必填）"

    status, kept = await agent.call("POST", "/api/orders", {**body, "submit": False})
    assert status == 201 and kept["my_step"] is True, kept
    status, sent = await agent.call("POST", "/api/orders", {**body, "subcategory": "fault_lv"})
    assert status == 201 and sent["status"] == "已流转", sent
