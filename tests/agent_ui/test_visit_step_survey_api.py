"""QA: the visit-back done through the 满意度回访 step lost the survey. The step is refused
until the survey is recorded; the order page's survey panel is the step's form (posting it
completes the step), and the satisfaction report counts the visited order."""

from __future__ import annotations

from tests.agent_ui.conftest import login
from tests.agent_ui.test_orders import FAULT, crew_time


async def at_the_visit_step(client, aiohttp_client):
    agent_token = await login(client, "1001")
    order = await (
        await client.post(
            "/api/orders",
            json={"workflow": "fault_repair", "form": FAULT},
            headers={"X-CSRF-Token": agent_token},
        )
    ).json()
    handler = await aiohttp_client(client.server)
    h_token = await login(handler, "2001")
    for who, token, form in (
        (handler, h_token, {}),
        (handler, h_token, {"抢修人员": "张师傅", "派工时间": crew_time(0)}),
        (handler, h_token, {"到达时间": crew_time(1), "产权": "供电公司"}),
        (handler, h_token, {"完成时间": crew_time(2), "处理描述": "更换保险"}),
        (client, agent_token, {"处理意见": "已修复", "回复内容": "已恢复供电", "客户满意": "满意"}),
    ):
        resp = await who.post(
            f"/api/orders/{order['id']}/submit", json={"form": form}, headers={"X-CSRF-Token": token}
        )
        assert resp.status == 200, await resp.text()
    leader = await aiohttp_client(client.server)
    l_token = await login(leader, "3001")  # the visit step's handler in this world
    return order, leader, l_token


async def test_the_visit_step_needs_the_survey_and_the_panel_completes_it(client, aiohttp_client):
    order, leader, token = await at_the_visit_step(client, aiohttp_client)
    url = f"/api/orders/{order['id']}"
    # QA's request: the step's own 回访满意度, no survey → refused, the order stays at the step
    resp = await leader.post(
        f"{url}/submit", json={"form": {"回访满意度": "满意"}}, headers={"X-CSRF-Token": token}
    )
    assert resp.status == 422 and (await resp.json())["error_id"] == "survey_required"
    survey = await (await leader.get(f"{url}/survey")).json()
    assert survey["due"] is True and survey["results"] == []

    happy = {d["name"]: d["options"][0]["label"] for d in survey["dimensions"]}  # 满意 / 非常满意
    resp = await leader.post(
        f"{url}/survey",
        json={
            "answers": happy,
            "remark": "师傅很专业",
            "form": {"回访满意度": "不满意"},
            "opinion": "已回访",
        },
        headers={"X-CSRF-Token": token},
    )
    done = await resp.json()
    assert resp.status == 201, done
    assert done["completed"] is True and done["status"] == "已回访" and done["due"] is False
    assert [r["satisfied"] for r in done["results"]] == [True]
    view = await (await leader.get(url)).json()
    form = {f["name"]: f["value"] for f in view["form"]}
    # one record: the step's level is the survey's (综合评价 非常满意), never the dropdown's 不满意
    assert form["回访满意度"] == "非常满意" and form["回访意见"] == "师傅很专业"
    assert view["is_open"] is False and not view["links"]  # satisfied: no complaint

    await login(client, "9001")
    report = await (await client.get("/api/reports/satisfaction")).json()
    assert (report["summary"]["total"], report["summary"]["satisfied"]) == (1, 1)
