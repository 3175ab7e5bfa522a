"""流程配置 in the console: admins only, CSRF on writes; the seeded workflows are listed with their
versions; an exported, edited and re-imported definition becomes the next version and the one new
orders start on; a broken one is refused naming every problem and nothing is stored; 停用 / 启用
choose the version new orders use; every change is an audit row."""

from __future__ import annotations

import yaml
from sqlalchemy import event, func, insert, select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import login
from ticketing.models import AuditLog, WorkflowDefinition, WorkOrder
from ticketing.seed import WORKFLOWS
from ticketing.workflow import store

CONSULT_FORM = {"咨询内容": "电价怎么算", "答复内容": "已答复"}


async def _post(client, path, token, body=None):
    resp = await client.post(path, json=body if body is not None else {}, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def _stored(world) -> list[tuple[str, int]]:
    async with world.services.sessionmaker() as db:
        rows = await db.execute(
            select(WorkflowDefinition.key, WorkflowDefinition.version).order_by(WorkflowDefinition.id)
        )
        return [tuple(r) for r in rows]


async def _latest(world, key: str) -> int:
    async with world.services.sessionmaker() as db:
        return (await store.latest(db, key)).version


async def _consult_renamed(client, name: str) -> str:
    """consult v1 as exported, with another name."""
    data = yaml.safe_load(await (await client.get("/api/workflows/consult/1/export")).text())
    data["name"] = name
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def test_only_admins_see_the_page_and_the_api(client, aiohttp_client):
    agent = await login(client, "1001")
    assert (await client.get("/admin/workflows", allow_redirects=False)).status == 403
    for path in ("/api/workflows", "/api/workflows/consult/1", "/api/workflows/consult/1/export"):
        resp = await client.get(path)
        assert (resp.status, (await resp.json())["error_id"]) == (403, "role.forbidden"), path
    for path in ("/api/workflows", "/api/workflows/consult/1/disable", "/api/workflows/consult/1/enable"):
        status, body = await _post(client, path, agent, {"source": "key: x"})
        assert (status, body["error_id"]) == (403, "role.forbidden"), path

    admin = await aiohttp_client(client.server)
    await login(admin, "9001")
    resp = await admin.post("/api/workflows/consult/1/disable")  # no CSRF token
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"
    page = await admin.get("/admin/workflows")
    html = await page.text()
    assert page.status == 200
    assert "工单流程" in html and "/static/js/admin_workflows.js" in html
    # the definition reference, readable by the admin who has no checkout (was: "see docs/workflows.md")
    assert 'href="/admin/workflows/reference"' in html and "docs/workflows.md" not in html
    reference = await admin.get("/admin/workflows/reference")
    assert (reference.status, reference.content_type) == (200, "text/html")
    assert "<h1>流程定义参考</h1>" in await reference.text()  # test_workflow_reference_page.py
    assert (await client.get("/admin/workflows/reference", allow_redirects=False)).status == 403
    nav = html[html.index('<nav class="nav"') : html.index("</nav>")]
    assert 'href="/admin/workflows" aria-current="page">流程配置</a>' in nav


async def test_the_list_shows_the_seeded_workflows_and_a_version_its_steps(client):
    await login(client, "9001")
    items = (await (await client.get("/api/workflows")).json())["items"]
    listed = {w["key"]: w for w in items}
    assert set(listed) == set(WORKFLOWS)
    consult = listed["consult"]
    assert (consult["name"], consult["category"], consult["current"]) == ("信息咨询", "consult", 1)
    assert "信息咨询" in consult["categories"]
    [v1] = consult["versions"]
    assert (v1["version"], v1["enabled"], v1["open_orders"]) == (1, True, 0)
    assert v1["created_at"]

    detail = await (await client.get("/api/workflows/fault_repair/1")).json()
    assert (detail["key"], detail["name"], detail["current"]) == ("fault_repair", "故障报修", 1)
    assert detail["number_pattern"] == "GZ{yyyyMMdd}{seq:05}" and detail["calendar"] == "24x7"
    steps = {s["id"]: s for s in detail["steps"]}
    assert (steps["accept"]["type"], steps["accept"]["status"], steps["accept"]["limit"]) == (
        "create",
        "已受理",
        None,
    )
    assert (steps["confirm"]["type"], steps["confirm"]["status"]) == (
        "approve",
        "已流转",
    )  # 接收确认: 批准 or 退单
    assert steps["confirm"]["limit"]["limit"] == "30m" and steps["confirm"]["limit"]["overrun"]
    assert steps["onsite"]["limit"]["calendar"] == "24x7"  # its own, as the seed writes it
    assert steps["dispatch"]["limit"] == {
        "limit": "1h",
        "calendar": "",  # the workflow's (24x7): the page labels it 1 小时（全天候）
        "by_field": "",
        "by_values": {},
        "reminders": 1,
        "overrun": True,
    }
    assert steps["accept"]["exits"] == [{"to": "confirm", "kind": "normal", "conditional": False}]
    assert "key: fault_repair" in detail["source"]
    assert {"name": "故障地址", "type": "text", "label": "故障地址"} in detail["fields"]
    complaint = await (await client.get("/api/workflows/complaint/1")).json()
    handle = next(s for s in complaint["steps"] if s["id"] == "handle")
    assert handle["limit"]["by_field"] and handle["limit"]["by_values"]  # 一般 1h, 重大 7d

    assert (await client.get("/api/workflows/consult/9")).status == 404
    assert (await client.get("/api/workflows/nosuch/1")).status == 404


async def test_an_imported_version_is_the_one_new_orders_start_on(client, world, aiohttp_client):
    admin = await login(client, "9001")
    source = await _consult_renamed(client, "信息咨询(第二版)")
    status, made = await _post(client, "/api/workflows", admin, {"source": source})
    assert status == 201, made
    assert (made["key"], made["version"], made["name"], made["current"]) == (
        "consult",
        2,
        "信息咨询(第二版)",
        2,
    )
    assert await _latest(world, "consult") == 2

    agent = await aiohttp_client(client.server)
    token = await login(agent, "1001")
    resp = await agent.post(
        "/api/orders",
        json={"workflow": "consult", "form": CONSULT_FORM, "submit": False},
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status in (200, 201), order
    async with world.services.sessionmaker() as db:
        row = await db.scalar(select(WorkOrder).where(WorkOrder.number == order["number"]))
        assert (row.workflow_key, row.workflow_version) == ("consult", 2)

    consult = next(
        w for w in (await (await client.get("/api/workflows")).json())["items"] if w["key"] == "consult"
    )
    assert consult["name"] == "信息咨询(第二版)" and consult["current"] == 2
    assert [(v["version"], v["open_orders"]) for v in consult["versions"]] == [(2, 1), (1, 0)]
    stored = await (await client.get("/api/workflows/consult/2/export")).text()
    assert stored == source  # the admin's text as typed

    async with world.services.sessionmaker() as db:
        audit = (
            await db.scalars(
                select(AuditLog).where(AuditLog.action == "workflow.import", AuditLog.actor == "9001")
            )
        ).all()
    assert [(a.entity, a.entity_id, a.after) for a in audit] == [
        ("workflow", str(made["id"]), {"key": "consult", "version": 2})
    ]


async def test_a_broken_definition_is_refused_naming_every_problem_and_nothing_is_stored(client, world):
    admin = await login(client, "9001")
    before = await _stored(world)
    consult = yaml.safe_load(await (await client.get("/api/workflows/consult/1/export")).text())

    no_create = dict(consult, nodes=[dict(consult["nodes"][0], type="realize"), consult["nodes"][1]])
    status, body = await _post(
        client, "/api/workflows", admin, {"source": yaml.safe_dump(no_create, allow_unicode=True)}
    )
    assert (status, body["error_id"]) == (422, "workflow_invalid")
    assert body["message"] == "流程定义有误，未导入。"
    ids = [p["id"] for p in body["details"]["problems"]]
    assert "no_create_node" in ids and "no_operators" in ids

    nowhere = dict(consult, nodes=[dict(consult["nodes"][0], exits=[{"to": "nowhere"}]), consult["nodes"][1]])
    status, body = await _post(
        client, "/api/workflows", admin, {"source": yaml.safe_dump(nowhere, allow_unicode=True)}
    )
    assert status == 422
    problems = {p["id"]: p["message"] for p in body["details"]["problems"]}
    assert "'nowhere'" in problems["unknown_exit_target"] and "'accept'" in problems["unknown_exit_target"]
    assert "'done'" in problems["unreachable_node"]

    status, body = await _post(client, "/api/workflows", admin, {"source": "key: consult\nnodes: [unclosed"})
    assert status == 422
    [problem] = body["details"]["problems"]
    assert problem["id"] == "yaml_syntax" and "line 2" in problem["message"]

    status, body = await _post(client, "/api/workflows", admin, {"source": "key: consult\nnodes: 5"})
    assert status == 422 and [p["id"] for p in body["details"]["problems"]] == ["bad_structure"]

    for bad_body in ({}, {"source": 5}, {"source": "   "}):
        status, body = await _post(client, "/api/workflows", admin, bad_body)
        assert (status, body["error_id"]) == (400, "request.invalid")

    assert await _stored(world) == before
    assert await _latest(world, "consult") == 1
    async with world.services.sessionmaker() as db:
        imports = await db.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "workflow.import", AuditLog.actor == "9001")
        )
    assert imports == 0


