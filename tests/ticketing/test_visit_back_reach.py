"""What a visit-back raises reaches someone who can act on it, and a refusal says why.

* A complaint raised by an agent of another bureau (a visit-back campaign's contact grants the
  survey of that one order, DOMAIN §1/§9) comes back at 办结 (``previous: register``) not to
  them, who cannot open it, but to the order's team leaders (``steps.STAND_INS``); one raised by
  someone who sees the order still comes back to them.
* The complaint the 回访 step spawns (是否投诉) is sent on past 登记 as the survey's is, through
  the engine's submit, for the stored workflows as they are (no ``submit`` in their spawn); one
  it cannot send on (nothing for 投诉内容) waits at 登记.
* A complaint category 停用 at the order's site refuses the survey and the step with the
  category's and the order's site's names, not the generic "your site" problem.
"""

import pytest
from sqlalchemy import select

from tests.ticketing.test_surveys_and_reports import HAPPY, at
from tests.ticketing.test_visit_back_complaints import UNHAPPY, at_visit_step, complaints_of
from ticketing import approve, submit_step
from ticketing.categories import add_category, disable_category
from ticketing.errors import ActionRefused
from ticketing.models import Assignment, User, WorkOrder
from ticketing.surveys import record_survey
from ticketing.users import create_user


async def _pending(session, order) -> list[str]:
    rows = await session.scalars(
        select(User.staff_no)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.order_id == order.id, Assignment.state == "pending")
        .order_by(User.staff_no)
    )
    return list(rows)


async def _to_close(session, seeded, complaint) -> None:
    """报事审核 → 处理 → 经理确认: the complaint arrives at 办结."""
    u = seeded.users
    assert complaint.current_node == "review"
    reviewer = u[(await _pending(session, complaint))[0]]
    await approve(session, reviewer, complaint)
    await submit_step(session, u["5101"], complaint, form={"处理措施": "向客户致歉，重新安排抢修"})
    manager = u[(await _pending(session, complaint))[0]]  # the raiser's manager, else a supervisor
    await approve(session, manager, complaint, form={"经理确认意见": "同意"})
    assert complaint.current_node == "close"


async def test_a_cross_bureau_agents_complaint_closes_with_the_orders_team_leaders(session, seeded):
    sz = seeded.sites["440300"].id
    outsider = await create_user(
        session, "5901", "深圳坐席", "demo1234", roles=["agent"], site_id=sz, scope_site_ids=[sz]
    )
    order = await at_visit_step(session, seeded, at(24, 9))  # a 广州 order
    result = await record_survey(session, outsider, order, UNHAPPY, granted=True)
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    await _to_close(session, seeded, complaint)
    # not back to the 深圳 agent, who cannot open a 广州 order: the team leaders who see it
    assert await _pending(session, complaint) == ["2001"]
    await submit_step(session, seeded.users["2001"], complaint, form={"处理结果": "客户表示接受"})
    assert not complaint.is_open

    # raised by someone who sees the order, it comes back to them, as before
    order = await at_visit_step(session, seeded, at(24, 13))
    result = await record_survey(session, seeded.users["1001"], order, UNHAPPY)
    complaint = await session.get(WorkOrder, result.follow_up_order_id)
    await _to_close(session, seeded, complaint)
    assert await _pending(session, complaint) == ["1001"]


async def test_the_visit_steps_complaint_is_sent_on_past_register(session, seeded):
    leader = seeded.users["2001"]
    order = await at_visit_step(session, seeded, at(24, 9))
    await record_survey(session, leader, order, HAPPY)
    await submit_step(session, leader, order, form={"是否投诉": True, "回访意见": "抢修太慢"})
    (complaint,) = await complaints_of(session, order)
    # 报事审核, by the supervisors (the team leader raised it: maker ≠ checker), not 2001's 登记
    assert (complaint.current_node, complaint.status) == ("review", "待审核")
    assert await _pending(session, complaint) == ["3001"]
    assert complaint.form["投诉内容"] == "抢修太慢" and complaint.form["所属区域"] == "440100"

    # nothing the customer said for 投诉内容 (required at 登记): it waits there for its creator
    order = await at_visit_step(session, seeded, at(24, 13))
    await record_survey(session, leader, order, HAPPY)
    await submit_step(session, leader, order, form={"是否投诉": True})
    (complaint,) = await complaints_of(session, order)
    assert complaint.current_node == "register"
    assert await _pending(session, complaint) == ["2001"]


async def test_a_complaint_not_offered_at_the_orders_site_names_the_category_and_site(session, seeded):
    admin, leader = seeded.users["9001"], seeded.users["2001"]
    gz = seeded.sites["440100"]
    surveyed = await at_visit_step(session, seeded, at(24, 9))
    stepped = await at_visit_step(session, seeded, at(24, 13))
    await record_survey(session, leader, stepped, HAPPY)
    # 广州 停用 投诉举报建议 (its override, disabled): no complaint at 广州
    override = await add_category(
        session, admin, "complaint", "投诉（广州）", site_id=gz.id, workflow_key="complaint"
    )
    await disable_category(session, admin, override)
    ids = surveyed.id, stepped.id
    await session.commit()
    names = {"category": "complaint", "category_name": "投诉（广州）", "site": "440100", "site_name": gz.name}

    surveyed = await session.get(WorkOrder, ids[0])
    with pytest.raises(ActionRefused) as refused:
        await record_survey(session, leader, surveyed, UNHAPPY)
    assert refused.value.error_id == "survey_complaint_not_offered"
    assert refused.value.details == names
    await session.rollback()

    stepped = await session.get(WorkOrder, ids[1])
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, leader, stepped, form={"是否投诉": True, "回访意见": "太慢"})
    assert refused.value.error_id == "spawn_category_not_offered"
    assert refused.value.details == names
