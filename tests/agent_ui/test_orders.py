"""Intake and handling through the JSON API: a fault order from the agent to the bureau's handler."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.agent_ui.conftest import Session, act, login, new_order, sign_in

FAULT = {
    "故障名称": "整栋楼停电",
    "故障地址": "海淀区中关村大街 1 号",
    "所属供电局": "HD",
    "需要回复客户": True,
}


def crew_time(minutes: int) -> str:
    """A crew's time as the handler types it now (派工 +0, 到达 +1, 完成 +2 minutes): after
    the call and not ahead of the clock, as the fault workflow's time rules ask."""
    start = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0)
    return (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def repair_forms() -> list[dict]:
    """What the bureau's handler types at 接收确认, 派工, 到达现场 and 抢修完成 of a fault order."""
    return [
        {},
        {"抢修人员": "张师傅", "派工时间": crew_time(0)},
        {"到达时间": crew_time(1), "产权": "供电公司"},
        {"完成时间": crew_time(2), "处理描述": "更换保险"},
    ]


REPLY = {"处理意见": "已修复", "回复内容": "已恢复供电", "客户满意": "满意"}


async def to_visit_back(agent, handler, order: dict, forms: list[dict] | None = None) -> dict:
    """A fault order repaired by ``handler`` (``forms``: ``repair_forms()``) and replied to by
    ``agent`` who took it: its view at the team leader's 满意度回访 step."""
    for form in forms or repair_forms():
        await act(handler, order, body={"form": form})
    return await act(agent, order, body={"form": REPLY})


async def test_the_intake_form_offers_each_category_with_its_fields(client):
    await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    fault = next(c for c in spec["categories"] if c["workflow"] == "fault_repair")
    fields = {f["name"]: f["permission"] for f in fault["fields"]}
    assert fields["故障地址"] == "required" and fields["故障名称"] == "editable"
    assert "抢修人员" not in fields  # hidden at the create step
    consult = next(c for c in spec["categories"] if c["workflow"] == "consult")
    assert consult["one_step"] is True and fault["one_step"] is False


async def test_save_and_done_routes_a_fault_order_to_the_bureau_handler(client, aiohttp_client, world):
    token = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={
            "workflow": "fault_repair",
            "subcategory": "fault_lv",
            "form": FAULT,
            "caller_number": "13800138000",
            "submit": True,
        },
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    assert order["status"] == "已流转" and order["number"].startswith("GZ")
    assert [h["staff_no"] for h in order["handlers"]] == ["2001"]
    assert order["actions"] == []  # it is the handler's step now, not the agent's
    statuses = [e["status"] for e in order["timeline"] if e["kind"] == "status"]
    assert statuses == ["已受理", "已流转"]

    handler = await aiohttp_client(client.server)
    htoken = await login(handler, "2001")
    seen = await (await handler.get(f"/api/orders/{order['number']}")).json()
    # 接收确认 is an approve step: 批准 (提交 does the same) or 退单 back to 受理
    assert seen["my_step"] is True and seen["actions"] == ["save", "approve", "reject"]
    ack = await handler.post(
        f"/api/orders/{order['id']}/submit", json={"opinion": "已接收"}, headers={"X-CSRF-Token": htoken}
    )
    assert (await ack.json())["status"] == "接收确认"
    missing = await handler.post(
        f"/api/orders/{order['id']}/submit", json={}, headers={"X-CSRF-Token": htoken}
    )
    body = await missing.json()
    assert missing.status == 422 and body["error_id"] == "invalid_fields"
    assert body["details"]["problems"]["抢修人员"] == "field_required"


async def test_a_required_field_left_empty_is_refused_and_nothing_is_saved(client):
    token = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "form": {"故障名称": "x"}},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status == 422
    body = await resp.json()
    assert body["error_id"] == "invalid_fields"
    assert "故障地址" in body["details"]["problems"]


async def test_the_agent_may_not_act_on_a_step_that_is_not_theirs(client):
    token = await login(client, "1001")
    order = await (
        await client.post(
            "/api/orders",
            json={"workflow": "fault_repair", "subcategory": "fault_lv", "form": FAULT},
            headers={"X-CSRF-Token": token},
        )
    ).json()
    resp = await client.post(f"/api/orders/{order['id']}/submit", json={}, headers={"X-CSRF-Token": token})
    assert resp.status == 409
    assert (await resp.json())["error_id"] == "not_your_step"


