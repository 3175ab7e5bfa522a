"""QA: the visit-back done through the 满意度回访 step lost the survey. The step is refused
until the survey is recorded; the order page's survey panel is the step's form (posting it
completes the step), and the satisfaction report counts the visited order."""

from __future__ import annotations

from tests.agent_ui.conftest import Session, login, new_order, sign_in
from tests.agent_ui.test_orders import FAULT, to_visit_back


async def at_the_visit_step(client, aiohttp_client):
    agent = await Session.signed_in(client, "1001")
    order = await new_order(agent, form=FAULT)
    await to_visit_back(agent, await sign_in(aiohttp_client, client, "2001"), order)
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
