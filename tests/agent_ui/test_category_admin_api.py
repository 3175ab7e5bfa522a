"""业务类别 in the console: admins create, rename, 停用 / 启用 business categories (业务大类别 /
小类别), attach a top category to an enabled workflow (one already serving other categories only
once confirmed) and set its visit-back (回访) dimensions; agents, team leaders and handlers are
refused; bad input is refused naming each field in Chinese and nothing is stored; every change is
an audit row. The QA defect: an imported workflow showed 未挂接业务类别 with no way to attach it."""

from __future__ import annotations

import yaml
from sqlalchemy import select

from tests.agent_ui.conftest import Session, login, sign_in
from ticketing.models import AuditLog, Category, SurveyDimension, WorkOrder
from ticketing.surveys import dimensions_for, order_dimensions

BILLING = {
    "key": "billing_dispute",
    "name": "电费争议",
    "category": "billing_dispute",
    "number_pattern": "DF{yyyyMMdd}{seq:05}",
    "fields": {"争议内容": {"type": "textarea"}, "答复内容": {"type": "textarea"}},
    "nodes": [
        {
            "id": "accept",
            "type": "create",
            "name": "受理",
            "status": "已受理",
            "fields": {"争议内容": "required", "答复内容": "required"},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive", "name": "处理完毕", "status": "处理完毕"},
    ],
}
DIMS = [
    {
        "name": "服务态度",
        "options": [{"label": "满意", "satisfied": True}, {"label": "不满意", "satisfied": False}],
    },
    {
        "name": "答复质量",
        "options": [{"label": "清楚", "satisfied": True}, {"label": "不清楚", "satisfied": False}],
    },
]


async def _audit(world, *actions):
    async with world.services.sessionmaker() as db:
        rows = await db.scalars(select(AuditLog).where(AuditLog.action.in_(actions)).order_by(AuditLog.id))
        return list(rows)


async def _codes(world) -> set[str]:
    async with world.services.sessionmaker() as db:
        return set(await db.scalars(select(Category.code)))


async def _imported(admin: Session) -> None:
    source = yaml.safe_dump(BILLING, allow_unicode=True, sort_keys=False)
    status, body = await admin.call("POST", "/api/workflows", {"source": source})
    assert status == 201, body


async def _intake(who: Session) -> dict[str, dict]:
    status, body = await who.call("GET", "/api/intake")
    assert status == 200, body
    return {c["code"]: c for c in body["categories"]}


async def test_agents_team_leaders_and_handlers_are_refused(client, world):
    before = await _codes(world)
    for staff_no in ("1001", "3001", "2001"):
        token = await login(client, staff_no)
        assert (await client.get("/admin/categories", allow_redirects=False)).status == 403
        resp = await client.get("/api/admin/categories")
        assert (resp.status, (await resp.json())["error_id"]) == (403, "role.forbidden")
        who = Session(client, token)
        for method, path, body in (
            ("POST", "/api/admin/categories", {"code": "x1", "name": "越权"}),
            ("PATCH", "/api/admin/categories/1", {"name": "越权"}),
            ("PATCH", "/api/admin/categories/1", {"enabled": False}),
            ("PUT", "/api/admin/categories/1/survey", {"dimensions": DIMS}),
        ):
            status, answer = await who.call(method, path, body)
            assert (status, answer["error_id"]) == (403, "role.forbidden"), (staff_no, method, path)
        await client.delete("/api/session", headers={"X-CSRF-Token": token})
    assert await _codes(world) == before
    assert (
        await _audit(world, "category.create", "category.update", "category.disable", "category.survey") == []
    )
    await login(client, "9001")
    resp = await client.post("/api/admin/categories", json={"code": "x1", "name": "无令牌"})  # no CSRF
    assert (resp.status, (await resp.json())["error_id"]) == (403, "csrf.invalid")
    page = await client.get("/admin/categories")
    html = await page.text()
    assert page.status == 200 and "业务类别" in html and 'href="/admin/categories"' in html


async def test_an_imported_workflow_is_attached_to_a_new_category_and_offered_at_intake(
    client, world, aiohttp_client
):
    admin = await Session.signed_in(client, "9001")
    agent = await sign_in(aiohttp_client, client, "1001")
    await _imported(admin)
    flows = {w["key"]: w for w in (await admin.call("GET", "/api/workflows"))[1]["items"]}
    assert flows["billing_dispute"]["categories"] == []  # 未挂接业务类别: the defect's starting point
    assert "billing" not in await _intake(agent)

    status, listed = await admin.call("GET", "/api/admin/categories")
    choice = next(w for w in listed["workflows"] if w["key"] == "billing_dispute")
    assert choice == {"key": "billing_dispute", "name": "电费争议", "enabled": True, "categories": []}
    consult = next(w for w in listed["workflows"] if w["key"] == "consult")
    assert consult["categories"] == ["用户信息查询", "信息咨询"]

    status, top = await admin.call(
        "POST",
        "/api/admin/categories",
        {"code": "billing", "name": "电费争议", "workflow_key": "billing_dispute"},
    )
    assert status == 201, top
    assert top["workflow_key"] == "billing_dispute" and top["workflow_name"] == "电费争议" and top["enabled"]
    status, sub = await admin.call(
        "POST", "/api/admin/categories", {"code": "billing_meter", "name": "表计争议", "parent_id": top["id"]}
    )
    assert status == 201 and sub["workflow_key"] == "billing_dispute" and sub["parent_id"] == top["id"]

    flows = {w["key"]: w for w in (await admin.call("GET", "/api/workflows"))[1]["items"]}
    assert flows["billing_dispute"]["categories"] == ["电费争议"]
    offered = (await _intake(agent))["billing"]
    assert offered["workflow"] == "billing_dispute" and offered["name"] == "电费争议"
    assert [s["code"] for s in offered["subcategories"]] == ["billing_meter"]
    status, order = await agent.call(
        "POST",
        "/api/orders",
        {
            "workflow": "billing_dispute",
            "category": "billing",
            "subcategory": "billing_meter",
            "form": {"争议内容": "电表走得快", "答复内容": "已安排校验"},
        },
    )
    assert status == 201, order

    created = await _audit(world, "category.create")
    assert [(a.entity, a.entity_id, a.user_id) for a in created] == [
        ("category", str(top["id"]), world.people["9001"]),
        ("category", str(sub["id"]), world.people["9001"]),
    ]
    assert created[0].after["workflow_key"] == "billing_dispute"
    listed = {c["code"]: c for c in (await admin.call("GET", "/api/admin/categories"))[1]["items"]}
    assert listed["billing"]["orders"] == 1 and listed["billing_meter"]["orders"] == 1


async def test_a_workflow_serving_other_categories_is_attached_only_once_confirmed(client, world):
    admin = await Session.signed_in(client, "9001")
    status, top = await admin.call("POST", "/api/admin/categories", {"code": "tariff", "name": "电价咨询"})
    assert status == 201 and top["workflow_key"] == ""  # 未挂接: not offered yet
    status, body = await admin.call(
        "PATCH", f"/api/admin/categories/{top['id']}", {"workflow_key": "consult"}
    )
    assert (status, body["error_id"]) == (409, "category_workflow_shared")
    assert body["details"]["categories"] == ["用户信息查询", "信息咨询"]
    assert "用户信息查询、信息咨询" in body["message"] and "确定" in body["message"]
    async with world.services.sessionmaker() as db:
        assert (await db.get(Category, top["id"])).workflow_key == ""
    status, body = await admin.call(
        "PATCH", f"/api/admin/categories/{top['id']}", {"workflow_key": "consult", "confirm": True}
    )
    assert status == 200 and body["workflow_key"] == "consult", body
    attached = await _audit(world, "category.attach")
    assert [(a.before["workflow_key"], a.after["workflow_key"]) for a in attached] == [("", "consult")]

    # only an enabled workflow: one whose every version is 停用 is refused, as is an unknown one
    status, body = await admin.call("POST", "/api/workflows/complaint/1/disable", {"confirm": True})
    assert status == 200, body
    status, body = await admin.call(
        "PATCH", f"/api/admin/categories/{top['id']}", {"workflow_key": "complaint"}
    )
    assert (status, body["details"]["problems"]) == (422, {"workflow_key": "field_workflow_disabled"})
    assert "流程（该流程没有启用的版本" in body["message"]
    status, body = await admin.call("PATCH", f"/api/admin/categories/{top['id']}", {"workflow_key": "nope"})
    assert body["details"]["problems"] == {"workflow_key": "field_unknown_workflow"}
    async with world.services.sessionmaker() as db:
        assert (await db.get(Category, top["id"])).workflow_key == "consult"


async def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(client, world):
    admin = await Session.signed_in(client, "9001")
    before = await _codes(world)
    async with world.services.sessionmaker() as db:
        fault = await db.scalar(select(Category).where(Category.code == "fault"))
        meter = await db.scalar(select(Category).where(Category.code == "fault_meter"))
    status, body = await admin.call(
        "POST", "/api/admin/categories", {"code": "电费", "name": "  ", "parent_id": 99999, "site_id": "x"}
    )
    assert (status, body["error_id"]) == (422, "invalid_fields")
    assert body["details"]["problems"] == {
        "code": "field_bad_category_code",
        "name": "field_required",
        "parent_id": "field_unknown_category_parent",
        "site_id": "field_not_number",
    }
    assert "编码（编码须为" in body["message"] and "名称（必填）" in body["message"]
    status, body = await admin.call("POST", "/api/admin/categories", {"code": "fault", "name": "重复"})
    assert body["details"]["problems"] == {"code": "field_duplicate"}
    status, body = await admin.call(
        "POST", "/api/admin/categories", {"code": "deep", "name": "三级", "parent_id": meter.id}
    )
    assert body["details"]["problems"] == {"parent_id": "field_category_too_deep"}
    status, body = await admin.call(
        "POST",
        "/api/admin/categories",
        {"code": "fault_x", "name": "小类别挂流程", "parent_id": fault.id, "workflow_key": "consult"},
    )
    assert body["details"]["problems"] == {"workflow_key": "field_subcategory_workflow"}
    assert "小类别沿用所属大类别的流程" in body["message"]
    status, body = await admin.call("PATCH", f"/api/admin/categories/{meter.id}", {"workflow_key": "consult"})
    assert body["details"]["problems"] == {"workflow_key": "field_subcategory_workflow"}
    status, body = await admin.call("PATCH", f"/api/admin/categories/{meter.id}", {"workflow_key": ""})
    assert status == 200 and body["workflow_key"] == "fault_repair"  # "" on a 小类别: nothing to detach
    assert await _codes(world) == before

    status, body = await admin.call(
        "PATCH", f"/api/admin/categories/{fault.id}", {"code": "fault2", "name": ""}
    )
    assert body["details"]["problems"] == {"code": "field_category_code_fixed", "name": "field_required"}
    status, body = await admin.call("PATCH", f"/api/admin/categories/{fault.id}", {"enabled": "no"})
    assert body["details"]["problems"] == {"enabled": "field_not_boolean"}
    status, body = await admin.call("PATCH", "/api/admin/categories/99999", {"name": "无"})
    assert (status, body["error_id"]) == (404, "not_found")
    async with world.services.sessionmaker() as db:
        again = await db.get(Category, fault.id)
        assert (again.code, again.name, again.enabled) == ("fault", "故障报修", True)
    assert await _audit(world, "category.create", "category.disable", "category.attach") == []


async def test_rename_disable_and_enable_are_audited_and_orders_stay(client, world, aiohttp_client):
    admin = await Session.signed_in(client, "9001")
    agent = await sign_in(aiohttp_client, client, "1001")
    status, order = await agent.call(
        "POST",
        "/api/orders",
        {"workflow": "consult", "category": "consult", "form": {"咨询内容": "电价", "答复内容": "已答"}},
    )
    assert status == 201, order
    async with world.services.sessionmaker() as db:
        consult = await db.scalar(select(Category).where(Category.code == "consult"))
    status, body = await admin.call("PATCH", f"/api/admin/categories/{consult.id}", {"name": "政策咨询"})
    assert status == 200 and body["name"] == "政策咨询" and body["orders"] == 1
    assert (await _intake(agent))["consult"]["name"] == "政策咨询"
    status, body = await admin.call("PATCH", f"/api/admin/categories/{consult.id}", {"enabled": False})
    assert status == 200 and body["enabled"] is False
    assert "consult" not in await _intake(agent)
    status, seen = await agent.call("GET", f"/api/orders/{order['id']}")
    assert status == 200  # its order stays, workable
    # enabling again a category on a shared workflow needs the same confirmation as attaching
    status, body = await admin.call("PATCH", f"/api/admin/categories/{consult.id}", {"enabled": True})
    assert (status, body["error_id"]) == (409, "category_workflow_shared")
    status, body = await admin.call(
        "PATCH", f"/api/admin/categories/{consult.id}", {"enabled": True, "confirm": True}
    )
    assert status == 200 and body["enabled"] is True
    assert "consult" in await _intake(agent)
    rows = await _audit(world, "category.update", "category.disable", "category.enable")
    assert [(a.action, a.before.get("name"), a.after.get("name"), a.after["enabled"]) for a in rows] == [
        ("category.update", "信息咨询", "政策咨询", True),
        ("category.disable", "政策咨询", "政策咨询", False),
        ("category.enable", "政策咨询", "政策咨询", True),
    ]
    async with world.services.sessionmaker() as db:
        assert await db.get(WorkOrder, order["id"]) is not None
        assert await db.get(Category, consult.id) is not None  # never deleted


async def test_visit_back_dimensions_are_set_on_a_top_category(client, world, aiohttp_client):
    admin = await Session.signed_in(client, "9001")
    agent = await sign_in(aiohttp_client, client, "1001")
    await _imported(admin)
    status, top = await admin.call(
        "POST",
        "/api/admin/categories",
        {"code": "billing", "name": "电费争议", "workflow_key": "billing_dispute"},
    )
    status, sub = await admin.call(
        "POST", "/api/admin/categories", {"code": "billing_meter", "name": "表计争议", "parent_id": top["id"]}
    )
    assert top["dimensions"] == [] and "dimensions" not in sub and "dimensions_from" not in top
    listed = {c["code"]: c for c in (await admin.call("GET", "/api/admin/categories"))[1]["items"]}
    # 协调单 has none of its own: it is visited back with its workflow's category's (故障报修)
    assert (
        listed["coordination"]["dimensions"] == [] and listed["coordination"]["dimensions_from"] == "故障报修"
    )
    assert (
        [d["name"] for d in listed["coordination"]["inherited_dimensions"]]
        == [d["name"] for d in listed["fault"]["dimensions"]]
        == ["服务技能", "服务礼仪", "抢修时效", "综合评价"]
    )
    bad = [
        DIMS[0],
        {
            "name": "答复质量",
            "options": [{"label": "好", "satisfied": True}, {"label": "很好", "satisfied": True}],
        },
    ]
    status, body = await admin.call("PUT", f"/api/admin/categories/{top['id']}/survey", {"dimensions": bad})
    assert (status, body["details"]["problems"]) == (422, {"dimensions": "field_dimension_no_dissatisfied"})
    assert "回访评价项目第 2 行（须至少一个满意选项和一个不满意选项" in body["message"]
    twice = [DIMS[0], DIMS[0]]
    status, body = await admin.call("PUT", f"/api/admin/categories/{top['id']}/survey", {"dimensions": twice})
    assert body["details"]["problems"] == {"dimensions": "field_dimension_duplicate"}
    status, body = await admin.call("PUT", f"/api/admin/categories/{sub['id']}/survey", {"dimensions": DIMS})
    assert (status, body["error_id"]) == (409, "category_survey_top_only")
    async with world.services.sessionmaker() as db:
        assert (
            list(await db.scalars(select(SurveyDimension).where(SurveyDimension.category == "billing"))) == []
        )

    status, body = await admin.call("PUT", f"/api/admin/categories/{top['id']}/survey", {"dimensions": DIMS})
    assert status == 200 and body["dimensions"] == DIMS
    status, order = await agent.call(
        "POST",
        "/api/orders",
        {
            "workflow": "billing_dispute",
            "category": "billing",
            "subcategory": sub["code"],
            "form": {"争议内容": "a", "答复内容": "b"},
        },
    )
    async with world.services.sessionmaker() as db:
        row = await db.get(WorkOrder, order["id"])
        assert [d.name for d in await order_dimensions(db, row)] == ["服务态度", "答复质量"]
    # saving a smaller set replaces it; the audit row keeps both
    status, body = await admin.call(
        "PUT", f"/api/admin/categories/{top['id']}/survey", {"dimensions": DIMS[:1]}
    )
    assert body["dimensions"] == DIMS[:1]
    rows = await _audit(world, "category.survey")
    assert [len(a.after["dimensions"]) for a in rows] == [2, 1]
    assert rows[1].before["dimensions"] == DIMS and rows[1].user_id == world.people["9001"]


async def test_a_site_may_have_dimensions_of_its_own(client, world):
    admin = await Session.signed_in(client, "9001")
    async with world.services.sessionmaker() as db:
        fault = await db.scalar(select(Category).where(Category.code == "fault"))
    listed = {c["code"]: c for c in (await admin.call("GET", "/api/admin/categories"))[1]["items"]}
    hd = next(
        s["id"] for s in (await admin.call("GET", "/api/admin/categories"))[1]["sites"] if s["code"] == "HD"
    )
    shared = listed["fault"]["dimensions"]
    assert listed["fault"]["site_dimensions"] == []
    path = f"/api/admin/categories/{fault.id}/survey"
    status, body = await admin.call("PUT", path, {"dimensions": DIMS, "site_id": 99999})
    assert (status, body["details"]["problems"]) == (422, {"site_id": "field_unknown_site"})
    status, body = await admin.call("PUT", path, {"dimensions": DIMS, "site": hd})
    assert (status, body["error_id"]) == (400, "request.invalid")
    status, body = await admin.call("PUT", path, {"dimensions": DIMS, "site_id": hd})
    assert status == 200, body
    assert body["dimensions"] == shared  # the default set is kept
    assert body["site_dimensions"] == [{"site_id": hd, "dimensions": DIMS}]
    async with world.services.sessionmaker() as db:
        assert [d.name for d in await dimensions_for(db, hd, "fault")] == ["服务态度", "答复质量"]
        assert [d.name for d in await dimensions_for(db, None, "fault")] == [d["name"] for d in shared]
    (row,) = await _audit(world, "category.survey")
    assert (row.before["site_id"], row.before["dimensions"], row.after["dimensions"]) == (hd, [], DIMS)
