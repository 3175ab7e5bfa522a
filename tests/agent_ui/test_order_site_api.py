"""The order's site (routing, who may see it) follows 所属供电局 on every console path; bad values
are refused with a worded field error."""

from __future__ import annotations

from tests.agent_ui.conftest import PASSWORD, login
from ticketing import users
from ticketing.intake import Intake, assign_to
from ticketing.models import Site, User
from ticketing.sites import create_site

FAULT = {"故障名称": "整栋楼停电", "故障地址": "天河路 1 号"}


async def second_bureau(world) -> None:
    """广州市供电局 (440100) with its handler 5101 beside the world's 海淀 bureau (HD, handler 2001)."""
    async with world.services.sessionmaker.begin() as db:
        hq = await db.get(Site, 1)
        gz = await create_site(db, "440100", "广州市供电局", parent=hq, kind="bureau")
        await create_site(db, "440106", "天河区供电所", parent=gz, kind="outlet")
        user = await users.create_user(
            db, "5101", "广州抢修", PASSWORD, roles=["handler"], site_id=gz.id, must_change_password=False
        )
        world.people["5101"] = user.id


async def test_saved_now_then_given_a_bureau_on_the_order_page_goes_to_that_bureau(
    client, aiohttp_client, world
):
    await second_bureau(world)
    token = await login(client, "1001")
    # 保存,现在处理 with nothing filled in yet
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "fault_repair",
            "category": "fault",
            "subcategory": "fault_lv",
            "form": {},
            "submit": False,
        },
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    resp = await client.post(
        f"/api/orders/{order['id']}/submit",
        json={"form": {**FAULT, "所属供电局": "440100"}},
        headers={"X-CSRF-Token": token},
    )
    submitted = await resp.json()
    assert resp.status == 200, submitted
    assert [h["staff_no"] for h in submitted["handlers"]] == ["5101"]

    handler = await aiohttp_client(client.server)
    await login(handler, "5101")
    seen = await handler.get(f"/api/orders/{order['number']}")
    assert seen.status == 200 and (await seen.json())["my_step"] is True
    other = await aiohttp_client(client.server)
    await login(other, "2001")
    assert (await other.get(f"/api/orders/{order['number']}")).status == 403


async def test_a_bureau_corrected_on_the_order_page_moves_the_order(client, aiohttp_client, world):
    await second_bureau(world)
    token = await login(client, "1001")
    order = await (
        await client.post(
            "/api/orders",
            json={
                "workflow": "fault_repair",
                "category": "fault",
                "subcategory": "fault_lv",
                "form": {**FAULT, "所属供电局": "HD"},
                "submit": False,
            },
            headers={"X-CSRF-Token": token},
        )
    ).json()
    resp = await client.post(
        f"/api/orders/{order['id']}/submit",
        json={"form": {"所属供电局": "440106"}},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status == 200, await resp.text()
    assert [h["staff_no"] for h in (await resp.json())["handlers"]] == ["5101"]  # the outlet's bureau
    hd = await aiohttp_client(client.server)
    await login(hd, "2001")
    assert (await hd.get(f"/api/orders/{order['number']}")).status == 403


async def test_an_order_from_an_async_event_goes_to_the_bureau_in_its_form(client, world):
    await second_bureau(world)
    async with world.services.sessionmaker.begin() as db:
        event = await Intake().receive(db, "sms", "sms-9", sender="13800138000", content="我家停电了")
        await assign_to(db, None, event, await db.get(User, world.people["1001"]))
        event_id = event.id
    token = await login(client, "1001")
    resp = await client.post(
        f"/api/inbox/{event_id}/order",
        json={
            "workflow": "fault_repair",
            "form": {**FAULT, "所属供电局": "440100"},
            "subcategory": "fault_lv",
            "submit": True,
        },
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    assert [h["staff_no"] for h in order["handlers"]] == ["5101"]


async def test_bad_values_are_refused_with_worded_field_errors(client):
    token = await login(client, "1001")
    cases = [
        ({"form": {**FAULT, "所属供电局": "NOPE"}}, "所属供电局", "field_unknown_site", "区域不存在"),
        (
            {"form": {**FAULT, "所属供电局": "HD"}, "caller_number": "not a phone <b>"},
            "caller_number",
            "field_bad_phone",
            "联系电话",
        ),
    ]
    for body, field, problem, words in cases:
        resp = await client.post(
            "/api/orders",
            json={"workflow": "fault_repair", "subcategory": "fault_lv", **body},
            headers={"X-CSRF-Token": token},
        )
        refused = await resp.json()
        assert resp.status == 422 and refused["details"]["problems"] == {field: problem}, refused
        assert words in refused["message"]
    resp = await client.post(
        "/api/orders",
        json={"workflow": "service_application", "form": {"申请容量": -5}, "submit": False},
        headers={"X-CSRF-Token": token},
    )
    refused = await resp.json()
    assert refused["details"]["problems"] == {"申请容量": "field_below_min"}
    assert "小于允许的最小值" in refused["message"]


async def test_a_datetime_field_refuses_text_that_is_no_time(client, aiohttp_client):
    token = await login(client, "1001")
    order = await (
        await client.post(
            "/api/orders",
            json={
                "workflow": "fault_repair",
                "form": {**FAULT, "所属供电局": "HD"},
                "subcategory": "fault_lv",
            },
            headers={"X-CSRF-Token": token},
        )
    ).json()
    handler = await aiohttp_client(client.server)
    h_token = await login(handler, "2001")
    await handler.post(f"/api/orders/{order['id']}/submit", json={}, headers={"X-CSRF-Token": h_token})
    resp = await handler.post(
        f"/api/orders/{order['id']}/save",
        json={"form": {"派工时间": "abc"}},
        headers={"X-CSRF-Token": h_token},
    )
    refused = await resp.json()
    assert resp.status == 422 and refused["details"]["problems"] == {"派工时间": "field_bad_datetime"}
    assert "日期时间" in refused["message"]