async def test_each_problem_says_where_it_is_so_the_editor_can_say_it_in_chinese(client, world):
    """QA F16: a permission on an unknown field, an unreachable step without operators and a bad
    duration came back as the engine's English sentences; each now names its step, field or
    value, and every id has its words."""
    admin = await login(client, "9001")
    consult = yaml.safe_load(await (await client.get("/api/workflows/consult/1/export")).text())
    accept, done = consult["nodes"]
    broken = dict(
        consult,
        number_pattern="ZX{yyyyMMdd}0{seq:04}",
        nodes=[
            dict(accept, fields={**accept["fields"], "不存在": "editable"}),
            {"id": "b", "type": "realize", "exits": [{"to": done["id"]}], "sla": {"limit": "5x"}},
            done,
        ],
    )
    status, body = await _post(
        client, "/api/workflows", admin, {"source": yaml.safe_dump(broken, allow_unicode=True)}
    )
    assert status == 422, body
    where = {
        p["id"]: {k: v for k, v in p.items() if k not in ("id", "message")}
        for p in body["details"]["problems"]
    }
    assert where == {
        "unknown_field": {"node": accept["id"], "field": "不存在"},
        "no_operators": {"node": "b"},
        "bad_duration": {"node": "b", "value": "5x"},
        "unreachable_node": {"node": "b"},
    }
    # the number pattern is checked once the definition itself is sound
    broken["nodes"] = [accept, done]
    status, body = await _post(
        client, "/api/workflows", admin, {"source": yaml.safe_dump(broken, allow_unicode=True)}
    )
    [problem] = body["details"]["problems"]
    assert (problem["id"], problem["value"], problem["workflow"], problem["version"]) == (
        "number_pattern_clash",
        "ZX{yyyyMMdd}{seq:05}",
        "consult",
        1,
    )
    status, body = await _post(client, "/api/workflows", admin, {"source": "key: consult\nnodes: [unclosed"})
    [problem] = body["details"]["problems"]
    assert (problem["id"], problem["line"], problem["column"]) == (
        "yaml_syntax",
        2,
        17,
    )  # the end of the text
    texts = Texts()
    for lang in ("zh-CN", "en"):
        for key in ("wf.problem_at_step", "wf.problem_at_field", "wf.problem_value", "wf.problem_at_line"):
            assert texts.get(lang, key) != key
    assert texts.get("zh-CN", "wf.problem_at_step", step="b") == "步骤「b」"


