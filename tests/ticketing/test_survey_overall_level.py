"""The visit-back's overall level, as a 95598 centre counts its 满意率: the customer's 综合评价 when
the questionnaire asks it (QA item 17: 抢修时效 不满意 with 综合评价 满意 read 满意率 0 % and set the
order's 回访满意度 to 不满意); without that dimension, satisfied only with every dimension satisfied.
The order's level, the survey, the complaint and the report agree; a survey stored before keeps the
level it was stored with."""

from __future__ import annotations

from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import at, fault
from ticketing import submit_step
from ticketing.models import OrderLink, SurveyResult, WorkOrder
from ticketing.reports import satisfaction
from ticketing.surveys import add_dimension, overall_rule, record_survey


async def test_the_overall_answer_decides_and_the_order_and_report_agree(session, seeded):
    leader = seeded.users["2001"]
    order = await fault(session, seeded, at(24, 9), visit=True)
    answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "不满意", "综合评价": "满意"}
    result = await record_survey(session, leader, order, answers)
    assert result.satisfied and result.follow_up_order_id is None
    assert await session.scalar(select(OrderLink).where(OrderLink.from_order_id == order.id)) is None
    await submit_step(session, leader, order, now=at(24, 13))
    assert order.form["回访满意度"] == "满意"
    report = await satisfaction(session)
    assert (report["total"], report["satisfied"], report["rate"]) == (1, 1, 1.0)
    # the unhappy dimension is still counted, under its own name
    assert report["by_dimension"]["抢修时效"] == {"不满意": 1}

    # 综合评价 不满意 with every other dimension 满意: an unhappy customer, and a complaint
    unhappy = await fault(session, seeded, at(24, 10), visit=True)
    answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "不满意"}
    result = await record_survey(session, leader, unhappy, answers)
    assert not result.satisfied
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    assert complaint.form["投诉内容"] == "回访不满意（综合评价：不满意）"
    await submit_step(session, leader, unhappy, now=at(24, 14))
    assert unhappy.form["回访满意度"] == "不满意"
    report = await satisfaction(session)
    assert (report["total"], report["satisfied"], report["rate"]) == (2, 1, 0.5)


async def test_without_an_overall_dimension_any_unhappy_answer_decides(session, seeded):
    gz = seeded.sites["440100"].id
    for name in ("到场速度", "服务态度"):
        await add_dimension(
            session,
            seeded.users["9001"],
            "fault",
            name,
            [{"label": "满意", "satisfied": True}, {"label": "不满意", "satisfied": False}],
            site_id=gz,
        )
    order = await fault(session, seeded, at(24, 9), visit=True)
    result = await record_survey(
        session, seeded.users["2001"], order, {"到场速度": "不满意", "服务态度": "满意"}
    )
    assert not result.satisfied and result.follow_up_order_id is not None
    await submit_step(session, seeded.users["2001"], order, now=at(24, 13))
    assert order.form["回访满意度"] == "不满意"


def test_the_rule_is_named_for_the_panel():
    assert overall_rule(["服务技能", "综合评价"]) == "overall_dimension"
    assert overall_rule({"到场速度": None}) == "every_dimension"


async def test_a_survey_stored_before_keeps_its_level(session, seeded):
    # stored under the former rule (one 不满意 made it unhappy) with the order's step set to 不满意:
    # the report still reads it as stored, so it and the order say the same
    order = await fault(session, seeded, at(23, 9), visit=True)
    answers = {"服务技能": "满意", "服务礼仪": "满意", "抢修时效": "不满意", "综合评价": "满意"}
    session.add(
        SurveyResult(order_id=order.id, user_id=seeded.users["2001"].id, answers=answers, satisfied=False)
    )
    await session.flush()
    await submit_step(session, seeded.users["2001"], order, now=at(23, 13))
    assert order.form["回访满意度"] == "不满意"
    report = await satisfaction(session)
    assert (report["total"], report["satisfied"]) == (1, 0)
