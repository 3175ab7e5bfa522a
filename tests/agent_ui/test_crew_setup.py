"""抢修班组 in the console: the register is admins' (CSRF on writes, refusals naming the field in
Chinese), whoever works on orders lists the crews an order may take, and 派工 through the API
keeps the crew picked, refusing a disabled one or another bureau's in Chinese."""

from __future__ import annotations

from tests.agent_ui.conftest import (
    Session,
    chaoyang_bureau,
    login,
    new_crew,
    order_at_dispatch,
    sign_in,
    site_ids,
)


async def test_only_admins_keep_the_register_and_refusals_name_the_field(aiohttp_client, client, world):
    agent = await sign_in(aiohttp_client, client, "1001")
    status, body = await agent.call("POST", "/api/crews", {"name": "海淀抢修一班"})
    assert (status, body["error_id"]) == (403, "role.forbidden")
    assert (await agent.client.get("/admin/crews", allow_redirects=False)).status == 403
    handler = await sign_in(aiohttp_client, client, "2001")
    status, body = await handler.call("POST", "/api/crews", {"name": "海淀抢修一班"})
    assert (status, body["error_id"]) == (403, "role.forbidden")

    await login(client, "9001")
    resp = await client.post("/api/crews", json={"name": "海淀抢修一班"})
    assert resp.status == 403 and (await resp.json())["error_id"] == "csrf.invalid"
    admin = await Session.signed_in(client, "9001")
    assert (await client.get("/admin/crews")).status == 200
    sites = await site_ids(admin)
    status, body = await admin.call("POST", "/api/crews", {"name": "", "phones": "12", "vehicle": "粤A"})
    assert status == 422 and body["details"]["problems"] == {
        "name": "field_required",
        "phones": "field_bad_phone",
        "site_id": "field_required",
    }
    assert "名称（必填）" in body["message"] and "电话（" in body["message"]
    crew = await new_crew(
        admin,
        "海淀抢修一班",
        sites["HD"],
        leader="赵强",
        phones="138 0000 1111",
        members="钱一、孙二",
        vehicle="京A·12345",
    )
    assert (crew["phones"], crew["members"], crew["active"]) == (["13800001111"], ["钱一", "孙二"], True)
    status, body = await admin.call("PATCH", f"/api/crews/{crew['id']}", {"vehicle": "京A·54321"})
    assert status == 200 and body["vehicle"] == "京A·54321"
    status, body = await admin.call("POST", f"/api/crews/{crew['id']}/disable")
    assert status == 200 and body["active"] is False
    # the disabled crew: in the admins' register, not in anyone else's
    status, listed = await admin.call("GET", "/api/crews")
    assert [c["name"] for c in listed["items"]] == ["海淀抢修一班"]
    status, listed = await agent.call("GET", "/api/crews")
    assert status == 200 and listed["items"] == []
    status, body = await admin.call("DELETE", f"/api/crews/{crew['id']}")
    assert status == 200 and body == {"deleted": True}


async def test_dispatch_keeps_the_crew_and_refuses_a_disabled_or_other_bureaus_in_chinese(
    aiohttp_client, client, world
):
    await chaoyang_bureau(world)
    admin = await Session.signed_in(client, "9001")
    sites = await site_ids(admin)
    haidian = await new_crew(
        admin,
        "海淀抢修一班",
        sites["HD"],
        leader="赵强",
        members="钱一、孙二",
        phones="13800001111",
        vehicle="京A·12345",
    )
    chaoyang = await new_crew(admin, "朝阳抢修班", sites["CY"], phones="13900002222")
    stopped = await new_crew(admin, "海淀备用班", sites["HD"], phones="13700003333")
    await admin.call("POST", f"/api/crews/{stopped['id']}/disable")

    handler, order = await order_at_dispatch(aiohttp_client, client)
    assert order["node"]["id"] == "dispatch"
    # the picker's list: the order's bureau's active crews, and what a pick fills
    status, listed = await handler.call("GET", f"/api/crews?order={order['id']}")
    assert status == 200 and [c["name"] for c in listed["items"]] == ["海淀抢修一班"]
    assert listed["fills"] == {"抢修班组": {"people": "抢修人员", "phone": "班组电话", "vehicle": "车辆"}}
    # shown at the step as the crew picker
    fields = {f["name"]: f for f in order["form"]}
    assert fields["抢修班组"]["type"] == "crew" and fields["抢修班组"]["permission"] == "editable"

    for crew, words in ((chaoyang, "该抢修班组不属于工单所属的供电局"), (stopped, "该抢修班组已停用")):
        status, body = await handler.call(
            "POST", f"/api/orders/{order['id']}/save", {"form": {"抢修班组": crew["id"]}}
        )
        assert status == 422 and body["error_id"] == "invalid_fields", body
        assert f"抢修班组（{words}" in body["message"]

    status, saved = await handler.call(
        "POST", f"/api/orders/{order['id']}/save", {"form": {"抢修班组": haidian["id"]}}
    )
    assert status == 200, saved
    fields = {f["name"]: f["value"] for f in saved["form"]}
    assert fields["抢修班组"]["name"] == "海淀抢修一班" and fields["抢修班组"]["phone"] == "13800001111"
    # 抢修人员: who goes out, the leader and the members (the crew's name is the picker's)
    assert (fields["抢修人员"], fields["班组电话"], fields["车辆"]) == (
        "赵强、钱一、孙二",
        "13800001111",
        "京A·12345",
    )
    # a crew orders were dispatched to is disabled, never deleted
    status, body = await admin.call("DELETE", f"/api/crews/{haidian['id']}")
    assert (status, body["error_id"]) == (409, "crew_in_use")
    assert "海淀抢修一班" in body["message"] and "只能停用" in body["message"]
    # another bureau's handler cannot list an order outside their scope
    other = await sign_in(aiohttp_client, client, "2101")
    status, body = await other.call("GET", f"/api/crews?order={order['id']}")
    assert status in (403, 404)
