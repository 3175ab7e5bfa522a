"""The screen-pop's 新建客户 form and POST /api/customers hold one rule: the form marks the
fields the server requires (户号 and 户名, from GET /api/customers/form), and a refusal names
them as the form does (户名, not 名称)."""

from __future__ import annotations

from tests.agent_ui.conftest import login


async def test_the_form_marks_what_the_server_requires_and_the_refusal_uses_its_labels(client):
    csrf = await login(client, "1001")
    rules = await (await client.get("/api/customers/form")).json()
    assert set(rules["required"]) == {"account_no", "name"}
    assert rules["limits"]["account_no"] and rules["limits"]["name"] and rules["limits"]["address"]

    # each field the rule requires is refused when left out; one it does not is not
    resp = await client.post(
        "/api/customers", json={"account_no": "", "name": "", "address": ""}, headers={"X-CSRF-Token": csrf}
    )
    body = await resp.json()
    assert resp.status == 422 and set(body["details"]["problems"]) == set(rules["required"]), body
    assert "户号（必填）" in body["message"] and "户名（必填）" in body["message"], body["message"]
    assert "名称" not in body["message"], body["message"]

    await client.post("/lang", data={"_csrf": csrf, "lang": "en", "next": "/"})
    body = await (
        await client.post("/api/customers", json={"account_no": "1"}, headers={"X-CSRF-Token": csrf})
    ).json()
    assert "Name" in body["message"], body["message"]