async def test_a_handler_may_not_create_orders(client):
    token = await login(client, "2001")
    resp = await client.post(
        "/api/orders", json={"workflow": "consult", "form": {}}, headers={"X-CSRF-Token": token}
    )
    assert resp.status == 403 and (await resp.json())["error_id"] == "role.forbidden"


async def test_routing_reaches_the_handlers_socket(client, aiohttp_client, world):
    import asyncio
    import json

    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    token = await login(client, "1001")
    async with handler.ws_connect("/ws") as ws:
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        await client.post(
            "/api/orders",
            json={"workflow": "fault_repair", "subcategory": "fault_lv", "form": FAULT},
            headers={"X-CSRF-Token": token},
        )

        async def routed():
            while True:
                msg = json.loads((await ws.receive()).data)
                if msg["type"] == "order" and msg["event"]["event"] == "TicketRouted":
                    return msg

        msg = await asyncio.wait_for(routed(), 3)
        assert msg["event"]["handlers"] == ["2001"]


async def test_the_whole_fault_flow_through_the_console_api_ends_in_a_visit_back_complaint(
    client, aiohttp_client
):
    agent = await Session.signed_in(client, "1001")
    agent_token = agent.token
    order = await new_order(agent, form=FAULT)
    handler = await aiohttp_client(client.server)
    h_token = await login(handler, "2001")
    leader = await aiohttp_client(client.server)
    l_token = await login(leader, "3001")

    async def step(who, token, body, expect_status):
        resp = await who.post(f"/api/orders/{order['id']}/submit", json=body, headers={"X-CSRF-Token": token})
        view = await resp.json()
        assert resp.status == 200, view
        assert view["status"] == expect_status, view
        return view

    await step(handler, h_token, {"opinion": "收到"}, "接收确认")
    await step(handler, h_token, {"form": {"抢修人员": "张师傅", "派工时间": crew_time(0)}}, "已派工")
    await step(handler, h_token, {"form": {"到达时间": crew_time(1), "产权": "供电公司"}}, "正在现场抢修")
    view = await step(
        handler, h_token, {"form": {"完成时间": crew_time(2), "处理描述": "更换保险"}}, "抢修完成"
    )
    # 需要回复客户 was ticked at intake: the reply step goes back to the agent who took the call
    assert [h["staff_no"] for h in view["handlers"]] == ["1001"]
    mine = await (await client.get("/api/orders", params={"list": "to_reply"})).json()
    assert [o["number"] for o in mine["items"]] == [order["number"]]
    await step(client, agent_token, {"form": REPLY}, "全部处理完毕")
    # the team leader's visit-back: a complaint raised there becomes a new linked complaint order;
    # the 满意度回访 panel is the step's form: the survey and the step's fields complete it at once
    survey = await (await leader.get(f"/api/orders/{order['id']}/survey")).json()
    unhappy = {d["name"]: d["options"][-1]["label"] for d in survey["dimensions"]}
    resp = await leader.post(
        f"/api/orders/{order['id']}/survey",
        json={"answers": unhappy, "form": {"回访意见": "来得太慢", "是否投诉": True}},
        headers={"X-CSRF-Token": l_token},
    )
    done = await resp.json()
    assert resp.status == 201 and done["completed"] is True and done["status"] == "已回访", done
    final = await (await leader.get(f"/api/orders/{order['id']}")).json()
    assert {f["name"]: f["value"] for f in final["form"]}["回访满意度"] == "不满意"
    assert final["is_open"] is False and final["actions"] == []
    complaints = await (await leader.get("/api/orders", params={"category": "complaint"})).json()
    assert complaints["total"] == 1
    assert any(e["kind"] == "status" and e["status"] == "已回访" for e in final["timeline"])