async def test_disable_and_enable_choose_the_version_new_orders_use(client, world):
    admin = await login(client, "9001")
    status, _ = await _post(
        client, "/api/workflows", admin, {"source": await _consult_renamed(client, "信息咨询 v2")}
    )
    assert status == 201

    status, body = await _post(client, "/api/workflows/consult/2/disable", admin)
    assert status == 200 and (body["version"], body["enabled"], body["current"]) == (2, False, 1)
    assert await _latest(world, "consult") == 1
    # the last enabled version: refused naming the intake categories it would take away, until confirmed
    offered = next(
        w for w in (await (await client.get("/api/workflows")).json())["items"] if w["key"] == "consult"
    )
    status, body = await _post(client, "/api/workflows/consult/1/disable", admin)
    assert (status, body["error_id"]) == (409, "workflow_in_intake"), body
    assert body["details"]["categories"] == offered["categories"] != []
    assert "、".join(offered["categories"]) in body["message"] and "{" not in body["message"]
    assert await _latest(world, "consult") == 1
    status, body = await _post(client, "/api/workflows/consult/1/disable", admin, {"confirm": "yes"})
    assert (status, body["error_id"]) == (400, "request.invalid")
    status, body = await _post(client, "/api/workflows/consult/1/disable", admin, {"confirm": True})
    assert status == 200 and body["current"] is None
    consult = next(
        w for w in (await (await client.get("/api/workflows")).json())["items"] if w["key"] == "consult"
    )
    assert consult["current"] is None and [v["enabled"] for v in consult["versions"]] == [False, False]

    status, body = await _post(client, "/api/workflows/consult/2/enable", admin)
    assert status == 200 and (body["enabled"], body["current"]) == (True, 2)
    assert await _latest(world, "consult") == 2
    status, body = await _post(client, "/api/workflows/consult/7/enable", admin)
    assert (status, body["error_id"]) == (404, "not_found")

    async with world.services.sessionmaker() as db:
        audit = (
            await db.scalars(
                select(AuditLog)
                .where(AuditLog.action.in_(["workflow.disable", "workflow.enable"]))
                .order_by(AuditLog.id)
            )
        ).all()
    assert [(a.action, a.actor, a.after["version"], a.after["enabled"]) for a in audit] == [
        ("workflow.disable", "9001", 2, False),
        ("workflow.disable", "9001", 1, False),
        ("workflow.enable", "9001", 2, True),
    ]


