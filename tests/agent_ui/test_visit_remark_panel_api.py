"""The order page's 满意度回访 panel has the one 回访意见 input (QA): the survey names the step's
field it feeds (remark_field, shown read-only in the form beside 回访满意度), and a visit-back
posted with the form's 回访意见 in other words than the panel's remark is refused, nothing of it
kept, rather than the archived order, the survey and the complaint each holding different words."""

from __future__ import annotations

from tests.agent_ui.test_visit_step_survey_api import at_the_visit_step


async def test_the_panels_remark_is_the_steps_回访意见(client, aiohttp_client):
    order, leader, token = await at_the_visit_step(client, aiohttp_client)
    url = f"/api/orders/{order['id']}"
    survey = await (await leader.get(f"{url}/survey")).json()
    assert (survey["step_field"], survey["remark_field"]) == ("回访满意度", "回访意见")
    unhappy = {d["name"]: d["options"][-1]["label"] for d in survey["dimensions"]}

    async def visit_back(body: dict) -> tuple[int, dict]:
        resp = await leader.post(f"{url}/survey", json=body, headers={"X-CSRF-Token": token})
        return resp.status, await resp.json()

    status, refused = await visit_back(
        {"answers": unhappy, "remark": "面板里的回访意见", "form": {"回访意见": "表单里的回访意见"}}
    )
    assert status == 409 and refused["error_id"] == "survey_remark_disagrees", refused
    assert refused["message"] == "回访意见以已录入的满意度回访为准，不能在回访环节另填不同的内容。"
    survey = await (await leader.get(f"{url}/survey")).json()
    assert survey["results"] == [] and survey["due"] is True  # nothing recorded, no complaint

    status, done = await visit_back({"answers": unhappy, "remark": "面板里的回访意见", "opinion": "已回访"})
    assert status == 201 and done["completed"] is True, done
    assert [r["remark"] for r in done["results"]] == ["面板里的回访意见"]
    view = await (await leader.get(url)).json()
    assert {f["name"]: f["value"] for f in view["form"]}["回访意见"] == "面板里的回访意见"
    complaint = await (await leader.get(f"/api/orders/{done['results'][0]['follow_up']}")).json()
    content = {f["name"]: f["value"] for f in complaint["form"]}["投诉内容"]
    assert content.startswith("面板里的回访意见\n")
    # its 处理过程 quotes no other 回访意见 beside it
    assert not [e for e in complaint["timeline"] if e["kind"] == "comment" and e["action"] == "annotate"]
