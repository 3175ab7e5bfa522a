"""短信/邮件/传真模板's merge-field picker: the fields a template can use come from the renderer's
own context (the order's, customer's and site's text columns, the category's form fields, the
deadline, the contractor at a dispatching step), and a field written with ``fallback`` renders its
value, or the default where the order has none, in the preview and in a real send."""

from __future__ import annotations

from sqlalchemy import String, inspect

from tests.agent_ui.conftest import login
from ticketing import notify
from ticketing.models import Customer, WorkOrder


async def _post(client, token, path, body):
    resp = await client.post(path, json=body, headers={"X-CSRF-Token": token})
    return resp.status, await resp.json()


async def test_the_picker_lists_the_renderer_s_context(client):
    await login(client, "9001")
    resp = await client.get("/api/message-templates/fields", params={"category": "fault", "node": "dispatch"})
    assert resp.status == 200
    listed = [f["expression"] for f in (await resp.json())["items"]]
    groups = {f["group"] for f in (await resp.json())["items"]}
    assert set(notify.context_of(WorkOrder(form={}), None, None)) - {"contractor"} <= groups
    assert {"order.number", "order.title", "customer.name", "site.name", "due_at", "form.故障地址"} <= set(
        listed
    )
    text_columns = {c.key for c in inspect(Customer).columns if isinstance(c.type, String)}
    assert {e.split(".", 1)[1] for e in listed if e.startswith("customer.")} <= text_columns
    assert not any(e.endswith("_id") or e.endswith(".id") for e in listed)
    assert "contractor.name" not in listed  # 派工 dispatches to nobody
    outsource = await (
        await client.get("/api/message-templates/fields", params={"category": "fault", "node": "outsource"})
    ).json()
    assert "contractor.name" in [f["expression"] for f in outsource["items"]]


async def test_a_field_with_a_fallback_renders_in_the_preview(client):
    token = await login(client, "9001")
    body = "尊敬的{{ customer.name | fallback('客户') }}：工单{{ order.number }}，时限{{ due_at | fallback('尽快') }}。"
    status, shown = await _post(
        client, token, "/api/message-templates/preview", {"category": "fault", "body": body}
    )
    assert status == 200, shown
    assert shown["body"] == "尊敬的张三：工单GZ2026112600001，时限2026-11-26 18:00。"
    status, shown = await _post(
        client, token, "/api/message-templates/preview", {"category": "fault", "body": body, "missing": True}
    )
    assert shown["body"] == "尊敬的客户：工单GZ2026112600001，时限尽快。"
    status, refused = await _post(
        client, token, "/api/message-templates/preview", {"body": "{% for %}", "subject": "x"}
    )
    assert (status, refused["error_id"]) == (422, "invalid_fields")
    assert refused["details"]["problems"] == {"body": "template_invalid"}


def test_fallback_takes_undefined_none_and_invisible_text_in_the_sandbox():
    render = notify.render
    assert render("{{ customer.name | fallback('客户') }}", {"customer": None}) == "客户"
    assert render("{{ form.地址 | fallback('-') }}", {"form": {"地址": "\u3000"}}) == "-"
    assert render("{{ form.地址 | fallback('-') }}", {"form": {"地址": "某路"}}) == "某路"
    assert render("{{ nothing | fallback }}", {}) == ""
    # sent by hand, a field with its default is not blank
    assert notify.blank_fields("{{ due_at | fallback('尽快') }}", {"due_at": ""}) == []
    assert notify.blank_fields("{{ due_at }}", {"due_at": ""}) == ["due_at"]


async def test_only_admins_pick_and_preview_and_the_preview_needs_its_token(client, aiohttp_client):
    agent = await login(client, "1001")
    resp = await client.get("/api/message-templates/fields")
    assert (resp.status, (await resp.json())["error_id"]) == (403, "role.forbidden")
    status, refused = await _post(client, agent, "/api/message-templates/preview", {"body": "x"})
    assert (status, refused["error_id"]) == (403, "role.forbidden")
    admin = await aiohttp_client(client.server)
    await login(admin, "9001")
    resp = await admin.post("/api/message-templates/preview", json={"body": "x"})  # no CSRF token
    assert (resp.status, (await resp.json())["error_id"]) == (403, "csrf.invalid")