async def test_export_is_the_yaml_as_a_file(client):
    await login(client, "9001")
    resp = await client.get("/api/workflows/consult/1/export")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/yaml")
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="consult-v1.yaml"')
    data = yaml.safe_load(await resp.text())
    assert (data["key"], data["name"], [n["id"] for n in data["nodes"]]) == (
        "consult",
        "信息咨询",
        ["accept", "done"],
    )
    assert (await client.get("/api/workflows/consult/3/export")).status == 404


async def test_the_api_documents_the_workflow_routes_with_their_permission(client):
    await login(client, "9001")
    spec = await (await client.get("/api/openapi.json")).json()
    paths = spec["paths"]
    for path, method in [
        ("/api/workflows", "get"),
        ("/api/workflows", "post"),
        ("/api/workflows/{key}/{version}", "get"),
        ("/api/workflows/{key}/{version}/export", "get"),
        ("/api/workflows/{key}/{version}/disable", "post"),
        ("/api/workflows/{key}/{version}/enable", "post"),
    ]:
        assert paths[path][method]["x-permission"] == "config.admin", (path, method)
        assert paths[path][method]["x-roles"] == ["admin"]
    # the YAML, or the step editor's document
    assert paths["/api/workflows"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "oneOf"
    ] == [{"required": ["source"]}, {"required": ["document"]}]
    assert "text/yaml" in paths["/api/workflows/{key}/{version}/export"]["get"]["responses"]["200"]["content"]


async def test_two_admins_importing_the_same_workflow_at_once_are_told_to_reload_not_given_a_500(
    client, world
):
    admin = await login(client, "9001")
    source = await _consult_renamed(client, "信息咨询(第二版)")

    def the_other_admin_imports_first(_mapper, connection, target):
        # what another admin's import, committed between our max(version) and our insert, leaves
        values = {c: getattr(target, c) for c in ("key", "version", "name", "body", "source")}
        connection.execute(insert(WorkflowDefinition).values(values))

    event.listen(WorkflowDefinition, "before_insert", the_other_admin_imports_first, once=True)
    try:
        status, body = await _post(client, "/api/workflows", admin, {"source": source})
    finally:
        if event.contains(WorkflowDefinition, "before_insert", the_other_admin_imports_first):
            event.remove(WorkflowDefinition, "before_insert", the_other_admin_imports_first)
    assert (status, body["error_id"]) == (409, "workflow_conflict"), body
    assert body["message"] == Texts().error("zh-CN", "workflow_conflict") and "刷新" in body["message"]
    assert "reload" in Texts().error("en", "workflow_conflict").lower()
    assert body["details"] == {"key": "consult", "version": 2}
    # the refused import kept nothing (here the other admin's row went with it), and a retry is stored
    status, made = await _post(client, "/api/workflows", admin, {"source": source})
    assert (status, made["version"]) == (201, 2)


async def test_the_source_limit_is_256_kb_of_utf8_not_characters(client, world):
    admin = await login(client, "9001")
    before = await _stored(world)
    # 100,000 Chinese characters: under 256 K characters, but 300,000 bytes
    source = "key: consult\n# " + "流" * 100_000 + "\n"
    status, body = await _post(client, "/api/workflows", admin, {"source": source})
    assert (status, body["error_id"]) == (422, "workflow_invalid")
    assert [p["id"] for p in body["details"]["problems"]] == ["too_large"]
    assert await _stored(world) == before


async def test_the_list_and_a_version_name_the_orders_category_as_order_lists_do(client):
    await login(client, "9001")
    items = (await (await client.get("/api/workflows")).json())["items"]
    named = {
        c["category"]: c["name"] for c in (await (await client.get("/api/categories")).json())["categories"]
    }
    listed = {w["key"]: w for w in items}
    assert (listed["complaint"]["category"], listed["complaint"]["category_name"]) == (
        "complaint",
        "投诉举报建议",
    )
    assert (listed["fault_repair"]["category"], listed["fault_repair"]["category_name"]) == (
        "fault",
        "故障报修",
    )
    assert all(w["category_name"] == named[w["category"]] for w in items)
    detail = await (await client.get("/api/workflows/aftersales_repair/1")).json()
    assert (detail["category"], detail["category_name"]) == ("aftersales", "售后报修")
