"""自由流转 in the console: a step that allows free routing lets its handler pick the next
handler (the order view offers the steps and the candidates; the pick reaches ticketing)."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.models import Site
from ticketing.sites import create_site
from ticketing.workflow.store import import_definition


def _flow(key: str, free: bool) -> dict:
    return {
        "key": key,
        "name": "自由流转测试",
        "fields": {"意见": {"type": "textarea"}},
        "nodes": [
            {
                "id": "start",
                "type": "create",
                "free_routing": free,
                "fields": {"意见": "editable"},
                "exits": [{"to": "sign"}],
            },
            {
                "id": "sign",
                "name": "会签",
                "type": "realize",
                "fields": {"意见": "editable"},
                "operators": {"mode": "any", "batches": [[{"user": ["3001"]}]]},
                "exits": [{"to": "done"}],
            },
            {"id": "done", "type": "archive"},
        ],
    }


async def _setup(world) -> dict[str, int]:
    async with world.services.sessionmaker.begin() as db:
        await import_definition(db, _flow("free_ui", True))
        await import_definition(db, _flow("fixed_ui", False))
        hq = await db.scalar(select(Site).where(Site.code == "HQ"))
        hd = await db.scalar(select(Site).where(Site.code == "HD"))
        other = await create_site(db, "CY", "朝阳供电局", parent=hq, kind="bureau")
        far = await users.create_user(
            db, "2002", "赵远方", PASSWORD, roles=["handler"], must_change_password=False, site_id=other.id
        )
    return {"HD": hd.id, "far": far.id}


async def _order(client, token: str, workflow: str, site_id: int) -> dict:
    resp = await client.post(
        "/api/orders",
        json={"workflow": workflow, "form": {"意见": "请处理"}, "submit": False, "site_id": site_id},
        headers={"X-CSRF-Token": token},
    )
    body = await resp.json()
    assert resp.status == 201, body
    return body


async def test_the_handler_of_a_free_routing_step_picks_the_next_handler(client, world):
    ids = await _setup(world)
    token = await login(client, "1001")
    order = await _order(client, token, "free_ui", ids["HD"])
    assert order["free_routing"] is True and order["my_step"] is True
    assert {n["to"] for n in order["route_nodes"]} == {"sign", "done"}

    # the next step's handler (for=next): anyone who works on orders and sees it, not the
    # rules of the step being left (those are 转派's, the default)
    candidates = f"/api/orders/{order['id']}/candidates"
    found = await (await client.get(candidates, params={"q": "李", "for": "next"})).json()
    assert [p["staff_no"] for p in found["items"]] == ["2001"]
    everyone = await (await client.get(candidates, params={"for": "next"})).json()
    staff = {p["staff_no"] for p in everyone["items"]}
    assert "2001" in staff and "1001" in staff
    assert "2002" not in staff  # another bureau cannot see this order
    assert "9001" not in staff  # an admin does not work on orders
    handler_id = next(p["id"] for p in everyone["items"] if p["staff_no"] == "2001")

    resp = await client.post(
        f"/api/orders/{order['id']}/submit",
        json={"to": "sign", "handlers": [handler_id], "opinion": "交李抢修"},
        headers={"X-CSRF-Token": token},
    )
    moved = await resp.json()
    assert resp.status == 200, moved
    assert moved["node"]["id"] == "sign"
    assert [h["staff_no"] for h in moved["handlers"]] == ["2001"]  # not the workflow's 3001


async def test_a_step_without_free_routing_refuses_a_picked_handler(client, world):
    ids = await _setup(world)
    token = await login(client, "1001")
    order = await _order(client, token, "fixed_ui", ids["HD"])
    assert order["free_routing"] is False and order["route_nodes"] == []
    resp = await client.post(
        f"/api/orders/{order['id']}/submit",
        json={"handlers": [ids["far"]]},
        headers={"X-CSRF-Token": token},
    )
    body = await resp.json()
    assert resp.status == 409 and body["error_id"] == "free_routing_disabled"
    assert "自由" in body["message"]
    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    assert view["node"]["id"] == "start"  # nothing moved


async def test_candidates_need_the_order_in_scope(client, aiohttp_client, world):
    ids = await _setup(world)
    token = await login(client, "1001")
    order = await _order(client, token, "free_ui", ids["HD"])
    far = await aiohttp_client(client.server)
    await login(far, "2002")
    resp = await far.get(f"/api/orders/{order['id']}/candidates")
    assert resp.status in (403, 404)
