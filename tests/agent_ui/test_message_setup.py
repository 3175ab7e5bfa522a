"""短信/邮件/传真模板 in the console: admins only, CSRF on writes, refusals naming the field, an
audit row per change, and a saved auto-send template is what the next order entering its step
sends."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing import create_order
from ticketing.models import AuditLog, Notification, Site, User
from ticketing.workflow.store import import_definition

OUTSOURCED = {
    "key": "outsourced_msg",
    "name": "外委维修",
    "category": "outsourced",
    "fields": {"外委单位": {"type": "contractor"}},
    "nodes": [
        {"id": "start", "type": "create", "fields": {"外委单位": "required"}, "exits": [{"to": "outsource"}]},
        {
            "id": "outsource",
            "name": "外委处理",
            "type": "realize",
            "contractor": {"field": "外委单位"},
            "operators": {"batches": [[{"user": "2001"}]]},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive"},
    ],
}


async def _send(client, path, token, body, method="POST"):
    resp = await client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_only_admins_keep_the_message_templates_and_refusals_name_the_field(client):
    agent = await login(client, "1001")
    status, body = await _send(client, "/api/message-templates", agent, {"category": "consult"})
    assert (status, body["error_id"]) == (403, "role.forbidden")
    assert (await client.get("/api/message-templates")).status == 403
    assert (await client.get("/admin/message-templates", allow_redirects=False)).status == 403

    admin = await login(client, "9001")
    resp = await client.post("/api/message-templates", json={"category": "consult"})
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"
    status, body = await _send(
        client,
        "/api/message-templates",
        admin,
        {
            "name": "咨询答复邮件",
            "category": "consult",
            "node": "nowhere",
            "channel": "email",
            "body": "{{ order.number",
            "x": 1,
        },
    )
    assert status == 422 and body["error_id"] == "invalid_fields"
    assert body["details"]["problems"] == {
        "node": "field_unknown_step",
        "subject": "field_required",
        "body": "template_invalid",
        "x": "field_unknown",
    }
    assert "步骤（步骤不存在）" in body["message"]  # the field in words, not its key
    status, body = await _send(
        client,
        "/api/message-templates",
        admin,
        {
            "name": "信鸽",
            "category": "nosuch",
            "node": "done",
            "channel": "pigeon",
            "body": "hi",
            "auto_send": "yes",
        },
    )
    assert body["details"]["problems"] == {
        "category": "field_unknown_category",
        "channel": "field_bad_option",
        "auto_send": "field_not_boolean",
    }
    page = await client.get("/admin/message-templates")
    assert page.status == 200 and "短信/邮件/传真模板" in await page.text()


async def test_a_saved_auto_send_template_is_what_the_next_order_sends(client, world):
    admin = await login(client, "9001")
    status, made = await _send(
        client,
        "/api/message-templates",
        admin,
        {
            "name": "咨询办结短信",
            "category": "consult",
            "node": "done",
            "channel": "sms",
            "body": "您的咨询{{ order.number }}已答复",
            "auto_send": True,
        },
    )
    assert status == 201 and made["audience"] == "customer" and made["enabled"] is True

    async def new_order() -> tuple[str, list[str]]:
        async with world.services.sessionmaker.begin() as db:
            agent = await db.scalar(select(User).where(User.staff_no == "1001"))
            site = await db.scalar(select(Site).where(Site.code == "HD"))
            order = await create_order(
                db,
                agent,
                workflow="consult",
                site_id=site.id,
                form={"咨询内容": "电价", "答复内容": "已答复"},
                caller_number="13500000000",
            )
            await db.flush()
            sent = await db.scalars(select(Notification.body).where(Notification.order_id == order.id))
            return order.number, list(sent)

    number, sent = await new_order()
    assert f"您的咨询{number}已答复" in sent
    status, edited = await _send(
        client, f"/api/message-templates/{made['id']}", admin, {"body": "工单{{ order.number }}办结"}, "PATCH"
    )
    assert status == 200 and edited["body"] == "工单{{ order.number }}办结"
    number, sent = await new_order()
    assert f"工单{number}办结" in sent and not any("您的咨询" in s for s in sent)
    status, off = await _send(
        client, f"/api/message-templates/{made['id']}", admin, {"enabled": False}, "PATCH"
    )
    assert status == 200 and off["enabled"] is False
    number, sent = await new_order()
    assert not any(number in s for s in sent)

    listed = await (await client.get("/api/message-templates", params={"category": "consult"})).json()
    assert made["id"] in [t["id"] for t in listed["items"]]
    async with world.services.sessionmaker() as db:
        actions = (
            await db.scalars(
                select(AuditLog.action)
                .where(AuditLog.entity == "notification_template", AuditLog.entity_id == str(made["id"]))
                .order_by(AuditLog.id)
            )
        ).all()
    assert actions == ["message_template.create", "message_template.update", "message_template.update"]


async def test_a_contractors_template_needs_a_step_that_dispatches_to_one(client, world):
    admin = await login(client, "9001")
    # 售后 上门维修 is the company's own crew: there is no contractor to send to
    status, body = await _send(
        client,
        "/api/message-templates",
        admin,
        {
            "name": "售后派外委邮件",
            "category": "aftersales",
            "node": "repair",
            "channel": "email",
            "audience": "contractor",
            "subject": "派工",
            "body": "请上门",
        },
    )
    assert status == 422 and body["details"]["problems"] == {"audience": "field_not_contractor_step"}
    assert "发给（该步骤不派外委单位）" in body["message"]
    async with world.services.sessionmaker.begin() as db:
        await import_definition(db, OUTSOURCED)
    status, made = await _send(
        client,
        "/api/message-templates",
        admin,
        {
            "name": "外委派单短信",
            "category": "outsourced",
            "node": "outsource",
            "channel": "sms",
            "audience": "contractor",
            "body": "请处理",
        },
    )
    assert status == 201 and made["audience"] == "contractor"
    status, body = await _send(  # nor may a template be moved to a step without one
        client, f"/api/message-templates/{made['id']}", admin, {"node": "start"}, "PATCH"
    )
    assert status == 422 and body["details"]["problems"] == {"audience": "field_not_contractor_step"}


async def test_no_two_enabled_templates_for_one_category_step_channel_and_audience(client, world):
    admin = await login(client, "9001")
    # the seeded SMS to the customer at 售后 上门维修 is enabled: a second one would go out too
    same = {
        "name": "售后上门短信",
        "category": "aftersales",
        "node": "repair",
        "channel": "sms",
        "body": "维修人员将上门",
    }
    status, body = await _send(client, "/api/message-templates", admin, same)
    assert status == 422 and body["details"]["problems"] == {"node": "template_duplicate"}
    assert "已有同一类别、步骤、渠道和发给对象的启用模板" in body["message"]
    status, other = await _send(
        client,
        "/api/message-templates",
        admin,
        {**same, "name": "售后回执", "channel": "fax", "subject": "回执"},
    )
    assert status == 201  # another channel is another template

    listed = (await (await client.get("/api/message-templates", params={"category": "aftersales"})).json())[
        "items"
    ]
    seeded = next(t for t in listed if (t["node"], t["channel"]) == ("repair", "sms"))
    status, _ = await _send(
        client, f"/api/message-templates/{seeded['id']}", admin, {"enabled": False}, "PATCH"
    )
    assert status == 200
    status, made = await _send(client, "/api/message-templates", admin, same)  # the other one is disabled
    assert status == 201 and made["enabled"] is True
    status, body = await _send(
        client, f"/api/message-templates/{seeded['id']}", admin, {"enabled": True}, "PATCH"
    )
    assert status == 422 and body["details"]["problems"] == {"node": "template_duplicate"}
    status, body = await _send(  # an edit that makes one the twin of another is refused too
        client, f"/api/message-templates/{other['id']}", admin, {"channel": "sms"}, "PATCH"
    )
    assert status == 422 and body["details"]["problems"] == {"node": "template_duplicate"}
    status, edited = await _send(
        client, f"/api/message-templates/{made['id']}", admin, {"body": "师傅将上门"}, "PATCH"
    )
    assert status == 200 and edited["body"] == "师傅将上门"  # itself is no twin


async def test_the_registers_pick_categories_and_steps_by_name(client):
    await login(client, "1001")
    resp = await client.get("/api/workflow-steps")
    assert (resp.status, (await resp.json())["error_id"]) == (403, "role.forbidden")
    await login(client, "9001")
    items = (await (await client.get("/api/workflow-steps")).json())["items"]
    aftersales = next(w for w in items if w["category"] == "aftersales")
    assert (aftersales["key"], aftersales["name"]) == ("aftersales_repair", "售后报修")
    assert {"id": "repair", "name": "上门维修", "contractor": False} in aftersales["steps"]
    assert {"code": "as_return", "name": "退换货"} in aftersales["subcategories"]
    page = await (await client.get("/admin/message-templates")).text()
    assert '<select name="category" required>' in page and '<select name="node" required>' in page


async def test_a_category_on_another_categorys_workflow_may_have_its_own_templates(client):
    """协调单 runs on 故障报修's workflow and 用户信息查询 on 信息咨询's: each may have templates of
    its own (they come before the workflow's category's), at that workflow's steps; the page
    offers them among the categories."""
    admin = await login(client, "9001")
    items = (await (await client.get("/api/workflow-steps")).json())["items"]
    fault = next(w for w in items if w["key"] == "fault_repair")
    consult = next(w for w in items if w["key"] == "consult")
    assert {"code": "coordination", "name": "协调单"} in fault["categories"]
    assert {"code": "query", "name": "用户信息查询"} in consult["categories"]
    assert all(c["code"] != w["category"] for w in items for c in w["categories"])
    step = consult["steps"][-1]["id"]
    for category, node in (("coordination", "confirm"), ("query", step)):
        status, body = await _send(
            client,
            "/api/message-templates",
            admin,
            {
                "name": f"{category}短信",
                "category": category,
                "node": node,
                "channel": "sms",
                "body": "【95598】工单{{ order.number }}",
            },
        )
        assert status == 201, body
        assert (body["category"], body["node"]) == (category, node)
    status, body = await _send(
        client,
        "/api/message-templates",
        admin,
        {"name": "协调单短信", "category": "coordination", "node": "nowhere", "channel": "sms", "body": "hi"},
    )
    assert body["details"]["problems"] == {"node": "field_unknown_step"}
