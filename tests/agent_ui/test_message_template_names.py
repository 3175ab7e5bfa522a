"""A message template has a name (模板名称): required, not another enabled template's, editable;
the seeded ones come with theirs."""

from __future__ import annotations

from tests.agent_ui.conftest import login

CONSULT_SMS = {
    "category": "consult",
    "node": "done",
    "channel": "sms",
    "body": "工单{{ order.number }}已答复",
}


async def _send(client, path, token, body, method="POST"):
    resp = await client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_a_template_without_a_name_is_refused_saying_so(client):
    admin = await login(client, "9001")
    for blank in ({}, {"name": ""}, {"name": " \u3000 "}):
        status, body = await _send(client, "/api/message-templates", admin, {**CONSULT_SMS, **blank})
        assert (status, body["details"]["problems"]) == (422, {"name": "field_required"}), body
        assert "名称（必填）" in body["message"]
    status, body = await _send(client, "/api/message-templates", admin, {**CONSULT_SMS, "name": "长" * 65})
    assert body["details"]["problems"] == {"name": "field_too_long"}
    status, made = await _send(
        client, "/api/message-templates", admin, {**CONSULT_SMS, "name": " 咨询答复短信 "}
    )
    assert (status, made["name"]) == (201, "咨询答复短信")  # trimmed
    status, body = await _send(client, f"/api/message-templates/{made['id']}", admin, {"name": ""}, "PATCH")
    assert body["details"]["problems"] == {"name": "field_required"}  # nor emptied later
    status, renamed = await _send(
        client, f"/api/message-templates/{made['id']}", admin, {"name": "咨询办结短信"}, "PATCH"
    )
    assert (status, renamed["name"]) == (200, "咨询办结短信")
    listed = (await (await client.get("/api/message-templates")).json())["items"]
    assert {t["id"]: t["name"] for t in listed}[made["id"]] == "咨询办结短信"


async def test_no_two_enabled_templates_share_a_name(client):
    admin = await login(client, "9001")
    listed = (await (await client.get("/api/message-templates")).json())["items"]
    assert "故障受理通知短信" in {t["name"] for t in listed}  # the seeded ones are named
    assert all(t["name"] for t in listed)
    status, body = await _send(
        client, "/api/message-templates", admin, {**CONSULT_SMS, "name": "故障受理通知短信"}
    )
    assert (status, body["details"]["problems"]) == (422, {"name": "template_name_taken"})
    assert "已有同名的启用模板" in body["message"]

    # a 停用 one's name may be taken by its successor, at another step here
    status, old = await _send(
        client, "/api/message-templates", admin, {**CONSULT_SMS, "name": "咨询答复短信"}
    )
    assert status == 201
    status, _ = await _send(client, f"/api/message-templates/{old['id']}", admin, {"enabled": False}, "PATCH")
    assert status == 200
    status, new = await _send(
        client, "/api/message-templates", admin, {**CONSULT_SMS, "node": "accept", "name": "咨询答复短信"}
    )
    assert status == 201
    status, body = await _send(
        client, f"/api/message-templates/{old['id']}", admin, {"enabled": True}, "PATCH"
    )
    assert (status, body["details"]["problems"]) == (422, {"name": "template_name_taken"})
    status, back = await _send(
        client,
        f"/api/message-templates/{old['id']}",
        admin,
        {"enabled": True, "name": "咨询答复短信（旧）"},
        "PATCH",
    )
    assert (status, back["enabled"], back["name"]) == (200, True, "咨询答复短信（旧）")
    status, body = await _send(  # nor may a rename take another's
        client, f"/api/message-templates/{new['id']}", admin, {"name": "咨询答复短信（旧）"}, "PATCH"
    )
    assert body["details"]["problems"] == {"name": "template_name_taken"}
