"""A visit-back survey only when the order is due one: at its 满意度回访 step or closed."""

import pytest
from sqlalchemy import func, select

from tests.ticketing.test_surveys_and_reports import at, fault
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step
from ticketing import ActionRefused
from ticketing.models import AuditLog, SurveyResult, WorkOrder
from ticketing.surveys import record_survey, survey_due
from ticketing.workflow.actions import force_archive

HAPPY = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "满意"}


async def test_an_order_not_yet_at_its_visit_back_step_is_not_surveyed(session, seeded):
    leader = seeded.users["2001"]
    order = await fault(session, seeded, at(24, 9))  # routed, not even acknowledged
    assert order.is_open and order.current_node != "visit" and not survey_due(order)
    for answers in (HAPPY, UNHAPPY):
        with pytest.raises(ActionRefused) as refused:
            await record_survey(session, leader, order, answers)
        assert refused.value.error_id == "survey_not_due"
    assert not await session.scalar(select(func.count()).where(SurveyResult.order_id == order.id))
    # a dissatisfied answer opened no complaint about a fault still being repaired
    assert not await session.scalar(select(func.count(WorkOrder.id)).where(WorkOrder.category == "complaint"))
    assert not await session.scalar(select(func.count()).where(AuditLog.action == "survey.record"))


async def test_the_survey_is_taken_at_the_visit_back_step_and_after_closing(session, seeded):
    leader = seeded.users["2001"]
    visiting = await at_visit_step(session, seeded, at(24, 9))
    assert survey_due(visiting)
    assert (await record_survey(session, leader, visiting, HAPPY)).satisfied
    # 强制归档 at the visit step (its level saved by hand): closed with no survey, surveyed after
    closed = await at_visit_step(session, seeded, at(24, 13))
    closed.form = {**closed.form, "回访满意度": "满意"}
    await force_archive(session, seeded.users["3001"], closed, opinion="客户电话无人接听")
    assert not closed.is_open and survey_due(closed)
    assert (await record_survey(session, leader, closed, HAPPY)).satisfied
