"""One 回访意见 per visit-back (QA): the order page had two inputs, the step form's 回访意见 and the
survey panel's, saved to different records. The archived order kept the form's words, the survey
and the complaint it opened the panel's, and the complaint's timeline quoted the form's beside
them. The survey's remark is now the step's 回访意见: taken from it, refused when the step names
other words, and a remark given only as the form's 回访意见 is the survey's too."""

import pytest
from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import HAPPY, at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
from tests.ticketing.test_visit_back_opinion import annotations
from ticketing import ActionRefused, submit_step
from ticketing.models import SurveyResult
from ticketing.surveys import record_survey, visit_back


async def test_the_panels_remark_is_the_orders_the_surveys_and_the_complaints(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    result, completed = await visit_back(session, leader, order, UNHAPPY, remark="面板里的回访意见")
    assert completed and not order.is_open
    assert order.form["回访意见"] == result.remark == "面板里的回访意见"
    (complaint,) = await complaints_of(session, order)
    assert complaint.form["投诉内容"].startswith("面板里的回访意见\n")
    assert await annotations(session, complaint) == []  # nothing beside it in other words


async def test_the_step_cannot_say_other_words_than_the_survey(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    # QA's case: both boxes typed, differently
    with pytest.raises(ActionRefused) as refused:
        await visit_back(
            session, leader, order, UNHAPPY, remark="面板里的回访意见", form={"回访意见": "表单里的回访意见"}
        )
    assert refused.value.error_id == "survey_remark_disagrees"
    assert refused.value.details == {"field": "回访意见"}


async def test_the_step_takes_the_remark_of_a_survey_recorded_before(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 13))
    await record_survey(session, seeded.users["3001"], order, HAPPY, remark="客户说师傅很专业")
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, leader, order, form={"回访意见": "另写的意见"})
    assert refused.value.error_id == "survey_remark_disagrees" and order.is_open
    # the same words, or none: the survey's remark is the step's
    await submit_step(session, leader, order, form={"回访意见": "客户说师傅很专业 "})
    assert order.form["回访意见"] == "客户说师傅很专业" and not order.is_open


async def test_a_remark_given_only_as_the_forms_is_the_surveys(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    result, completed = await visit_back(session, leader, order, UNHAPPY, form={"回访意见": "抢修太慢"})
    assert completed and result.remark == order.form["回访意见"] == "抢修太慢"
    (complaint,) = await complaints_of(session, order)
    assert complaint.form["投诉内容"].startswith("抢修太慢\n")
    stored = await session.scalar(select(SurveyResult.remark).where(SurveyResult.order_id == order.id))
    assert stored == "抢修太慢"


async def test_a_survey_without_a_remark_leaves_the_field_to_the_step(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    await record_survey(session, seeded.users["3001"], order, HAPPY)
    await submit_step(session, leader, order, form={"回访意见": "客户希望提前通知"})
    assert order.form["回访意见"] == "客户希望提前通知"
