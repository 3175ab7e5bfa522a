"""The team leader's 回访意见 reaches the complaint the visit-back survey already opened: the
visit step opens no second complaint, but what the customer said is not dropped. The survey's
complaint is past its create step already (sent on to 报事审核), so the opinion goes on its
timeline, its content as registered."""

from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
from ticketing import submit_step
from ticketing.models import AuditLog, Comment
from ticketing.surveys import record_survey

UNHAPPY_STEP = {"回访满意度": "不满意", "回访意见": "抢修太慢", "是否投诉": True}


async def annotations(session, order):
    rows = await session.scalars(
        select(Comment).where(Comment.order_id == order.id, Comment.action == "annotate").order_by(Comment.id)
    )
    return [c.text for c in rows]


async def test_the_surveys_complaint_gets_the_opinion_on_its_timeline(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    result = await record_survey(session, leader, order, UNHAPPY)
    (complaint,) = await complaints_of(session, order)
    # 登记 done with the survey: its content is no longer edited
    assert complaint.id == result.follow_up_order_id and complaint.current_node == "review"
    content = complaint.form["投诉内容"]
    assert content == "回访不满意（服务技能：不满意、综合评价：不满意）"

    await submit_step(session, leader, order, form=UNHAPPY_STEP)
    assert [c.id for c in await complaints_of(session, order)] == [complaint.id]
    assert complaint.form["投诉内容"] == content and complaint.form["所属区域"] == "440100"
    assert await annotations(session, complaint) == [f"{order.number} 回访意见：抢修太慢"]
    saved = await session.scalar(
        select(AuditLog).where(AuditLog.action == "order.save", AuditLog.entity_id == str(complaint.id))
    )
    assert saved is None
