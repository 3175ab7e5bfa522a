"""The audit log names a message template by its name as it is called now (故障受理通知短信),
not its id, on every row about it; a rename is a change of 名称."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_message_template_names import CONSULT_SMS, _send


async def test_the_audit_log_names_the_template(client):
    admin = await login(client, "9001")
    status, made = await _send(
        client, "/api/message-templates", admin, {**CONSULT_SMS, "name": "咨询答复短信"}
    )
    assert status == 201
    await _send(client, f"/api/message-templates/{made['id']}", admin, {"name": "咨询办结短信"}, "PATCH")
    rows = (
        await (
            await client.get(
                "/api/audit", params={"entity": "notification_template", "entity_id": str(made["id"])}
            )
        ).json()
    )["items"]
    assert [r["action"] for r in rows] == ["message_template.update", "message_template.create"]
    # by the name it has now, on every row about it; the rename itself is a change of 名称
    assert {r["entity_label"] for r in rows} == {"咨询办结短信"}
    assert (rows[0]["before"]["name"], rows[0]["after"]["name"]) == ("咨询答复短信", "咨询办结短信")
