"""An order taken on a workflow an admin has since disabled (停用: a form left open) is refused
as 流程已停用 (409 ``workflow_disabled``), not as 404 未找到; a workflow that never existed is
still 404."""

from __future__ import annotations

from tests.agent_ui.conftest import login

CONSULT_FORM = {"咨询内容": "电价怎么算", "答复内容": "已答复"}


async def _post(client, path, token, body=None):
    resp = await client.post(path, json=body if body is not None else {}, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_an_order_on_a_disabled_workflow_is_refused_as_disabled(client, world):
    agent = await login(client, "1001")
    status, body = await _post(client, "/api/orders", agent, {"workflow": "consult", "form": CONSULT_FORM})
    assert status == 201, body
    admin = await login(client, "9001")
    status, body = await _post(client, "/api/workflows/consult/1/disable", admin, {"confirm": True})
    assert status == 200 and body["current"] is None, body
    agent = await login(client, "1001")
    status, body = await _post(client, "/api/orders", agent, {"workflow": "consult", "form": CONSULT_FORM})
    assert (status, body["error_id"]) == (409, "workflow_disabled"), body
    assert "流程已停用" in body["message"], body["message"]
    status, body = await _post(client, "/api/orders", agent, {"workflow": "no_such_flow", "form": {}})
    assert (status, body["error_id"]) == (404, "not_found"), body
