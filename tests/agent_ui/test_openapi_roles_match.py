"""The API docs say who may call what as the handlers decide it: each role the doc's x-roles
leaves out of an order action gets 403 from it, each it lists does not; the campaign writes
document their request bodies."""

from __future__ import annotations

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.models import Site

ROLES = ("agent", "handler", "team_leader", "supervisor", "admin")
ACTIONS = ("reassign", "supervise", "force_archive", "void", "forward")


async def test_x_roles_of_the_order_actions_are_who_is_not_refused(client, world):
    async with world.services.sessionmaker.begin() as db:
        site = await db.get(Site, 1)
        for n, role in enumerate(ROLES):
            await users.create_user(
                db, f"870{n}", role, PASSWORD, roles=[role], site_id=site.id, must_change_password=False
            )
    headers = {"X-CSRF-Token": await login(client, "1001")}
    spec = await (await client.get("/api/openapi.json")).json()
    documented = {a: spec["paths"][f"/api/orders/{{key}}/{a}"]["post"]["x-roles"] for a in ACTIONS}
    assert documented["force_archive"] == ["admin", "supervisor"]
    assert documented["reassign"] == documented["supervise"] == ["admin", "supervisor", "team_leader"]
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False},
        headers=headers,
    )
    order = await resp.json()
    await client.delete("/api/session", headers=headers)
    mismatches = []
    for n, role in enumerate(ROLES):
        headers = {"X-CSRF-Token": await login(client, f"870{n}")}
        for action in ("reassign", "supervise", "force_archive", "void"):
            # a body each action would take, so only who calls decides 403
            body = {"to": world.people["2001"], "opinion": "文档核对", "urgency": "high"}
            resp = await client.post(f"/api/orders/{order['id']}/{action}", json=body, headers=headers)
            refused = resp.status == 403
            if refused == (role in documented[action]):
                mismatches.append((role, action, resp.status, documented[action]))
        await client.delete("/api/session", headers=headers)
    assert mismatches == []


async def test_the_campaign_writes_document_their_bodies(client, world):
    await login(client, "9001")
    spec = await (await client.get("/api/openapi.json")).json()
    create = spec["paths"]["/api/campaigns"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"name", "queue", "kind", "mode", "windows", "script"} <= set(create["properties"])
    assert create["properties"]["name"]["maxLength"] == 100
    dnc = spec["paths"]["/api/campaigns-dnc"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert dnc["required"] == ["number"]
    upload = spec["paths"]["/api/campaigns/{campaign_id}/import"]["post"]["requestBody"]["content"]
    assert set(upload["multipart/form-data"]["schema"]["properties"]) == {
        "file",
        "mapping",
        "commit",
        "checked",
    }
    session = spec["paths"]["/api/session"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert session["properties"]["staff_no"]["pattern"] == "^[0-9]{4,6}$"
