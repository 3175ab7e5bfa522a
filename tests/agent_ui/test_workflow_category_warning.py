"""流程配置: importing a workflow whose category another workflow already takes orders of goes
ahead, and the answer warns of it (``warnings``: ``category_in_use`` naming that workflow) for
the page to show; an import without such a clash answers no warnings."""

from __future__ import annotations

import yaml

from tests.agent_ui.conftest import login


async def _import(client, token, data: dict):
    source = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    resp = await client.post("/api/workflows", json={"source": source}, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_an_import_on_another_workflows_category_answers_a_warning(client):
    admin = await login(client, "9001")
    consult = yaml.safe_load(await (await client.get("/api/workflows/consult/1/export")).text())
    copy = {**consult, "key": "consult_copy", "name": "咨询副本", "number_pattern": "QQ{yyyyMMdd}{seq:05}"}
    status, body = await _import(client, admin, copy)
    assert status == 201, body
    assert [(w["id"], w["workflow_key"], w["value"]) for w in body["warnings"]] == [
        ("category_in_use", "consult", "consult：信息咨询（consult）")
    ]
    assert all(w["message"] for w in body["warnings"])
    status, body = await _import(client, admin, {**copy, "category": "consult_copy"})
    assert status == 201 and body["warnings"] == [], body