async def test_the_timeline_keeps_every_status_change_of_a_re_dispatch_loop(client, aiohttp_client):
    agent = await Session.signed_in(client, "1001")
    agent_token = agent.token
    order = await new_order(agent, form=FAULT)
    handler = await aiohttp_client(client.server)
    h_token = await login(handler, "2001")

    async def step(who, token, form=None):
        resp = await who.post(
            f"/api/orders/{order['id']}/submit", json={"form": form or {}}, headers={"X-CSRF-Token": token}
        )
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def repair_once():
        for form in repair_forms()[1:]:  # 派工, 到达现场, 抢修完成
            await step(handler, h_token, form)

    await step(handler, h_token)  # 接收确认
    await repair_once()
    redo = {"处理意见": "已回电", "回复内容": "已修复", "客户满意": "不满意"}
    assert (await step(client, agent_token, redo))["status"] == "接收确认"  # re-dispatch
    await repair_once()
    view = await step(client, agent_token, {**redo, "客户满意": "满意"})
    changes = [e for e in view["timeline"] if e["kind"] == "status"]
    assert [e["status"] for e in changes] == [
        "已受理",
        "已流转",
        "接收确认",
        "已派工",
        "正在现场抢修",
        "抢修完成",
        "接收确认",
        "已派工",
        "正在现场抢修",
        "抢修完成",
        "全部处理完毕",
    ]
    assert [e["at"] for e in changes] == sorted(e["at"] for e in changes)


