"""The 95598 fault-repair story through the engine's public API, with the seeded definitions.

Timeline (Asia/Shanghai): created on Wed 30 Sep 2026 at 16:00, the day before the
National Day holiday (1-7 Oct); the dispatch time limit runs over the holiday,
the reply limit lands on the make-up Saturday 10 Oct, the re-dispatch limit
runs over the weekend of 11 Oct.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cti.bus import InProcessBus
from tests.ticketing.conftest import fault_on_business_hours
from ticketing import (
    ActionRefused,
    FieldErrors,
    Forbidden,
    SlaWorker,
    commit_and_publish,
    create_order,
    load_order,
    submit_step,
)
from ticketing.events import TicketReminder, TicketRouted
from ticketing.models import Assignment, AuditLog, Comment, Notification, OrderLink, WorkOrder
from ticketing.surveys import record_survey
from ticketing.workflow.actions import annotate, change_category, force_archive

SH = ZoneInfo("Asia/Shanghai")


def at(m, d, hh, mm=0):
    return dt.datetime(2026, m, d, hh, mm, tzinfo=SH)


async def handlers_of(session, order):
    rows = await session.execute(
        select(Assignment.user_id).where(
            Assignment.order_id == order.id,
            Assignment.node == order.current_node,
            Assignment.state == "pending",
        )
    )
    return {r[0] for r in rows}


async def test_fault_repair_end_to_end(session, sm, seeded):
    await fault_on_business_hours(session)  # the story's limits fall across a weekend and 国庆
    bus = InProcessBus()
    seen = []

    async def collect(event):
        seen.append(event)

    bus.subscribe(collect)
    u = seeded.users
    agent, leader, supervisor = u["1001"], u["2001"], u["3001"]
    gz1, gz2, sz1 = u["5101"], u["5102"], u["5201"]
    worker = SlaWorker(sm, bus)

    async def tick(now):
        await session.commit()  # end the test's transaction: on SQLite the worker would wait for it
        return await worker.run_due(now)

    # 已受理 → routed to the Guangzhou bureau's remote handlers
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=seeded.sites["440106"].id,
        customer_id=1,
        caller_number="13800138000",
        now=at(9, 30, 16),
        form={
            "故障名称": "家中停电",
            "故障地址": "广州市天河区中山路1号",
            "所属供电局": "440100",
            "需要回复客户": True,
            "客户描述故障信息": "明天9点前来",
        },
    )
    await commit_and_publish(session, bus)
    number = order.number
    assert number.startswith("GZ20260930")
    assert order.status == "已流转" and order.category == "fault"
    assert await handlers_of(session, order) == {gz1.id, gz2.id}
    assert order.due_at == at(9, 30, 16, 30)
    await bus.drain()
    routed = [e for e in seen if isinstance(e, TicketRouted)]
    assert routed[-1].handlers == ("5101", "5102")

    # nobody acknowledges in 30 minutes: the overrun reminder fires at 16:30 exactly
    assert await tick(at(9, 30, 16, 29)) == 0
    assert await tick(at(9, 30, 16, 30)) == 1
    await bus.drain()
    reminded = {e.staff_no for e in seen if isinstance(e, TicketReminder)}
    assert reminded == {"5101", "5102", "2001"}

    # 接收确认 at 17:00: the 1 h dispatch limit runs 30 min today, then the holiday, then 30 min on 8 Oct
    await submit_step(session, gz1, order, opinion="收到", now=at(9, 30, 17))
    await commit_and_publish(session, bus)
    assert order.status == "接收确认"
    assert order.due_at == at(10, 8, 9, 0)
    assert await handlers_of(session, order) == {gz1.id}  # 派工 goes to whoever acknowledged
    with pytest.raises(ActionRefused) as refused:
        await submit_step(session, gz2, order, now=at(9, 30, 17, 5))
    assert refused.value.error_id == "not_your_step"

    # the 45-minute reminder fires at 08:45 on the first working day after the holiday
    seen.clear()
    assert await tick(at(10, 7, 23, 59)) == 0
    assert await tick(at(10, 8, 8, 44)) == 0
    assert await tick(at(10, 8, 8, 45)) == 1
    await bus.drain()
    assert [(e.staff_no, e.kind) for e in seen if isinstance(e, TicketReminder)] == [("5101", "reminder")]

    # 派工: required fields enforced, non-editable fields refused
    with pytest.raises(FieldErrors) as errors:
        await submit_step(session, gz1, order, now=at(10, 8, 8, 50))
    assert errors.value.problems == {"抢修人员": "field_required", "派工时间": "field_required"}
    with pytest.raises(FieldErrors) as errors:
        await submit_step(session, gz1, order, form={"故障地址": "改地址"}, now=at(10, 8, 8, 50))
    # every problem at once: the value refused and the required fields still empty
    assert errors.value.problems == {
        "故障地址": "field_not_editable",
        "抢修人员": "field_required",
        "派工时间": "field_required",
    }
    await session.rollback()
    order = await load_order(session, gz1, number)
    await submit_step(
        session,
        gz1,
        order,
        form={"抢修人员": "张师傅", "派工时间": "2026-10-08 09:00", "车辆": "粤A12345"},
        opinion="已派工",
        now=at(10, 8, 8, 50),
    )
    await commit_and_publish(session, bus)
    assert order.status == "已派工" and order.category_locked
    assert await tick(at(10, 8, 9, 30)) == 0  # the dispatch timers were cancelled
    with pytest.raises(ActionRefused) as refused:
        await change_category(session, supervisor, order, "consult")
    assert refused.value.error_id == "category_locked"

    await submit_step(
        session, gz1, order, form={"到达时间": "2026-10-08 09:40", "产权": "供电公司"}, now=at(10, 8, 9, 40)
    )
    assert order.status == "正在现场抢修"
    await submit_step(
        session,
        gz1,
        order,
        form={"完成时间": "2026-10-09 17:00", "处理描述": "更换熔断器"},
        now=at(10, 9, 17),
    )
    await commit_and_publish(session, bus)
    # 抢修完成 → reply to the customer (需要回复客户); 1 h limit lands on the make-up Saturday
    assert order.status == "抢修完成"
    assert await handlers_of(session, order) == {agent.id}
    assert order.due_at == at(10, 10, 9, 0)

    # the customer is not satisfied: re-dispatch, limit over the weekend to Monday
    await submit_step(
        session,
        agent,
        order,
        form={"处理意见": "已回电", "回复内容": "已修复", "客户满意": "不满意"},
        now=at(10, 10, 17, 10),
    )
    await commit_and_publish(session, bus)
    assert order.status == "接收确认" and order.current_node == "dispatch"
    assert await handlers_of(session, order) == {gz1.id}
    assert order.due_at == at(10, 12, 9, 10)
    assert await tick(at(10, 12, 8, 54)) == 0
    assert await tick(at(10, 12, 8, 55)) == 1

    await submit_step(session, gz1, order, form={"抢修人员": "李师傅"}, now=at(10, 12, 9))
    await submit_step(session, gz1, order, now=at(10, 12, 10))
    await submit_step(session, gz1, order, form={"处理描述": "更换电缆接头"}, now=at(10, 12, 11))
    await submit_step(session, agent, order, form={"客户满意": "满意"}, now=at(10, 12, 11, 30))
    await commit_and_publish(session, bus)
    assert order.status == "全部处理完毕" and order.is_open
    assert await handlers_of(session, order) == {leader.id}

    # cannot close while required content is empty (回访满意度 not filled yet)
    with pytest.raises(ActionRefused) as refused:
        await force_archive(session, supervisor, order, opinion="强制归档", now=at(10, 12, 12))
    assert refused.value.error_id == "required_content_empty"
    await session.rollback()
    order = await load_order(session, leader, number)

    # visit-back: the survey first (the step takes 回访满意度 from it); the customer still
    # complains → a new complaint order linked to this one; this one closes
    await record_survey(
        session,
        leader,
        order,
        {"服务技能": "满意", "服务礼仪": "一般", "抢修时效": "满意", "综合评价": "满意"},
    )
    await submit_step(
        session,
        leader,
        order,
        form={"是否投诉": True, "回访意见": "抢修太慢"},
        now=at(10, 12, 14),
    )
    assert order.form["回访满意度"] == "满意"
    await commit_and_publish(session, bus)
    assert order.status == "已回访" and not order.is_open and order.closed_at == at(10, 12, 14)
    link = await session.scalar(select(OrderLink).where(OrderLink.from_order_id == order.id))
    assert link.kind == "follow_up_complaint"
    complaint = await session.get(WorkOrder, link.to_order_id)
    assert complaint.category == "complaint" and complaint.is_open
    assert complaint.form["投诉内容"] == "抢修太慢" and complaint.form["所属区域"] == "440100"
    assert complaint.number.startswith("TS20261012")
    # every status change keeps its own time, the re-dispatch loop's repeated steps included
    assert [(c["status"], dt.datetime.fromisoformat(c["at"])) for c in order.status_times] == [
        ("已受理", at(9, 30, 16)),
        ("已流转", at(9, 30, 16)),
        ("接收确认", at(9, 30, 17)),
        ("已派工", at(10, 8, 8, 50)),
        ("正在现场抢修", at(10, 8, 9, 40)),
        ("抢修完成", at(10, 9, 17)),
        ("接收确认", at(10, 10, 17, 10)),
        ("已派工", at(10, 12, 9)),
        ("正在现场抢修", at(10, 12, 10)),
        ("抢修完成", at(10, 12, 11)),
        ("全部处理完毕", at(10, 12, 11, 30)),
        ("已回访", at(10, 12, 14)),
    ]

    # every action left an audit row with before/after
    audits = list(
        await session.scalars(
            select(AuditLog).where(AuditLog.entity == "work_order", AuditLog.entity_id == str(order.id))
        )
    )
    comments = list(await session.scalars(select(Comment).where(Comment.order_id == order.id)))
    assert len(comments) >= 12
    acting = [c for c in comments if c.action in ("create", "submit")]
    assert len([a for a in audits if a.action in ("order.create", "order.submit")]) == len(acting)
    assert all(a.after is not None for a in audits)
    assert any(
        a.before and a.before["status"] == "全部处理完毕" and a.after["status"] == "已回访" for a in audits
    )

    # a Shenzhen handler can neither read nor act on a Guangzhou order
    with pytest.raises(Forbidden):
        await load_order(session, sz1, order.number)
    with pytest.raises(Forbidden):
        await annotate(session, sz1, complaint, "看看")
    staff_sms = await session.scalar(
        select(func.count(Notification.id)).where(
            Notification.channel == "sms", Notification.user_id.is_not(None)
        )
    )
    assert staff_sms == 0  # the staff reminders so far were on-screen only
    customer_sms = list(
        await session.scalars(
            select(Notification.body)
            .where(Notification.channel == "sms", Notification.user_id.is_(None))
            .order_by(Notification.id)
        )
    )
    # the seeded templates told the customer 已受理 once (not again on 重新派工) and each
    # completed repair as the order left 抢修完成 (twice)
    assert [body.split("）")[1][:5] for body in customer_sms] == ["已受理，抢", "已抢修完成", "已抢修完成"]
    assert all(number in body for body in customer_sms)
    assert "更换熔断器" in customer_sms[1] and "更换电缆接头" in customer_sms[2]
    await bus.close()
