"""短信/邮件模板: before 停用 of a template a workflow's reminder is worded with, the page is told
where (``GET /api/message-templates/{id}/uses``: the workflow, the version new orders start on,
the step, which reminder, the channel), by the template's id or its category and step; a version
no longer in use does not count. Disabling still goes through (the SLA worker then says the
engine's words)."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_workflow_reminder_templates_api import _post, _reminding, _template


async def test_the_uses_of_a_template_in_the_versions_in_use_are_named(client):
    token = await login(client, "9001")
    sms = await _template(
        client, token, name="处理催办短信", channel="sms", body="【催办】{{ order.number }} 即将到期"
    )
    other = await _template(
        client, token, name="复核提醒短信", node="review", channel="sms", body="请复核 {{ order.number }}"
    )

    async def uses(template) -> list[dict]:
        resp = await client.get(f"/api/message-templates/{template['id']}/uses")
        assert resp.status == 200
        return (await resp.json())["uses"]

    assert await uses(sms) == []
    document = (await (await client.get("/api/workflows/complaint/1")).json())["document"]
    picked = {"sms": {"category": "complaint", "node": "handle"}}
    status, made = await _post(
        client, token, "/api/workflows", {"document": _reminding(document, ["screen", "sms"], picked)}
    )
    assert status == 201, made
    found = await uses(sms)
    assert found == [
        {
            "workflow": "complaint",
            "workflow_name": found[0]["workflow_name"],
            "version": made["version"],
            "node": "handle",
            "node_name": "处理",
            "channel": "sms",
            "reminder": 1,
        }
    ]
    assert found[0]["workflow_name"]  # the workflow by its name, for the page
    assert await uses(other) == []  # another step's template is not that reminder's

    # by id (as versions were stored before) counts too
    document = (await (await client.get(f"/api/workflows/complaint/{made['version']}")).json())["document"]
    status, by_id = await _post(
        client,
        token,
        "/api/workflows",
        {"document": _reminding(document, ["screen", "sms"], {"sms": other["id"]})},
    )
    assert status == 201, by_id
    assert [(u["version"], u["reminder"]) for u in await uses(other)] == [(by_id["version"], 1)]
    assert await uses(sms) == []  # the version in use is the newest enabled one

    # that version 停用: the one before is in use again
    status, _ = await _post(client, token, f"/api/workflows/complaint/{by_id['version']}/disable", {})
    assert status == 200
    assert await uses(other) == []
    assert [u["version"] for u in await uses(sms)] == [made["version"]]
    # disabling is warned about, not refused
    status, row = await _post(
        client, token, f"/api/message-templates/{sms['id']}", {"enabled": False}, "patch"
    )
    assert (status, row["enabled"]) == (200, False)
    assert await uses(sms) == []  # a disabled template words nothing by its category and step
    assert (await client.get("/api/message-templates/999999/uses")).status == 404


async def test_only_admins_ask(client):
    await login(client, "1001")
    assert (await client.get("/api/message-templates/1/uses")).status == 403
