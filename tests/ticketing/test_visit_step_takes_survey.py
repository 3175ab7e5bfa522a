"""One visit-back per order: the 满意度回访 step cannot be done without the survey, takes its
satisfaction from it (never a second answer beside it), and the satisfaction report counts
every visited order, those visited back by the step alone before this (no survey) too."""

import pytest
from sqlalchemy import func, select

from tests.ticketing.test_surveys_and_reports import HAPPY, at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
from ticketing import ActionRefused, approve, create_order, submit_step
from ticketing import surveys as surveys_module
from ticketing.models import SurveyResult, WorkOrder
from ticketing.reports import satisfaction
from ticketing.surveys import record_survey, visit_back
from ticketing.workflow.actions import force_archive


async def test_the_visit_step_is_refused_until_the_survey_is_recorded(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    # QA's case: the step's 回访满意度 alone archived the order and the survey was never taken
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, leader, order, form={"回访满意度": "满意"})
    assert refused.value.error_id == "survey_required"
    assert order.is_open and order.current_node == "visit" and "回访满意度" not in order.form

    await record_survey(session, leader, order, {**HAPPY, "综合评价": "非常满意"})
    await submit_step(session, leader, order)  # nothing to choose: the survey's level
    assert order.status == "已回访" and not order.is_open
    assert order.form["回访满意度"] == "非常满意"  # the survey's 综合评价, one of the step's options


async def test_the_step_cannot_contradict_the_survey(session, seeded):
    leader = seeded.users["2001"]
    happy = await at_visit_step(session, seeded, at(24, 9))
    await record_survey(session, leader, happy, HAPPY)
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, leader, happy, form={"回访满意度": "不满意"})
    assert refused.value.error_id == "survey_disagrees" and happy.is_open
    await submit_step(session, leader, happy, form={"回访满意度": "一般"})  # a level it agrees with
    assert happy.form["回访满意度"] == "一般"

    unhappy = await at_visit_step(session, seeded, at(24, 13))
    await record_survey(session, leader, unhappy, UNHAPPY)
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, leader, unhappy, form={"回访满意度": "满意"})
    assert refused.value.error_id == "survey_disagrees"
    await submit_step(session, leader, unhappy)
    assert unhappy.form["回访满意度"] == "不满意"
    assert len(await complaints_of(session, unhappy)) == 1  # the survey's, the step adds none


async def test_visit_back_records_the_survey_and_completes_the_step_with_one_complaint(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    result, completed = await visit_back(
        session, leader, order, UNHAPPY, remark="师傅迟到", form={"是否投诉": True, "回访满意度": "满意"}
    )
    assert completed and order.status == "已回访" and not order.is_open
    # the panel's answers, not a dropdown's: 不满意; the remark is the step's 回访意见
    assert order.form["回访满意度"] == "不满意" and order.form["回访意见"] == "师傅迟到"
    (complaint,) = await complaints_of(session, order)
    assert result.follow_up_order_id == complaint.id
    assert complaint.form["投诉内容"] == "师傅迟到\n回访不满意（服务技能：不满意、综合评价：不满意）"
    assert await session.scalar(select(func.count()).where(SurveyResult.order_id == order.id)) == 1


async def test_someone_not_at_the_step_only_records_the_survey(session, seeded):
    order = await at_visit_step(session, seeded, at(24, 9))
    _, completed = await visit_back(session, seeded.users["3001"], order, HAPPY)  # not its handler
    assert not completed and order.is_open and order.current_node == "visit"
    await submit_step(session, seeded.users["2001"], order)
    assert order.form["回访满意度"] == "满意" and not order.is_open


async def test_the_after_sales_visit_step_takes_its_result_from_the_survey(session, seeded):
    u = seeded.users
    order = await create_order(
        session,
        u["1001"],
        workflow="aftersales_repair",
        site_id=seeded.sites["440100"].id,
        form={"产品型号": "KFR-35", "故障描述": "不制冷", "上门地址": "天河路1号", "保内": True},
    )
    for who, form in (
        ("5101", {"预约时间": "2026-11-25T14:00", "维修人员": "王师傅"}),
        ("5101", {"维修记录": "补充冷媒"}),
    ):
        await submit_step(session, u[who], order, form=form)
    await approve(session, u["3001"], order, form={"验收结果": "合格"})
    await submit_step(session, u["5101"], order, form={"费用": 0})
    assert order.current_node == "visit" and order.status == "待回访"
    leader = u["2001"]
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, leader, order, form={"回访结果": "满意"})
    assert refused.value.error_id == "survey_required"
    _, completed = await visit_back(session, leader, order, {"服务技能": "满意", "综合评价": "不满意"})
    assert completed and order.status == "已完成" and order.form["回访结果"] == "不满意"


async def test_the_report_counts_every_visited_order_once(session, seeded, monkeypatch):
    leader = seeded.users["2001"]
    # visited back by the step alone before the fix: no survey row, only the step's 回访满意度
    legacy = await at_visit_step(session, seeded, at(23, 9))
    with monkeypatch.context() as old_code:
        old_code.setattr(surveys_module, "step_form", _as_before)
        await submit_step(session, leader, legacy, form={"回访满意度": "满意"}, now=at(23, 15))
    assert not legacy.is_open
    # visited back now: the survey, dissatisfied
    surveyed = await at_visit_step(session, seeded, at(24, 9))
    await visit_back(session, leader, surveyed, UNHAPPY)
    # force-archived with 回访满意度 typed but never visited back: not counted
    skipped = await at_visit_step(session, seeded, at(24, 13))
    skipped.form = {**skipped.form, "回访满意度": "满意"}
    await force_archive(session, seeded.users["3001"], skipped, opinion="联系不上客户")

    found = await satisfaction(session)
    assert (found["total"], found["satisfied"], found["rate"]) == (2, 1, 0.5)
    assert found["by_dimension"]["回访满意度"] == {"满意": 1}  # the legacy order, by its step
    assert found["by_dimension"]["服务技能"] == {"不满意": 1}
    # the step-only order is counted on the day its visit step was done, in the viewer's sites
    assert (await satisfaction(session, start=at(24, 0)))["total"] == 1
    assert (await satisfaction(session, end=at(24, 0)))["total"] == 1
    assert (await satisfaction(session, site_id=seeded.sites["440300"].id))["total"] == 0
    assert (await satisfaction(session, viewer=seeded.users["5201"]))["total"] == 0
    assert (
        await session.scalar(select(func.count(WorkOrder.id)).where(WorkOrder.category == "complaint")) == 1
    )


async def _as_before(session, order, definition, node, form, submitted=None):
    """The visit step as it was: its own 回访满意度, no survey asked for."""
    return form


def test_the_step_level_follows_the_survey():
    options = ["非常满意", "满意", "一般", "不满意"]
    assert surveys_module.step_level(options, SurveyResult(satisfied=False, answers={})) == "不满意"
    assert (
        surveys_module.step_level(options, SurveyResult(satisfied=True, answers={"综合评价": "一般"}))
        == "一般"
    )
    assert surveys_module.step_level(["满意", "不满意"], SurveyResult(satisfied=True, answers={})) == "满意"
