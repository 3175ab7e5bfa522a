"""A dissatisfied visit-back (满意度回访) opens one complaint per order, pre-filled from it,
whichever of the visit step and the survey says so first."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.ticketing.test_surveys_and_reports import HAPPY, at, fault, wall
from ticketing import ActionRefused, submit_step
from ticketing.models import AuditLog, OrderLink, SurveyResult, WorkOrder
from ticketing.surveys import record_survey

UNHAPPY = {"服务技能": "不满意", "服务礼仪": "满意", "抢修时效": "满意", "综合评价": "不满意"}


async def at_visit_step(session, seeded, now):
    """A 广州 fault order, repaired, waiting at the team leader's 满意度回访 step."""
    u = seeded.users
    order = await fault(session, seeded, now)
    await submit_step(session, u["5101"], order, now=now + dt.timedelta(minutes=10))
    for minutes, form in (
        (20, {"抢修人员": "张", "派工时间": wall(now + dt.timedelta(minutes=20))}),
        (50, {"到达时间": wall(now + dt.timedelta(minutes=50)), "产权": "客户"}),
        (120, {"完成时间": wall(now + dt.timedelta(minutes=120)), "处理描述": "换了保险丝"}),
    ):
        await submit_step(session, u["5101"], order, form=form, now=now + dt.timedelta(minutes=minutes))
    assert order.current_node == "visit"
    return order


async def complaints_of(session, order):
    return list(
        await session.scalars(
            select(WorkOrder)
            .join(OrderLink, OrderLink.to_order_id == WorkOrder.id)
            .where(OrderLink.from_order_id == order.id, OrderLink.kind == "follow_up_complaint")
        )
    )


async def test_a_dissatisfied_survey_opens_one_complaint_pre_filled_from_the_order(session, seeded):
    order = await at_visit_step(session, seeded, at(24, 9))
    leader = seeded.users["2001"]
    result = await record_survey(session, leader, order, UNHAPPY)
    (complaint,) = await complaints_of(session, order)
    assert result.follow_up_order_id == complaint.id
    assert complaint.form["所属区域"] == "440100" and complaint.site_id == order.site_id
    assert complaint.form["标题"] == complaint.title == f"回访不满意：{order.number}"
    assert complaint.form["投诉内容"] == "回访不满意（服务技能：不满意、综合评价：不满意）"
    assert (complaint.customer_id, complaint.caller_number) == (order.customer_id, order.caller_number)
    # sent on past 登记 to 报事审核 (not left in the list of whoever recorded the survey)
    assert complaint.is_open and complaint.current_node == "review"

    # posted again (a second click, another leader): refused, nothing new, the first answer stands
    with pytest.raises(ActionRefused) as again:
        await record_survey(session, leader, order, {**UNHAPPY, "综合评价": "满意"}, remark="再来一次")
    assert again.value.error_id == "survey_recorded"
    assert len(await complaints_of(session, order)) == 1
    assert await session.scalar(select(func.count()).where(SurveyResult.order_id == order.id)) == 1
    assert (
        await session.scalar(
            select(func.count()).where(
                AuditLog.action == "survey.record", AuditLog.entity_id == str(order.id)
            )
        )
        == 1
    )


async def test_the_visit_step_and_the_survey_share_one_complaint(session, seeded):
    leader = seeded.users["2001"]
    # the step cannot say 不满意 / 是否投诉 before the survey: its level is the survey's
    first = await at_visit_step(session, seeded, at(24, 9))
    with pytest.raises(ActionRefused) as refused:
        await submit_step(
            session, leader, first, form={"回访满意度": "不满意", "是否投诉": True, "回访意见": "太慢"}
        )
    assert refused.value.error_id == "survey_required"
    assert await complaints_of(session, first) == [] and first.current_node == "visit"
    # a satisfied customer who still complains (是否投诉): the step's complaint, titled and placed
    await record_survey(session, leader, first, HAPPY)
    await submit_step(session, leader, first, form={"是否投诉": True, "回访意见": "太慢"})
    (spawned,) = await complaints_of(session, first)
    assert spawned.form["标题"] == spawned.title == f"回访不满意：{first.number}"
    assert spawned.form["所属区域"] == "440100" and spawned.form["投诉内容"] == "太慢"
    assert first.form["回访满意度"] == "满意" and not first.is_open

    # the survey first, during the step: the step's dissatisfaction adds no second complaint
    second = await at_visit_step(session, seeded, at(24, 13))
    result = await record_survey(session, leader, second, UNHAPPY)
    await submit_step(session, leader, second, form={"回访满意度": "不满意", "是否投诉": True})
    assert [c.id for c in await complaints_of(session, second)] == [result.follow_up_order_id]
    assert not second.is_open


async def test_a_survey_remark_keeps_the_unhappy_dimensions_in_the_complaint(session, seeded):
    order = await at_visit_step(session, seeded, at(24, 9))
    await record_survey(session, seeded.users["2001"], order, UNHAPPY, remark="师傅迟到两小时")
    (complaint,) = await complaints_of(session, order)
    assert complaint.form["投诉内容"] == "师傅迟到两小时\n回访不满意（服务技能：不满意、综合评价：不满意）"


async def test_a_recorded_survey_closes_the_orders_visit_back_contact_so_it_is_never_dialled(session, seeded):
    from campaigns import sources, store
    from ticketing.models import CampaignContact

    order = await at_visit_step(session, seeded, at(24, 9))  # waiting at 满意度回访: due a visit-back
    order.caller_number = "13900000001"
    campaign = await store.create_campaign(session, name="满意度回访", queue="service", kind="visit_back")
    now = at(24, 18)
    assert await sources.refresh(session, campaign, now) == 1
    (contact,) = await store.due_contacts(session, campaign.id, now, 10)
    assert contact.order_id == order.id

    await record_survey(
        session, seeded.users["2001"], order, {**UNHAPPY, "服务技能": "满意", "综合评价": "满意"}
    )

    await session.refresh(contact)
    assert contact.state == "surveyed"
    assert await store.due_contacts(session, campaign.id, now, 10) == []
    assert not await store.claim(session, contact.id, agent_id="5101")
    assert (await store.progress(session, campaign.id))["states"] == {"surveyed": 1}
    assert await session.scalar(select(func.count()).where(CampaignContact.campaign_id == campaign.id)) == 1


async def test_the_dialer_pass_closes_contacts_whose_survey_was_recorded_another_way(session, seeded):
    from campaigns import sources, store

    order = await at_visit_step(session, seeded, at(24, 9))  # waiting at 满意度回访: due a visit-back
    order.caller_number = "13900000001"
    campaign = await store.create_campaign(session, name="满意度回访", queue="service", kind="visit_back")
    now = at(24, 18)
    assert await sources.refresh(session, campaign, now) == 1
    session.add(SurveyResult(order_id=order.id, answers={"综合评价": "满意"}, satisfied=True))
    await session.flush()

    assert await store.close_surveyed(session, campaign_id=campaign.id) == 1
    assert await store.due_contacts(session, campaign.id, now, 10) == []
    assert (await store.progress(session, campaign.id))["states"] == {"surveyed": 1}
