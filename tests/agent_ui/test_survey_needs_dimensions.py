"""QA: an empty survey of a 信息咨询 order (a category with no visit-back dimensions) was stored
as satisfied and counted by 满意度回访结果 (50 % where the true rate was 0 %), and its survey
panel said due. Such a category is not visited back: not due, refused in words, not counted."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.agent_ui.conftest import Session, new_order
from tests.agent_ui.test_orders import FAULT, to_visit_back
from ticketing.models import SurveyResult


async def test_a_category_without_dimensions_is_not_visited_back(client, aiohttp_client, world):
    agent = await Session.signed_in(await aiohttp_client(client.server), "1001")
    consult = await new_order(
        agent, workflow="consult", form={"咨询内容": "峰谷电价何时执行", "答复内容": "每日 8 点起为峰时"}
    )
    leader = await Session.signed_in(client, "3001")  # this world's team leader
    status, view = await leader.call("GET", f"/api/orders/{consult['id']}")
    assert status == 200 and view["is_open"] is False  # 保存,处理完毕: closed at once

    status, survey = await leader.call("GET", f"/api/orders/{consult['id']}/survey")
    assert status == 200 and survey["dimensions"] == [] and survey["due"] is False
    for answers in ({}, {"综合评价": "满意"}):
        status, refused = await leader.call(
            "POST", f"/api/orders/{consult['id']}/survey", {"answers": answers}
        )
        assert status == 409, refused  # as survey_not_due
        assert refused["error_id"] == "survey_not_surveyed"
        assert "不进行满意度回访" in refused["message"]
    async with world.services.sessionmaker() as db:
        assert not await db.scalar(select(func.count(SurveyResult.id)))

    # a fault order visited back dissatisfied: the report's rate is 0 %, not 50 %
    fault = await new_order(agent, form=FAULT)
    handler = await Session.signed_in(await aiohttp_client(client.server), "2001")  # HD's handler
    await to_visit_back(agent, handler, fault)
    status, survey = await leader.call("GET", f"/api/orders/{fault['id']}/survey")
    assert survey["due"] is True
    unhappy = {d["name"]: "不满意" for d in survey["dimensions"]}
    status, done = await leader.call("POST", f"/api/orders/{fault['id']}/survey", {"answers": unhappy})
    assert status == 201, done
    status, report = await leader.call("GET", "/api/reports/satisfaction")
    assert status == 200, report
    assert (report["summary"]["total"], report["summary"]["satisfied"]) == (1, 0)
    # its chart: a bar for each dimension's answer, named by both, as long as its count
    (chart,) = report["charts"]
    assert chart["labels"] and chart["labels"] == [f"{dim} {answer}" for dim, answer, _ in report["rows"]]
    assert chart["series"][0]["values"] == [n for _, _, n in report["rows"]]
