"""The complaint a dissatisfied visit-back opens goes on to whoever its workflow names next
(DOMAIN §3, §4: the team leader reviews a complaint raised at visit-back; maker ≠ checker), through
the engine's submit of its create step, with what the customer answered in its form. It used to
wait at 登记 in the list of whoever recorded the survey, a campaign's agent included, until they
submitted it by hand. One the workflow cannot send on (nobody to review it) still waits at 登记."""

from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step
from ticketing.models import Assignment, Comment, User, WorkOrder
from ticketing.surveys import record_survey


async def _steps(session, order) -> list[tuple[str, str, str]]:
    rows = await session.execute(
        select(Assignment.node, User.staff_no, Assignment.state)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.order_id == order.id)
        .order_by(Assignment.id)
    )
    return [tuple(r) for r in rows]


async def test_an_agents_complaint_goes_to_the_team_leader_to_review(session, seeded):
    order = await at_visit_step(session, seeded, at(24, 9))
    result = await record_survey(session, seeded.users["1001"], order, UNHAPPY, remark="师傅迟到")
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    assert (complaint.current_node, complaint.status) == ("review", "待审核")
    assert await _steps(session, complaint) == [("register", "1001", "done"), ("review", "2001", "pending")]
    assert complaint.form["投诉内容"] == "师傅迟到\n回访不满意（服务技能：不满意、综合评价：不满意）"
    # the engine's submit, as a 提交 on 登记 would have written it
    actions = await session.scalars(
        select(Comment.action).where(Comment.order_id == complaint.id).order_by(Comment.id)
    )
    assert list(actions) == ["create", "submit"]


async def test_the_team_leaders_own_complaint_is_reviewed_by_someone_else_or_waits(session, seeded):
    order = await at_visit_step(session, seeded, at(24, 9))
    result = await record_survey(session, seeded.users["2001"], order, UNHAPPY)
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    # maker ≠ checker: the team leader who raised it is not its reviewer; the supervisors' batch is
    assert await _steps(session, complaint) == [("register", "2001", "done"), ("review", "3001", "pending")]

    # nobody else to review one (the only supervisor gone): it waits at 登记 for its creator
    order = await at_visit_step(session, seeded, at(24, 13))
    (await session.get(User, seeded.users["3001"].id)).active = False
    await session.flush()
    result = await record_survey(session, seeded.users["2001"], order, UNHAPPY)
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    assert complaint.current_node == "register"
    assert await _steps(session, complaint) == [("register", "2001", "pending")]
