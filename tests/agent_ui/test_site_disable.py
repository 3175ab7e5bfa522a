"""单位管理 停用: a bureau disabled takes no new order, user or routing (refused in words), is
flagged for the pickers, keeps its orders and users workable, and 启用 brings it back; both
changes are audit rows."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import FAULT, Session, act, chaoyang_bureau, new_order, routed_order, sign_in
from ticketing.models import AuditLog, Site


async def _cy(world) -> int:
    async with world.services.sessionmaker() as db:
        return await db.scalar(select(Site.id).where(Site.code == "CY"))


async def test_a_disabled_bureau_takes_nothing_new_and_keeps_what_it_has(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    cy = await _cy(world)
    before = await routed_order(client, "CY")  # at 接收确认 with 朝阳's handler 2101
    admin = await sign_in(aiohttp_client, client, "9001")
    agent = await sign_in(aiohttp_client, client, "1001")

    status, view = await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": False})
    assert status == 200 and view["enabled"] is False
    listed = {s["code"]: s for s in (await admin.call("GET", "/api/admin/sites", None))[1]["items"]}
    assert listed["CY"]["enabled"] is False and listed["HD"]["enabled"] is True
    # the pickers (intake's 所属供电局, the order page, 账号管理) are told which is 停用
    pickers = {s["code"]: s["enabled"] for s in (await agent.call("GET", "/api/sites", None))[1]["sites"]}
    assert pickers == {"HQ": True, "HD": True, "CY": False}
    user_form = (await admin.call("GET", "/api/users", None))[1]["sites"]
    assert {s["name"]: s["enabled"] for s in user_form}["朝阳供电局"] is False

    # no new order: named in the form, or sent there by id
    status, refused = await agent.call(
        "POST",
        "/api/orders",
        {"workflow": "fault_repair", "subcategory": "fault_lv", "form": {**FAULT, "所属供电局": "CY"}},
    )
    assert (status, refused["error_id"]) == (422, "invalid_fields")
    assert refused["details"]["problems"] == {"所属供电局": "field_site_disabled"}
    assert "所属供电局（该单位已停用" in refused["message"]
    status, refused = await agent.call(
        "POST",
        "/api/orders",
        {"workflow": "fault_repair", "subcategory": "fault_lv", "form": FAULT, "site_id": cy},
    )
    assert refused["details"]["problems"] == {"site_id": "field_site_disabled"}
    # nor moved there from another bureau: an order kept at 受理 and corrected to it
    kept = await new_order(agent, form={}, submit=False)
    status, refused = await agent.call(
        "POST", f"/api/orders/{kept['id']}/save", {"form": {"所属供电局": "CY"}}
    )
    assert (status, refused["details"]["problems"]) == (422, {"所属供电局": "field_site_disabled"})
    # nobody new based there; its own handler is still edited as before
    status, refused = await admin.call(
        "POST", "/api/users", {"staff_no": "2102", "name": "新抢修", "roles": ["handler"], "site_id": cy}
    )
    assert (status, refused["details"]["problems"]) == (422, {"site_id": "field_site_disabled"})
    status, edited = await admin.call("PATCH", "/api/users/2101", {"name": "刘抢修（老）", "site_id": cy})
    assert status == 200 and edited["site_id"] == cy

    # what it had stays workable: its handler opens and confirms the order routed before
    handler = await sign_in(aiohttp_client, client, "2101")
    status, seen = await handler.call("GET", f"/api/orders/{before['number']}", None)
    assert status == 200 and seen["my_step"] is True
    confirmed = await act(handler, before, "approve", {"opinion": "已接收"})
    assert confirmed["node"]["id"] != "confirm"

    # 启用 again: orders go there as before
    status, view = await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": True})
    assert status == 200 and view["enabled"] is True
    again = await new_order(agent, form={**FAULT, "所属供电局": "CY"})
    assert [h["staff_no"] for h in again["handlers"]] == ["2101"]

    async with world.services.sessionmaker() as db:
        rows = list(await db.scalars(select(AuditLog).where(AuditLog.entity == "site").order_by(AuditLog.id)))
    changes = [(a.action, a.before["enabled"], a.after["enabled"]) for a in rows if a.action != "site.create"]
    assert changes == [("site.disable", True, False), ("site.enable", False, True)]
    assert {a.entity_id for a in rows if a.action != "site.create"} == {str(cy)}


async def test_enabled_must_be_a_yes_or_no(client, aiohttp_client, world):
    admin: Session = await sign_in(aiohttp_client, client, "9001")
    status, refused = await admin.call("PATCH", "/api/admin/sites/2", {"enabled": "no"})
    assert (status, refused["details"]["problems"]) == (422, {"enabled": "field_not_boolean"})


async def test_a_bureau_is_disabled_only_after_its_outlets(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    cy = await _cy(world)
    admin = await sign_in(aiohttp_client, client, "9001")
    outlets = {}
    for code, name in (("CYDG", "东坝供电所"), ("CYXG", "小关供电所")):
        status, made = await admin.call(
            "POST", "/api/admin/sites", {"code": code, "name": name, "kind": "outlet", "parent_site_id": cy}
        )
        assert status == 201, made
        outlets[code] = made["id"]

    # refused in words naming the outlets still open, the bureau left as it was
    status, refused = await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": False})
    assert (status, refused["error_id"]) == (409, "site_has_open_children")
    assert "东坝供电所、小关供电所" in refused["message"] and "先" in refused["message"]
    status, refused = await admin.call("PATCH", f"/api/admin/sites/{outlets['CYDG']}", {"enabled": False})
    assert status == 200
    status, refused = await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": False})
    assert status == 409 and refused["details"]["sites"] == ["小关供电所"]
    listed = {
        s["code"]: s["enabled"] for s in (await admin.call("GET", "/api/admin/sites", None))[1]["items"]
    }
    assert listed["CY"] is True

    # once each outlet is 停用 (its own audit row), the bureau is too
    assert (await admin.call("PATCH", f"/api/admin/sites/{outlets['CYXG']}", {"enabled": False}))[0] == 200
    status, view = await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": False})
    assert status == 200 and view["enabled"] is False
    async with world.services.sessionmaker() as db:
        rows = list(
            await db.scalars(select(AuditLog).where(AuditLog.action == "site.disable").order_by(AuditLog.id))
        )
    assert [a.entity_id for a in rows] == [str(outlets["CYDG"]), str(outlets["CYXG"]), str(cy)]

    # nor is an outlet opened under the closed bureau, anew or again: the bureau is 启用 first
    status, refused = await admin.call("PATCH", f"/api/admin/sites/{outlets['CYDG']}", {"enabled": True})
    assert (status, refused["error_id"]) == (409, "site_parent_disabled")
    assert "朝阳供电局" in refused["message"] and "先启用" in refused["message"]
    status, refused = await admin.call(
        "POST",
        "/api/admin/sites",
        {"code": "CYJX", "name": "酒仙桥供电所", "kind": "outlet", "parent_site_id": cy},
    )
    assert (status, refused["details"]["problems"]) == (422, {"parent_site_id": "field_site_disabled"})
    assert (await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": True}))[0] == 200
    status, view = await admin.call("PATCH", f"/api/admin/sites/{outlets['CYDG']}", {"enabled": True})
    assert status == 200 and view["enabled"] is True


async def test_a_contractor_gets_no_disabled_site_as_a_new_service_area(client, aiohttp_client, world):
    await chaoyang_bureau(world)
    cy = await _cy(world)
    admin = await sign_in(aiohttp_client, client, "9001")
    status, serving = await admin.call("POST", "/api/contractors", {"name": "朝阳电建", "site_id": cy})
    assert status == 201
    status, other = await admin.call("POST", "/api/contractors", {"name": "京电工程"})
    assert status == 201
    assert (await admin.call("PATCH", f"/api/admin/sites/{cy}", {"enabled": False}))[0] == 200

    status, refused = await admin.call("POST", "/api/contractors", {"name": "新外委", "site_id": cy})
    assert (status, refused["details"]["problems"]) == (422, {"site_id": "field_site_disabled"})
    assert "该单位已停用" in refused["message"]
    status, refused = await admin.call("PATCH", f"/api/contractors/{other['id']}", {"site_id": cy})
    assert (status, refused["details"]["problems"]) == (422, {"site_id": "field_site_disabled"})
    # the one already serving it keeps its area while its other details are edited
    status, kept = await admin.call(
        "PATCH", f"/api/contractors/{serving['id']}", {"site_id": cy, "contact_person": "王经理"}
    )
    assert status == 200 and kept["site_id"] == cy and kept["contact_person"] == "王经理"
