"""外委单位 and 打印 in the console: the contractor register and print templates (admins only,
CSRF on writes, refusals naming the field), a step dispatched to a contractor whose reply a
handler records, the list and report filters, and the order's print page."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.customers import create_customer
from ticketing.models import AuditLog, Site
from ticketing.workflow.store import import_definition

FLOW = {
    "key": "outsourced_ui",
    "name": "外委维修",
    "category": "outsourced",
    "fields": {
        "外委单位": {"type": "contractor"},
        "故障地址": {"type": "text"},
        "所属供电局": {"type": "site"},
    },
    "nodes": [
        {
            "id": "start",
            "type": "create",
            "fields": {"外委单位": "required", "故障地址": "editable", "所属供电局": "editable"},
            "exits": [{"to": "outsource"}],
        },
        {
            "id": "outsource",
            "name": "外委处理",
            "type": "realize",
            "contractor": {"field": "外委单位", "channels": ["sms"]},
            "operators": {"batches": [[{"user": "2001"}]]},
            "fields": {"外委单位": "visible"},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive"},
    ],
}


async def _setup(world, customer_name: str = "张三") -> dict:
    async with world.services.sessionmaker.begin() as db:
        await import_definition(db, FLOW)
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        customer = await create_customer(db, "9900000001", customer_name, phones=["13912340000"])
    return {"HD": hd.id, "customer": customer.id}


async def _post(client, path, token, body=None, method="POST"):
    resp = await client.request(method, path, json=body or {}, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_only_admins_change_the_register_with_csrf_and_refusals_name_the_field(client, world):
    agent = await login(client, "1001")
    status, body = await _post(client, "/api/contractors", agent, {"name": "粤电工程"})
    assert (status, body["error_id"]) == (403, "role.forbidden")
    assert (await client.get("/api/contractors")).status == 200  # agents pick from it
    assert (await client.get("/admin/contractors", allow_redirects=False)).status == 403

    admin = await login(client, "9001")
    resp = await client.post("/api/contractors", json={"name": "粤电工程"})
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"
    status, body = await _post(
        client, "/api/contractors", admin, {"name": "", "email": "nope", "phones": "13800001111"}
    )
    assert status == 422 and body["error_id"] == "invalid_fields"
    assert body["details"]["problems"] == {"name": "field_required", "email": "field_bad_email"}
    assert "名称（必填）" in body["message"] and "邮箱（邮箱格式有误）" in body["message"]

    status, made = await _post(
        client,
        "/api/contractors",
        admin,
        {"name": "粤电工程", "phones": "13800001111, 020-88886666", "categories": "fault, nosuchcat"},
    )
    assert status == 422 and made["details"]["problems"] == {"categories": "field_unknown_category"}
    assert "服务类别（类别没有流程）" in made["message"]
    status, made = await _post(
        client,
        "/api/contractors",
        admin,
        {"name": "粤电工程", "phones": "13800001111, 020-88886666", "categories": ["fault"]},
    )
    assert status == 201 and made["phones"] == ["13800001111", "02088886666"] and made["active"] is True
    status, edited = await _post(
        client, f"/api/contractors/{made['id']}", admin, {"contact_person": "陈经理"}, "PATCH"
    )
    assert status == 200 and edited["contact_person"] == "陈经理"
    status, off = await _post(client, f"/api/contractors/{made['id']}/disable", admin)
    assert status == 200 and off["active"] is False
    listed = await (await client.get("/api/contractors", params={"active": "1"})).json()
    assert listed["items"] == []
    status, _ = await _post(client, f"/api/contractors/{made['id']}", admin, method="DELETE")
    assert status == 200  # never dispatched to: it may go
    page = await client.get("/admin/contractors")
    assert page.status == 200 and "外委单位" in await page.text()


async def test_a_dispatched_step_takes_the_contractors_reply_then_closes(client, world):
    ids = await _setup(world)
    admin = await login(client, "9001")
    _, company = await _post(
        client, "/api/contractors", admin, {"name": "粤电工程", "phones": ["13800001111"]}
    )

    agent = await login(client, "1001")
    status, order = await _post(
        client,
        "/api/orders",
        agent,
        {
            "workflow": "outsourced_ui",
            "site_id": ids["HD"],
            "form": {"外委单位": company["id"], "故障地址": "海淀路 1 号"},
        },
    )
    assert status == 201, order
    assert order["node"]["id"] == "outsource"
    assert (
        order["contractor"]["contractor"]["name"] == "粤电工程" and order["contractor"]["state"] == "pending"
    )
    assert order["contractor"]["dispatched_by"] == "王坐席"
    status, body = await _post(
        client, f"/api/orders/{order['id']}/contractor-reply", agent, {"reply": "已修好"}
    )
    assert (status, body["error_id"]) == (409, "not_your_step")

    handler = await login(client, "2001")
    status, body = await _post(client, f"/api/orders/{order['id']}/submit", handler)
    assert (status, body["error_id"]) == (409, "contractor_reply_missing")
    status, body = await _post(
        client, f"/api/orders/{order['id']}/contractor-reply", handler, {"reply": "", "result": "done"}
    )
    assert status == 422 and body["details"]["problems"] == {"reply": "field_required"}
    resp = await client.post(f"/api/orders/{order['id']}/contractor-reply", json={"reply": "x"})
    assert (await resp.json())["error_id"] == "csrf.invalid"
    status, view = await _post(
        client,
        f"/api/orders/{order['id']}/contractor-reply",
        handler,
        {"reply": "已更换开关", "result": "done"},
    )
    assert status == 200 and view["contractor"]["state"] == "replied"
    assert view["contractor"]["replied_by"] == "李抢修" and view["contractor"]["reply"] == "已更换开关"
    assert {e.get("action") for e in view["timeline"]} >= {"dispatch_contractor", "contractor_reply"}
    status, view = await _post(client, f"/api/orders/{order['id']}/submit", handler, {"opinion": "外委完成"})
    assert status == 200 and view["is_open"] is False

    found = await (await client.get("/api/orders", params={"contractor": company["id"]})).json()
    assert [o["number"] for o in found["items"]] == [order["number"]]
    none = await (await client.get("/api/orders", params={"contractor": company["id"] + 1})).json()
    assert none["items"] == []
    async with world.services.sessionmaker() as db:
        actors = dict(
            (
                await db.execute(
                    select(AuditLog.action, AuditLog.actor).where(
                        AuditLog.action.in_(("order.dispatch_contractor", "order.contractor_reply"))
                    )
                )
            ).all()
        )
    assert actors == {"order.dispatch_contractor": "1001", "order.contractor_reply": "2001"}

    await login(client, "3001")  # a team leader's report
    report = await (await client.get("/api/reports/contractors", params={"contractor": company["id"]})).json()
    assert report["rows"][0][:4] == ["粤电工程", 1, 1, 0]
    status_report = await (
        await client.get("/api/reports/orders_by_status", params={"contractor": company["id"]})
    ).json()
    assert status_report["rows"] == [[view["status"], 1]]


async def test_a_dispatch_offers_only_the_contractors_serving_the_orders_category_and_area(client, world):
    ids = await _setup(world)
    admin = await login(client, "9001")
    made = {}
    for name, values in (
        ("海淀外委", {"site_id": ids["HD"]}),
        ("全市外委", {}),
        ("报修外委", {"categories": ["fault"]}),  # serves fault reports, not outsourced orders
    ):
        status, body = await _post(client, "/api/contractors", admin, {"name": name, **values})
        assert status == 201, body
        made[name] = body["id"]

    agent = await login(client, "1001")  # an agent of HQ: intake puts an order at the agent's site
    register = await (await client.get("/api/contractors", params={"active": "1"})).json()
    assert len(register["items"]) == 3  # the register is not narrowed

    async def offered(**params) -> list[str]:
        resp = await client.get("/api/contractors", params=params)
        assert resp.status == 200, await resp.text()
        return sorted(c["name"] for c in (await resp.json())["items"])

    assert await offered(workflow="outsourced_ui") == ["全市外委"]  # HQ is above 海淀's area
    assert await offered(workflow="outsourced_ui", form='{"所属供电局": "HD"}') == ["全市外委", "海淀外委"]

    status, order = await _post(
        client,
        "/api/orders",
        agent,
        {"workflow": "outsourced_ui", "form": {"外委单位": made["海淀外委"], "故障地址": "总部大楼"}},
    )
    assert (status, order["error_id"]) == (422, "invalid_fields")
    assert order["details"]["problems"] == {"外委单位": "contractor_out_of_area"}
    assert "不在该外委单位的服务区域内" in order["message"]
    status, order = await _post(
        client,
        "/api/orders",
        agent,
        {"workflow": "outsourced_ui", "form": {"外委单位": made["海淀外委"], "所属供电局": "HD"}},
    )
    assert status == 201, order
    assert await offered(order=str(order["id"])) == ["全市外委", "海淀外委"]
    assert await offered(order=order["number"]) == ["全市外委", "海淀外委"]

    resp = await client.get("/api/contractors", params={"workflow": "outsourced_ui", "form": "[1"})
    assert resp.status == 400 and (await resp.json())["error_id"] == "request.invalid"
    resp = await client.get("/api/contractors", params={"order": "NO-SUCH-ORDER"})
    assert resp.status == 404
    resp = await client.get("/api/contractors", params={"workflow": "no_such_flow"})
    assert resp.status == 404


async def test_the_print_page_escapes_the_order_and_uses_the_steps_template(client, world):
    ids = await _setup(world, customer_name="<script>alert(1)</script>")
    admin = await login(client, "9001")
    _, company = await _post(client, "/api/contractors", admin, {"name": "粤电工程"})
    agent = await login(client, "1001")
    _, order = await _post(
        client,
        "/api/orders",
        agent,
        {
            "workflow": "outsourced_ui",
            "site_id": ids["HD"],
            "customer_id": ids["customer"],
            "form": {"外委单位": company["id"]},
        },
    )
    assert order["print_url"] == f"/orders/{order['id']}/print"
    page = await client.get(order["print_url"])
    html = await page.text()
    assert page.status == 200 and order["number"] in html and "@media print" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "粤电工程" in html  # the contractor field shows its name

    status, body = await _post(
        client,
        "/api/print-templates",
        agent,
        {"name": "派工单", "workflow_key": "outsourced_ui", "body": "x"},
    )
    assert (status, body["error_id"]) == (403, "role.forbidden")
    admin = await login(client, "9001")
    status, body = await _post(
        client,
        "/api/print-templates",
        admin,
        {"name": "越界", "workflow_key": "outsourced_ui", "body": "{{ order.__class__.__mro__ }}"},
    )
    assert status == 422 and body["details"]["problems"] == {"body": "template_unsafe"}
    status, made = await _post(
        client,
        "/api/print-templates",
        admin,
        {
            "name": "外委派工单",
            "workflow_key": "outsourced_ui",
            "node": "outsource",
            "body": "<h1>派工单 {{ order.number }}</h1><p>{{ customer.name }}</p><p>{{ contractor.name }}</p>",
        },
    )
    assert status == 201, made
    status, _ = await _post(
        client, f"/api/print-templates/{made['id']}", admin, {"name": "外委派工单(新)"}, "PATCH"
    )
    assert status == 200
    html = await (await client.get(order["print_url"])).text()
    assert f"<h1>派工单 {order['number']}</h1>" in html and "外委派工单(新)" in html
    assert "&lt;script&gt;" in html and "<p>粤电工程</p>" in html
    listed = await (await client.get("/api/print-templates")).json()
    assert [t["name"] for t in listed["items"]] == ["外委派工单(新)"]
    async with world.services.sessionmaker() as db:
        actions = list(await db.scalars(select(AuditLog.action).where(AuditLog.entity == "print_template")))
    assert actions == ["print_template.create", "print_template.update"]
    assert (await client.get("/admin/print-templates")).status == 200


async def test_the_print_page_needs_a_signed_in_user_who_may_see_the_order(client, world):
    resp = await client.get("/orders/1/print", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/login")


async def test_the_printed_order_names_its_site_and_says_yes_or_no_in_the_pages_language(client, world):
    agent = await login(client, "1001")
    status, order = await _post(
        client,
        "/api/orders",
        agent,
        {
            "workflow": "fault_repair",
            "subcategory": "fault_lv",
            "form": {"故障地址": "海淀路 2 号", "所属供电局": "HD", "需要回复客户": True},
        },
    )
    assert status == 201, order
    html = await (await client.get(order["print_url"])).text()
    assert "<td>海淀供电局</td>" in html and "<td>HD</td>" not in html
    assert "<td>是</td>" in html and "<td>否</td>" in html  # 需要回复客户 ticked, 大面积停电 not
    await client.post("/lang", data={"_csrf": agent, "lang": "en", "next": "/"})
    html = await (await client.get(order["print_url"])).text()
    assert "<td>Yes</td>" in html and "<td>No</td>" in html