async def test_a_subcategory_brings_its_own_form_to_intake(client):
    token = await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    service = next(c for c in spec["categories"] if c["workflow"] == "service_application")
    hv = next(s for s in service["subcategories"] if s["code"] == "svc_hv_new")
    assert {f["name"] for f in hv["fields"]} == {"受电变压器容量", "用电性质"}
    form = {
        f["name"]: (
            f["options"][0]
            if f["type"] == "select"
            else 1
            if f["type"] == "number"
            else "HD"
            if f["type"] == "site"
            else "x"
        )
        for f in service["fields"]
        if f["permission"] == "required"
    }
    form.update({"受电变压器容量": 800, "用电性质": "工业"})
    resp = await client.post(
        "/api/orders",
        json={"workflow": "service_application", "subcategory": "svc_hv_new", "form": form, "submit": False},
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    assert {f["name"]: f["value"] for f in order["form"]}["受电变压器容量"] == 800


async def test_a_dissatisfied_visit_back_survey_opens_a_linked_complaint(client, aiohttp_client):
    agent = await Session.signed_in(client, "1001")
    token = agent.token
    order = await new_order(agent, form=FAULT)
    survey = await (await client.get(f"/api/orders/{order['id']}/survey")).json()
    assert [d["name"] for d in survey["dimensions"]] == ["服务技能", "服务礼仪", "抢修时效", "综合评价"]
    answers = {d["name"]: d["options"][-1]["label"] for d in survey["dimensions"]}
    refused = await client.post(
        f"/api/orders/{order['id']}/survey", json={"answers": answers}, headers={"X-CSRF-Token": token}
    )
    assert (
        refused.status == 403 and (await refused.json())["error_id"] == "role.forbidden"
    )  # agents don't visit back

    leader = await aiohttp_client(client.server)
    l_token = await login(leader, "3001")
    early = await leader.post(
        f"/api/orders/{order['id']}/survey", json={"answers": answers}, headers={"X-CSRF-Token": l_token}
    )
    body = await early.json()
    assert early.status == 409 and body["error_id"] == "survey_not_due", body  # nothing repaired yet
    assert body["message"].startswith("工单尚未到满意度回访环节")
    view = await to_visit_back(agent, await sign_in(aiohttp_client, client, "2001"), order)
    assert view["node"]["id"] == "visit"  # the team leader's 满意度回访 step
    assert (
        survey["due"] is False
        and (await (await leader.get(f"/api/orders/{order['id']}/survey")).json())["due"]
    )
    partial = await leader.post(
        f"/api/orders/{order['id']}/survey",
        json={"answers": {"服务技能": "满意"}},
        headers={"X-CSRF-Token": l_token},
    )
    assert partial.status == 422 and (await partial.json())["error_id"] == "survey_invalid"
    resp = await leader.post(
        f"/api/orders/{order['id']}/survey",
        json={"answers": answers, "remark": "太慢"},
        headers={"X-CSRF-Token": l_token},
    )
    body = await resp.json()
    assert resp.status == 201, body
    (result,) = body["results"]
    assert result["satisfied"] is False and result["follow_up"].startswith("TS")


async def test_the_order_page_is_an_error_page_for_a_missing_or_unreachable_order(client, aiohttp_client):
    token = await login(client, "1001")
    consult = await (
        await client.post(
            "/api/orders",
            json={
                "workflow": "consult",
                "form": {"咨询内容": "电价", "答复内容": "已答复"},
                "caller_number": "13800138000",
            },
            headers={"X-CSRF-Token": token},
        )
    ).json()
    page = await client.get(f"/orders/{consult['number']}")
    html = await page.text()
    assert page.status == 200 and 'data-may-dial="true"' in html and 'data-may-fax="true"' in html
    missing = await client.get("/orders/999999")
    assert missing.status == 404 and 'id="order-fields"' not in await missing.text()

    # the bureau's handler sees only the bureau's orders, and is offered no call or fax
    handler = await aiohttp_client(client.server)
    await login(handler, "2001")
    refused = await handler.get(f"/orders/{consult['number']}")
    assert refused.status == 403 and 'id="order-fields"' not in await refused.text()
    fault = await (
        await client.post(
            "/api/orders",
            json={"workflow": "fault_repair", "subcategory": "fault_lv", "form": FAULT, "submit": True},
            headers={"X-CSRF-Token": token},
        )
    ).json()
    theirs = await (await handler.get(f"/orders/{fault['number']}")).text()
    assert 'data-may-dial="false"' in theirs and 'data-may-fax="false"' in theirs


async def test_an_orders_subcategory_is_shown_by_its_name_not_its_code(client):
    token = await login(client, "1001")
    resp = await client.post(
        "/api/orders",
        json={"workflow": "fault_repair", "subcategory": "fault_lv", "form": FAULT, "submit": False},
        headers={"X-CSRF-Token": token},
    )
    order = await resp.json()
    assert resp.status == 201, order
    assert order["subcategory"] == "fault_lv" and order["subcategory_name"] == "低压故障"
    again = await (await client.get(f"/api/orders/{order['number']}")).json()
    assert again["subcategory_name"] == "低压故障"
    listed = await (
        await client.get("/api/orders", params={"list": "search", "number": order["number"]})
    ).json()
    assert [(o["subcategory"], o["subcategory_name"]) for o in listed["items"]] == [("fault_lv", "低压故障")]


async def test_an_order_from_the_previous_call_banner_is_about_that_call(client, world):
    """The seat's form still holds call A while call B is on: 保存 names A (call_id), and the
    order is about A; a call the agent was never on is refused."""
    import time

    from cti.bus import InProcessBus
    from cti.call_events import CallAnswered, CallEnded, CallOffered
    from ticketing.calls import CallLinker

    bus = InProcessBus()
    linker = CallLinker(world.services.sessionmaker)
    linker.subscribe(bus)
    now = time.time()
    events = [
        CallOffered(
            call_id="call-a", agent_id="1001", caller="13800138000", queue="fault", offered_at=now - 300
        ),
        CallAnswered(call_id="call-a", agent_id="1001", caller="13800138000", answered_at=now - 295),
        CallEnded(
            call_id="call-a",
            direction="inbound",
            outcome="answered",
            caller="13800138000",
            agent_id="1001",
            started_at=now - 300,
            answered_at=now - 295,
            ended_at=now - 250,
        ),
        CallOffered(
            call_id="call-b", agent_id="1001", caller="13900139000", queue="fault", offered_at=now - 5
        ),
        CallAnswered(call_id="call-b", agent_id="1001", caller="13900139000", answered_at=now - 2),
        CallOffered(call_id="call-c", agent_id="3001", caller="13700137000", queue="fault", offered_at=now),
        CallAnswered(call_id="call-c", agent_id="3001", caller="13700137000", answered_at=now + 1),
    ]
    for event in events:
        await bus.publish(event)
    await bus.drain()
    await linker.close()
    await bus.close()

    token = await login(client, "1001")
    form_for_a = {
        "workflow": "fault_repair",
        "subcategory": "fault_lv",
        "form": FAULT,
        "caller_number": "13800138000",
        "call_id": "call-a",
    }
    resp = await client.post("/api/orders", json=form_for_a, headers={"X-CSRF-Token": token})
    order = await resp.json()
    assert resp.status == 201, order
    calls = [e["number"] for e in order["timeline"] if e["kind"] == "call"]
    assert calls == ["13800138000"]  # call A's, not call B's (13900139000)

    theirs = await client.post(
        "/api/orders", json={**form_for_a, "call_id": "call-c"}, headers={"X-CSRF-Token": token}
    )
    body = await theirs.json()
    assert theirs.status == 403 and body["error_id"] == "call.forbidden"
