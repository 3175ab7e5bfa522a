"""流程配置's reminders worded by message templates, server side: a version lists the SMS and
e-mail templates its reminders may pick (the workflow's categories', to the handler, by name), a
document picking one is stored with it, and one that could not word the reminder is refused
naming the step, the reminder, the channel and the template: none such, 停用, the customer's,
another channel's, or picked for a channel the reminder does not use."""

from __future__ import annotations

from tests.agent_ui.conftest import login


async def _post(client, token, path, body, method="post"):
    resp = await getattr(client, method)(path, json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def _template(client, token, **values) -> dict:
    body = {"category": "complaint", "node": "handle", "audience": "handler", **values}
    status, made = await _post(client, token, "/api/message-templates", body)
    assert status == 201, made
    return made


def _reminding(document: dict, channels: list[str], templates) -> dict:
    handle = next(n for n in document["nodes"] if n["id"] == "handle")
    handle["sla"]["reminders"] = [
        {"before": "15m", "notify": {"current_handlers": True}, "channels": channels, "templates": templates}
    ]
    return document


async def test_a_reminder_picks_a_template_by_name_and_keeps_it(client):
    token = await login(client, "9001")
    sms = await _template(
        client, token, name="处理催办短信", channel="sms", body="【催办】{{ order.number }} 即将到期"
    )
    shown = await (await client.get("/api/workflows/complaint/1")).json()
    offered = {t["id"]: t for t in shown["templates"]}
    assert offered[sms["id"]] == {
        "id": sms["id"],
        "channel": "sms",
        "category": "complaint",
        "node": "handle",
        "name": "处理催办短信",  # as its admin named it
        "enabled": True,
    }
    # the seeded 处理 e-mail to the handler is offered; the customer's SMS of 处理 is not
    assert {(t["channel"], t["node"]) for t in shown["templates"]} == {("sms", "handle"), ("email", "handle")}

    document = _reminding(shown["document"], ["screen", "sms"], {"sms": sms["id"]})
    status, made = await _post(client, token, "/api/workflows", {"document": document})
    assert status == 201, made
    again = await (await client.get(f"/api/workflows/complaint/{made['version']}")).json()
    handle = next(n for n in again["document"]["nodes"] if n["id"] == "handle")
    # stored with the id the document named; shown (and exported) by the template's category and
    # step, which another installation has too (its ids differ)
    assert handle["sla"]["reminders"][0]["templates"] == {"sms": {"category": "complaint", "node": "handle"}}
    assert "templates:\n" in again["source"] and f"sms: {sms['id']}" not in again["source"]


async def test_a_template_that_cannot_word_the_reminder_is_refused_by_name(client):
    token = await login(client, "9001")
    sms = await _template(
        client, token, name="处理到期短信", channel="sms", body="工单 {{ order.number }} 即将到期"
    )
    mail = await _template(
        client,
        token,
        name="复核催办邮件",
        node="review",
        channel="email",
        subject="催办 {{ order.number }}",
        body="请处理",
    )
    document = (await (await client.get("/api/workflows/complaint/1")).json())["document"]
    customers = [
        t
        for t in (await (await client.get("/api/message-templates?category=complaint")).json())["items"]
        if t["audience"] == "customer" and t["channel"] == "sms"
    ]

    async def refused(channels, templates) -> list[dict]:
        status, answer = await _post(
            client, token, "/api/workflows", {"document": _reminding(document, channels, templates)}
        )
        assert (status, answer["error_id"]) == (422, "workflow_invalid"), answer
        keys = ("id", "node", "reminder", "channel", "template", "value")
        return [{k: p.get(k) for k in keys} for p in answer["details"]["problems"]]

    assert await refused(["screen", "sms"], {"sms": 987654}) == [
        {
            "id": "unknown_reminder_template",
            "node": "handle",
            "reminder": 1,
            "channel": "sms",
            "template": 987654,
            "value": "#987654",
        }
    ]
    assert (await refused(["sms"], {"sms": mail["id"]}))[0]["id"] == "reminder_template_mismatch"
    assert (await refused(["sms"], {"sms": customers[0]["id"]}))[0]["id"] == "reminder_template_mismatch"
    assert [p["id"] for p in await refused(["screen"], {"sms": sms["id"]})] == [
        "reminder_template_channel_off"
    ]
    assert [p["id"] for p in await refused(["sms"], {"fax": 1})] == ["bad_reminder_template"]
    assert [p["id"] for p in await refused(["sms"], {"sms": "催办"})] == ["bad_reminder_template"]

    status, _ = await _post(client, token, f"/api/message-templates/{sms['id']}", {"enabled": False}, "patch")
    assert status == 200
    problems = await refused(["sms", "email"], {"sms": sms["id"], "email": mail["id"]})
    assert problems == [
        {
            "id": "reminder_template_disabled",
            "node": "handle",
            "reminder": 1,
            "channel": "sms",
            "template": sms["id"],
            "value": "处理到期短信",
        }
    ]
    listed = {w["key"]: w for w in (await (await client.get("/api/workflows")).json())["items"]}
    assert len(listed["complaint"]["versions"]) == 1  # nothing stored


async def test_only_admins_see_the_templates_offered(client):
    await login(client, "1001")
    resp = await client.get("/api/workflows/complaint/1")
    assert resp.status == 403
