"""A closed fault order through the API: its recorded fields read-only, and the complaint its
visit-back opened linked both ways (来源工单 / 关联工单), one complaint however often it is surveyed."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, login, new_order, sign_in
from tests.agent_ui.test_orders import FAULT, REPLY, repair_forms, to_visit_back


async def closed_with_complaint(client, aiohttp_client):
    """A fault order through every step; the team leader's visit-back is 不满意 with 是否投诉."""
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, form=FAULT)
    handler = await sign_in(aiohttp_client, client, "2001")
    leader = await aiohttp_client(client.server)
    l_token = await login(leader, "3001")
    forms = repair_forms()
    typed = {k: v for form in (*forms, REPLY) for k, v in form.items()}
    await to_visit_back(agent, handler, order, forms)
    # the visit-back: the survey is the step's form (回访满意度 is the survey's: 不满意)
    url = f"/api/orders/{order['id']}/survey"
    survey = await (await leader.get(url)).json()
    unhappy = {d["name"]: d["options"][-1]["label"] for d in survey["dimensions"]}
    resp = await leader.post(
        url,
        json={"answers": unhappy, "form": {"回访意见": "来得太慢", "是否投诉": True}},
        headers={"X-CSRF-Token": l_token},
    )
    assert resp.status == 201 and (await resp.json())["completed"] is True
    view = await (await leader.get(f"/api/orders/{order['id']}")).json()
    view["typed"] = typed
    return view, leader, l_token


async def test_a_closed_order_shows_every_recorded_field_read_only(client, aiohttp_client):
    closed, _leader, _token = await closed_with_complaint(client, aiohttp_client)
    assert closed["is_open"] is False and closed["actions"] == []
    fields = {f["name"]: f for f in closed["form"]}
    assert {f["permission"] for f in fields.values()} == {"visible"}  # no star, nothing to edit
    assert {
        n: fields[n]["value"]
        for n in ("抢修人员", "派工时间", "到达时间", "回复内容", "回访满意度", "故障地址")
    } == {
        "抢修人员": "张师傅",
        "派工时间": closed["typed"]["派工时间"],
        "到达时间": closed["typed"]["到达时间"],
        "回复内容": "已恢复供电",
        "回访满意度": "不满意",
        "故障地址": FAULT["故障地址"],
    }
    assert "车辆" not in fields  # never filled in: nothing recorded to show


async def test_the_visit_back_complaint_is_linked_both_ways_and_surveyed_once(client, aiohttp_client):
    closed, leader, token = await closed_with_complaint(client, aiohttp_client)
    (link,) = closed["links"]
    assert (link["role"], link["kind"]) == ("linked", "follow_up_complaint") and link["number"].startswith(
        "TS"
    )
    complaint = await (await leader.get(f"/api/orders/{link['number']}")).json()
    assert complaint["links"] == [
        {
            "role": "source",
            "kind": "follow_up_complaint",
            "id": closed["id"],
            "number": closed["number"],
            "category": "fault",
            "status": "已回访",
            "title": closed["title"],
            "is_open": False,
        }
    ]
    form = {f["name"]: f["value"] for f in complaint["form"]}
    assert (
        form["标题"] == complaint["title"] == f"回访不满意：{closed['number']}" and form["所属区域"] == "HD"
    )

    url = f"/api/orders/{closed['id']}/survey"
    survey = await (await leader.get(url)).json()
    unhappy = {d["name"]: d["options"][-1]["label"] for d in survey["dimensions"]}
    # the survey's complaint is the step's too, not a second one
    assert [r["follow_up"] for r in survey["results"]] == [link["number"]] and survey["due"] is False
    again = await leader.post(
        url, json={"answers": unhappy, "remark": "再问一次"}, headers={"X-CSRF-Token": token}
    )
    assert again.status == 409 and (await again.json())["error_id"] == "survey_recorded"
    complaints = await (await leader.get("/api/orders", params={"category": "complaint"})).json()
    assert complaints["total"] == 1
